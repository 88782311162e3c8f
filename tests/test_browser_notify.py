"""The to-do inbox and the alert settings in Chromium: on a 390-px phone and a desktop, in
Vietnamese and in English; the header's count leads to the list, each item to its page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import notify
from tests.helpers.browser import log_in, overflow, switch_language, vietnamese_labels

pytestmark = pytest.mark.browser
office = notify.office  # the fixture, bound by name



@pytest.mark.parametrize("width", [390, 1280])
def test_the_leader_finds_what_waits_and_sets_alerts_in_both_languages(
    page: Any, live_url: str, office: dict[str, int], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_url, "lanhdao")
    page.goto(f"{live_url}/programmes")
    assert page.inner_text("#todo-badge .count") == "2"
    page.click("#todo-badge")
    page.wait_for_load_state()
    todo = page.locator("#todo")
    assert todo.is_visible() and overflow(page) == 0
    assert todo.locator("h2").inner_text().startswith("Việc cần làm")
    todo.locator(".todo-programme-waiting a").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/programmes/{office['waiting']}")
    switch_language(page)
    page.goto(f"{live_url}/")
    heading = page.locator("#todo h2").inner_text()
    assert heading.startswith("To do") and overflow(page) == 0
    assert "Programme awaiting approval" in page.inner_text("#todo")
    assert not vietnamese_labels(page)
    page.click("#my-alerts")
    page.wait_for_load_state()
    assert overflow(page) == 0 and not vietnamese_labels(page)
    page.fill("input[name=email]", "lanhdao@thuynguyen.gov.vn")
    page.check("input[value=email]")
    page.fill("input[name=quiet_from]", "22:00")
    page.fill("input[name=quiet_until]", "06:00")
    page.click("#alert-settings button[type=submit]")
    page.wait_for_load_state()
    assert "Alert settings saved" in page.inner_text("main")
    assert page.input_value("input[name=quiet_from]") == "22:00"
    switch_language(page)
    assert "Đã lưu cách nhận cảnh báo" not in page.inner_text("main")  # shown once
    assert page.locator("input[value=email]").is_checked() and overflow(page) == 0
    assert "Giờ yên tĩnh" in page.inner_text("#alert-settings")
