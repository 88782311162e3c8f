"""Every page each demo user reaches fits a phone (390 px) and a desktop (1280 px), in
Vietnamese and in English, and the English switch turns the labels to English and back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.playlists.programmes import import_programme
from loa.playlists.rendering import render
from loa.playlists.review import submit
from loa.scheduler.service import approve_and_plan
from loa.services import Services
from loa.stations.players import add_player
from loa.stations.service import add_station
from loa.stations.units import add_unit
from loa.web.users import add_user
from tests.helpers.browser import (
    SCREENSHOTS,
    english_words,
    log_in,
    overflow,
    switch_language,
    vietnamese_labels,
)

pytestmark = [pytest.mark.browser, pytest.mark.real_time]
PASSWORD = "loa-demo-2026"
# The demo's users, by role.
USERS = [("canbo", "operator"), ("kiemtra", "auditor"), ("lanhdao", "leader"), ("admin", "admin")]
WIDTHS = (390, 1280)
NOT_PAGES = re.compile(r"^/(logout|lang/)|\.(csv|xlsx|pdf|xml|mp3)$|/audio$")
OTHER_DAY = re.compile(r"(^|&)day=")
# Vietnamese letters: none may be left in an English page's labels.


def _programme(folder: Path, title: str, month: str, segments: str) -> Path:
    path = folder / f"{month}.toml"
    path.write_text(
        f'title = "{title}"\ncampaign = "CDS"\nunit = "11560"\nmonth = "{month}"\n{segments}',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def demo_url(live_url: str, services: Services, tmp_path: Path) -> str:
    """A small demo: a ward with two stations and players, an approved and planned month
    (a long hash to wrap) and next month's programme with text (the editor's page), rendered
    and waiting for the leader's approval."""
    now = services.clock.now()
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Thành phố Hải Phòng", "province")
        add_unit(s, "11560", "Phường Thủy Nguyên", "commune", "31")
        add_station(s, "HP-11560", "11560", "Đài truyền thanh Phường Thủy Nguyên")
        add_station(s, "HP-11560-B", "11560", "Đài truyền thanh Thủy Nguyên cụm Bắc")
        add_player(s, "HP-11560", "Cụm loa 1")
        add_player(s, "HP-11560", "Cụm loa chợ trung tâm phường", "live")
        add_campaign(
            s, services.store, "CDS", "Chuyển đổi số", "31", min_minutes=0.05, max_minutes=1
        )
        for username, role in USERS:
            add_user(s, username, PASSWORD, role, "31")
    with transaction(services.sessions) as s:
        month = now.strftime("%Y-%m")
        approved = import_programme(
            s, services.store,
            _programme(tmp_path, "Chuyển đổi số tháng này", month, "[[segments]]\nsilence = 4\n"),
        )
        render(s, services.store, services.settings, approved.id, now)
        approve_and_plan(s, approved.id, now, services.settings.airing_gap)
        text = "Kính thưa bà con, theo Kế hoạch số 29/KH-UBND ngày 09/02/2022 của UBND thành phố…"
        submitted = import_programme(
            s, services.store,
            _programme(tmp_path, "Chuyển đổi số tháng sau", "2027-01",
                       f'[[segments]]\ntts = "{text}"\n[[segments]]\nsilence = 1\n'),
        )
        # Rendered and sent up: the leader's page carries the approval form.
        render(s, services.store, services.settings, submitted.id, now)
        submit(s, submitted.id, "canbo", now)
    return live_url



