"""The programme editor on a phone (390 px) and a desktop (1280 px), in Vietnamese and
English: drag to reorder, recordings by name, no hashes, collapsed texts, a badge that
leaves its label alone, a warning before withdrawing a submission, the emergency choice
explained."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import tests.helpers.browser
from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.playlists.editing import add_segment, create_programme
from loa.playlists.library import keep_clip
from loa.playlists.rendering import render
from loa.playlists.review import submit
from loa.services import Services
from loa.stations.units import get_unit
from tests.helpers.browser import overflow
from tests.helpers.editor import tone

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"],
                                                           indirect=True)]
base_url = tests.helpers.browser.base_url
PASSWORD = "mat-khau-2026"
CLIP = "Phỏng vấn chủ tịch xã"
LONG_TEXT = ("Kính thưa bà con, thực hiện Kế hoạch số 29/KH-UBND ngày 09/02/2022 của Ủy ban "
             "nhân dân thành phố về chuyển đổi số, phường tổ chức hướng dẫn người dân cài đặt "
             "ứng dụng định danh điện tử tại nhà văn hóa các tổ dân phố vào sáng thứ Bảy và "
             "Chủ nhật hằng tuần; đề nghị bà con mang theo căn cước và điện thoại.")
WORDS = {
    "vi": {"more": "xem thêm", "withdraw": "rút lại việc gửi duyệt", "draft": "Bản nháp",
           "short": "ngắn hơn mức tối thiểu", "seconds": "giây",
           "typing": "ngắn hơn mức tối thiểu",
           "emergency": "Chỉ lãnh đạo UBND và quản trị được phát thông báo khẩn cấp"},
    "en": {"more": "show more", "withdraw": "withdraws the submission", "draft": "Draft",
           "short": "too short by", "seconds": " s", "typing": "under the minimum",
           "emergency": "Only the commune leader and admin may send an emergency bulletin"},
}
SIZES = [(390, "vi"), (390, "en"), (1280, "vi"), (1280, "en")]


@pytest.fixture
def editor_url(base_url: str, services: Services, tmp_path: Path) -> dict[str, Any]:
    """A draft of four segments (a long text, a named clip, two silences) in a campaign
    of 2 to 3 minutes (so its badge says how much is missing), and a rendered programme
    of campaign CDS sent to the leader."""
    now = services.clock.now()
    month = now.strftime("%Y-%m")
    with transaction(services.sessions) as s:
        add_campaign(s, services.store, "ATGT", "An toàn giao thông", "31",
                     min_minutes=2, max_minutes=3)
        draft = create_programme(s, "ATGT", "11560", month, "An toàn giao thông", "canbo")
        add_segment(s, services.store, draft.id, "tts", text=LONG_TEXT)
        clip = add_segment(s, services.store, draft.id, "clip",
                           upload_path=tone(tmp_path / "pv.mp3", 1.5))
        assert clip.asset_sha256 is not None
        keep_clip(s, get_unit(s, "11560").id, CLIP, clip.asset_sha256)
        for seconds in (1.0, 2.0):
            add_segment(s, services.store, draft.id, "silence", seconds=seconds)
        sent = create_programme(s, "CDS", "11560", month, "Chuyển đổi số", "canbo")
        for seconds in (2.0, 3.0):
            add_segment(s, services.store, sent.id, "silence", seconds=seconds)
        ids = {"draft": draft.id, "sent": sent.id, "clip": clip.id,
               "hash": clip.asset_sha256, "draft_segments": [x.id for x in draft.segments]}
    with transaction(services.sessions) as s:
        render(s, services.store, services.settings, ids["sent"], now)
        submit(s, ids["sent"], "canbo", now)
        ids["sent_segments"] = [x.id for x in s.get_one(type(draft), ids["sent"]).segments]
    return {"url": base_url, **ids}


def open_as_operator(page: Any, url: str, width: int, language: str) -> None:
    page.set_viewport_size({"width": width, "height": 1000})
    page.context.add_cookies([{"name": "loa_lang", "value": language, "url": url}])
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "canbo")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav")


def order(page: Any) -> list[int]:
    return [int(i) for i in page.eval_on_selector_all(
        "#segment-list > li", "items => items.map(i => i.dataset.segmentId)")]


def drag(page: Any, segment_id: int, onto_id: int) -> None:
    """Press the segment's handle, move onto the top of another segment, let go."""
    page.locator("#segment-list").evaluate("list => list.scrollIntoView()")  # the list on screen
    handle = page.locator(f"#segment-{segment_id} .drag-handle").bounding_box()
    target = page.locator(f"#segment-{onto_id}").bounding_box()
    assert handle is not None and target is not None
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 40, target["y"] + 6, steps=15)
    page.mouse.up()


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


