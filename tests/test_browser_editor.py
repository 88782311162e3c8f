"""The programme editor in a real browser: write two items, render with progress, see it done."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import tests.helpers.browser
from loa.playlists.render_worker import RenderWorker
from loa.services import Services
from loa.web.editor import KICK_KEY

pytestmark = pytest.mark.browser
base_url = tests.helpers.browser.base_url
GATE_TIMEOUT_S = 60


@pytest.fixture
def gate(app: Any, services: Services) -> Iterator[threading.Event]:
    """Queued renders run in a thread only once the test opens this gate (so it sees them run)."""
    opened = threading.Event()
    run = RenderWorker(services.sessions, services.store, services.settings, services.clock)

    def gated() -> None:
        target = lambda: opened.wait(GATE_TIMEOUT_S) and run.run_pending()  # noqa: E731
        threading.Thread(target=target, daemon=True).start()

    app.extensions[KICK_KEY] = gated
    yield opened
    opened.set()


def add_text(page: Any, text: str, voice: str) -> None:
    page.fill("#add-tts textarea[name=text]", text)
    page.select_option("#add-tts select[name=voice]", voice)
    page.click("#add-tts button[type=submit]")
    page.wait_for_selector("[role=alert]:has-text('Đã thêm đoạn')")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_operator_writes_and_renders_a_programme(
    base_url: str, page: Any, gate: threading.Event
) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "canbo")
    page.fill("input[name=password]", "mat-khau-2026")
    page.click("button[type=submit]")
    page.click("nav a:has-text('Chương trình')")
    page.click("a:has-text('Chương trình mới')")
    assert page.input_value("input[name=month]") == "2026-12"
    page.fill("input[name=title]", "Chuyển đổi số tháng 12")
    page.click("form button[type=submit]:has-text('Tạo chương trình')")
    assert page.inner_text("h1").startswith("Chuyển đổi số tháng 12")
    assert page.inner_text("#status") == "Bản nháp"

    add_text(page, "Kính thưa bà con, ngày 09/02/2022 tỉnh ban hành kế hoạch.", "vi")
    add_text(page, "Mỗi tháng phát 3 lần/tháng, từ 10-15 phút.", "vi-vn-x-south")
    spoken = page.inner_text(".segments")
    assert "ngày chín tháng hai năm hai nghìn" in spoken and "ba lần mỗi tháng" in spoken

    page.click("button:has-text('Dựng âm thanh')")
    bar = page.wait_for_selector("#render-progress")
    assert bar is not None and bar.evaluate("b => b.value") == 0
    gate.set()
    page.wait_for_selector("#status:has-text('Đã dựng')", timeout=GATE_TIMEOUT_S * 1000)
    assert "Đã dựng xong" in page.inner_text("[role=status]")
    assert page.query_selector("#render-progress") is None
    assert page.query_selector("audio") is not None