def links(page: Any, base: str) -> list[str]:
    """The same-site pages this page links to (not a download or an action)."""
    found = []
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        parts = urlsplit(href)
        if OTHER_DAY.search(parts.query):  # the station's day before and after: no end
            continue
        if parts.netloc == urlsplit(base).netloc and not NOT_PAGES.search(parts.path):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def widths_too_wide(page: Any) -> list[tuple[int, int]]:
    """(width, overflow) for each width the loaded page does not fit (the window is resized,
    not reloaded: the stylesheet's media queries apply at once)."""
    too_wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        if (extra := overflow(page)) > 0:
            too_wide.append((width, extra))
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    return too_wide


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("username", [u for u, _ in USERS])
def test_every_page_fits_a_phone_and_a_desktop_in_both_languages(
    demo_url: str, page: Any, username: str
) -> None:
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    log_in(page, demo_url, username, PASSWORD)
    too_wide, english = [], []
    # Every page linked from the dashboard onwards, checked as it is found.
    pages, queue = ["/"], ["/"]
    while queue:
        path = queue.pop(0)
        page.goto(demo_url + path)
        assert page.evaluate("document.documentElement.lang") == "vi"
        too_wide += [("vi", width, path, extra) for width, extra in widths_too_wide(page)]
        if words := english_words(page):
            english.append((path, words))
        for found in links(page, demo_url):
            if found not in pages:
                pages.append(found)
                queue.append(found)
    assert len(pages) >= 6, pages  # overview, programmes, a programme, stations, acronyms…
    # English is the longer language: it must fit the phone too (and leave no Vietnamese label).
    switch_language(page)
    for path in pages:
        page.goto(demo_url + path)
        assert page.evaluate("document.documentElement.lang") == "en"
        if (extra := overflow(page)) > 0:
            too_wide.append(("en", WIDTHS[0], path, extra))
        assert vietnamese_labels(page) == [], path
    assert too_wide == []
    assert english == []  # a Vietnamese page is Vietnamese only


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_english_switch_turns_the_labels_to_english_and_back(
    demo_url: str, page: Any
) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, demo_url, "kiemtra", PASSWORD)
    page.goto(f"{demo_url}/stations")
    assert page.inner_text("h1") == "Đài truyền thanh và thiết bị phát"
    assert "Trực tiếp" in page.inner_text("tbody")  # the live player's mode, in words
    switch_language(page)
    assert page.url.endswith("/stations")  # back on the page it was chosen on
    assert page.inner_text("h1") == "Stations and players"
    assert "Live" in page.inner_text("tbody") and "Trực tiếp" not in page.inner_text("tbody")
    page.click("nav a:has-text('Programmes')")  # the choice holds from page to page
    assert page.inner_text("h1") == "Monthly programmes"
    listed = page.inner_text("tbody")
    assert "Approved" in listed and "Awaiting the leader's approval" in listed
    switch_language(page)
    assert page.inner_text("h1") == "Chương trình hằng tháng"
    assert "Đã duyệt" in page.inner_text("tbody")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_operators_main_pages_read_as_cards_on_a_phone(
    demo_url: str, page: Any, services: Services
) -> None:
    """The pages an operator uses most fit 390 px, and a table there is a pile of cards with
    each value labelled (screenshots saved too if LOA_SCREENSHOTS names a folder)."""
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, demo_url, "canbo", PASSWORD)
    page.goto(f"{demo_url}/programmes")
    page.click("a:has-text('tháng sau')")
    editor = page.url
    page.goto(f"{demo_url}/")
    page.click("tbody a")
    evidence = page.url
    shots = {"dashboard": f"{demo_url}/", "editor": editor, "stations": f"{demo_url}/stations",
             "evidence": evidence}
    for language in ("vi", "en"):
        if language == "en":
            switch_language(page)
        for name, url in shots.items():
            page.goto(url)
            assert overflow(page) <= 0, (language, name)
            # A phone shows each row as a card: the column names are beside the values.
            labels = page.evaluate(
                "[...document.querySelectorAll('table.cards td[data-label]')]"
                ".map(td => getComputedStyle(td, '::before').content)"
            )
            assert all(label not in ("none", "normal", '""') for label in labels), name
            if SCREENSHOTS:
                shot = Path(SCREENSHOTS) / f"{name}-{language}-390.png"
                page.screenshot(path=str(shot), full_page=True)
    assert page.evaluate("document.querySelectorAll('table.cards td[data-label]').length") > 0


def test_the_scan_finds_an_english_gloss_and_a_raw_event_name(page: Any) -> None:
    page.set_content(
        "<body><p>Đã tạo chương trình (programme created) · Đài Thủy Nguyên: bulletin.started"
        "</p><code>sha256 abc</code><input value='station'></body>"
    )
    assert english_words(page) == ["bulletin", "created", "programme", "started"]
