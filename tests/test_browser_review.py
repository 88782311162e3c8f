"""The month's programme in a real browser, on a phone and a desk: written, approved, planned.

Approving plans at once: the programme page's list of airings and the station's
calendar show the airings right after the leader's click.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import tests.helpers.browser
from loa.db import transaction
from loa.services import Services
from loa.web.editor import KICK_KEY
from loa.web.users import add_user
from tests.helpers.browser import log_in, overflow
from tests.helpers.editor import tone, worker

pytestmark = pytest.mark.browser
base_url = tests.helpers.browser.base_url  # commune 11560, its station, canbo, campaign CDS
PASSWORD = "mat-khau-2026"
RENDER_TIMEOUT_MS = 60_000


@pytest.fixture
def renders(app: Any, services: Services) -> None:
    """Each queued render runs at once in a thread, as the scheduler of `loa serve` would."""
    run = worker(services).run_pending
    app.extensions[KICK_KEY] = lambda: threading.Thread(target=run, daemon=True).start()


@pytest.fixture
def leader(base_url: str, services: Services) -> str:
    """The commune's leader, who approves what canbo submits."""
    with transaction(services.sessions) as s:
        add_user(s, "lanhdao", PASSWORD, "leader", "11560")
    return "lanhdao"



def add_segment(page: Any, form: str, **fields: str) -> None:
    for name, value in fields.items():
        page.fill(f"{form} [name={name}]", value)
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("[role=alert]:has-text('Đã thêm đoạn')")


def segment_kinds(page: Any) -> list[str]:
    return page.eval_on_selector_all(".segments > li", "items => items.map(i => i.dataset.kind)")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_operator_writes_and_submits_a_leader_approves_and_airings_are_planned(
    base_url: str, leader: str, renders: None, page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base_url, "canbo", PASSWORD)
    page.goto(f"{base_url}/programmes/new")
    page.fill("input[name=title]", "Chuyển đổi số tháng 12")
    page.click("form button[type=submit]:has-text('Tạo chương trình')")
    page.wait_for_selector("#status:has-text('Bản nháp')")

    page.fill("#add-tts textarea[name=text]", "Kính thưa bà con, xã triển khai chuyển đổi số.")
    # Estimated while typing, before any upload (or as soon as the script is there).
    estimate = page.wait_for_selector("#tts-estimate:has-text('Đoạn này')").inner_text()
    assert estimate.startswith("Đoạn này khoảng 0:0") and "cả chương trình khoảng" in estimate
    page.click("#add-tts button[type=submit]")
    page.wait_for_selector("[role=alert]:has-text('Đã thêm đoạn')")
    add_segment(page, "#add-silence", seconds="1")
    add_segment(page, "#add-tts", text="Mọi người dân hãy cài ứng dụng dịch vụ công.")
    assert segment_kinds(page) == ["tts", "silence", "tts"]
    assert "ước tính" in page.inner_text("#length")

    page.click(".segments > li:nth-child(2) button:has-text('↑')")  # the silence goes first
    page.wait_for_selector("[role=alert]:has-text('Đã đổi thứ tự')")
    assert segment_kinds(page) == ["silence", "tts", "tts"]
    page.click(".segments > li:nth-child(1) button:has-text('↓')")
    page.wait_for_selector("[role=alert]:has-text('Đã đổi thứ tự')")
    assert segment_kinds(page) == ["tts", "silence", "tts"]

    page.click("button:has-text('Dựng âm thanh')")
    page.wait_for_selector("#status:has-text('Đã dựng')", timeout=RENDER_TIMEOUT_MS)
    assert "đạt yêu cầu" in page.inner_text("#length")
    page.click("button:has-text('Gửi lãnh đạo duyệt')")
    page.wait_for_selector("#status:has-text('Chờ lãnh đạo duyệt')")
    assert page.query_selector("button:has-text('Duyệt chương trình')") is None
    programme_url = page.url
    page.click("text=Đăng xuất")

    log_in(page, base_url, leader, PASSWORD)
    page.goto(programme_url)
    assert "Chưa xếp lịch" in page.inner_text("#airings")
    page.click("button:has-text('Duyệt chương trình')")
    page.wait_for_selector("[role=alert]:has-text('Đã duyệt chương trình')")
    assert page.inner_text("#status") == "Đã duyệt"
    assert "lanhdao" in page.inner_text("#approved-by")
    rows = page.inner_text("#airings tbody")
    assert "Chưa xếp lịch" not in rows and "Đài truyền thanh Thủy Nguyên" in rows
    assert len(page.query_selector_all("#airings tbody tr")) == 3  # the campaign's minimum
    page.goto(f"{base_url}/stations/TN?month=2026-12")
    assert len(page.query_selector_all(".calendar .airing-planned")) == 3
    assert overflow(page) <= 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("script", ["loaded", "late"])
def test_a_clip_too_long_is_stopped_in_the_browser_before_upload(
    base_url: str, page: Any, tmp_path: Path, script: str
) -> None:
    """Also when the file is picked (and text typed) before the page's script has arrived
    (a slow link): the script checks what it finds when it comes."""
    long_clip = tone(tmp_path / "hoi-nghi.wav", 75)  # the campaign allows 1 minute
    log_in(page, base_url, "canbo", PASSWORD)
    page.goto(f"{base_url}/programmes/new")
    held: list[Any] = []
    if script == "late":
        page.route("**/editor.js", lambda route: held.append(route))
    page.fill("input[name=title]", "Chuyển đổi số tháng 12")
    page.click("form button[type=submit]:has-text('Tạo chương trình')")
    if script == "loaded":
        page.wait_for_load_state()
    page.set_input_files("#add-clip input[name=file]", str(long_clip))
    if script == "late":
        page.fill("#add-tts textarea[name=text]", "Kính thưa bà con.")  # typed before it too
        assert held, "the script arrived before the file was picked"
        held[0].continue_()
    note = page.wait_for_selector("#add-clip .upload-check:has-text('quá thời lượng tối đa')")
    assert note is not None and "1:15" in note.inner_text()
    if script == "late":
        assert page.wait_for_selector("#tts-estimate:has-text('Đoạn này khoảng 0:0')")
    assert not page.eval_on_selector("#add-clip input[name=file]", "i => i.validity.valid")
    page.select_option("#add-clip select[name=kind]", "bed")  # a bed's length is free
    page.wait_for_function(
        "() => document.querySelector('#add-clip input[name=file]').validity.valid"
    )