@pytest.mark.parametrize(("width", "language"), SIZES)
def test_the_editor_reorders_by_drag_and_reads_well(
    editor_url: dict[str, Any], page: Any, width: int, language: str
) -> None:
    url, words = editor_url["url"], WORDS[language]
    open_as_operator(page, url, width, language)
    page.goto(f"{url}/programmes/{editor_url['draft']}")
    assert page.evaluate("document.documentElement.lang") == language
    assert overflow(page) <= 0

    # the recording: its library name, its length and a player that plays it
    clip = page.locator(f"#segment-{editor_url['clip']}")
    assert clip.locator(".recording-name").inner_text() == CLIP
    assert clip.locator(".recording-length").inner_text() == "0:01"
    listen = clip.locator("audio.listen")
    assert listen.is_visible()
    heard = page.request.get(url + listen.get_attribute("src"))
    assert heard.status == 200 and len(heard.body()) > 1000
    # no hash anywhere, neither shown nor in the page's source
    for text in (page.inner_text("body"), page.content()):
        assert "sha256" not in text.lower() and editor_url["hash"] not in text

    # the length badge says what is missing in whole seconds, apart from its label
    badge = page.locator("#length .duration-badge")
    assert words["short"] in badge.inner_text() and words["seconds"] in badge.inner_text()
    assert " 0 " not in badge.inner_text().replace("0:", "")
    label_box = page.locator("#length .length-label").bounding_box()
    assert not overlaps(label_box, badge.bounding_box())

    # drag the last segment to the top: one post, no reload, and it holds after a reload
    first, *_, last = editor_url["draft_segments"]
    page.evaluate("window.notReloaded = true")
    drag(page, last, first)
    page.wait_for_selector("#reorder-status:not(:empty)")
    assert page.evaluate("window.notReloaded") is True
    expected = [last, *editor_url["draft_segments"][:-1]]
    assert order(page) == expected
    assert page.is_disabled(f"#segment-{last} .move-up")  # the ends follow the new order
    assert not page.is_disabled(f"#segment-{first} .move-up")
    page.reload()
    assert order(page) == expected

    # the long text is collapsed: its start and "xem thêm"; a tap shows it all
    long_text = page.locator("details.long-text")
    assert long_text.locator("summary").inner_text().endswith(words["more"])
    assert not long_text.locator("p.text").is_visible()
    long_text.locator("summary").click()
    assert long_text.locator("p.text").is_visible()
    assert "căn cước và điện thoại" in long_text.locator("p.text").inner_text()

    # while typing, the estimate words the shortfall as the server does (no "0:40")
    page.fill("#add-tts textarea[name=text]", "Kính thưa bà con.")
    estimate = page.inner_text("#tts-estimate")
    note = estimate.rsplit("—", 1)[1]
    assert words["typing"] in note and re.search(r"\d+ (phút|min)( \d+ (giây|s))?", note)
    assert ":" not in note


@pytest.mark.parametrize(("width", "language"), [SIZES[0], SIZES[3]])
def test_editing_a_submitted_programme_asks_first(
    editor_url: dict[str, Any], page: Any, width: int, language: str
) -> None:
    url, words = editor_url["url"], WORDS[language]
    open_as_operator(page, url, width, language)
    page.goto(f"{url}/programmes/{editor_url['sent']}")
    assert words["withdraw"] in page.inner_text("#withdraw-note")
    assert "sha256" not in page.content().lower()  # an operator sees no hash of the master
    asked: list[str] = []

    def say_no(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    first, second = editor_url["sent_segments"]
    page.click(f"#segment-{first} .segment-tools button.secondary")  # Xoá
    assert len(asked) == 1 and words["withdraw"] in asked[0]
    assert order(page) == [first, second]  # nothing deleted, still waiting

    def say_yes(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", say_yes)
    drag(page, second, first)
    page.wait_for_selector("#reorder-status:not(:empty)")
    assert len(asked) == 2 and words["withdraw"] in asked[1]
    assert page.inner_text("#status") == words["draft"]
    page.reload()
    assert order(page) == [second, first] and page.inner_text("#status") == words["draft"]
    assert page.locator("#withdraw-note").count() == 0


@pytest.mark.parametrize(("width", "language"), [SIZES[0], SIZES[3]])
def test_an_operator_sees_why_the_emergency_choice_is_closed(
    editor_url: dict[str, Any], page: Any, width: int, language: str
) -> None:
    url = editor_url["url"]
    open_as_operator(page, url, width, language)
    page.goto(f"{url}/bulletins/new")
    emergency = page.locator("input[name=priority][value=emergency]")
    assert emergency.is_visible() and emergency.is_disabled()
    assert page.inner_text("#emergency-who") == WORDS[language]["emergency"]
    assert overflow(page) <= 0
