"""The station's day at a glance in Chromium: on a phone (390 px) and a desk (1280 px) the
timeline scrolls nowhere sideways, its bar puts each block at its hour, and the day steps."""

from __future__ import annotations

from typing import Any

import pytest

import tests.helpers.day
from tests.helpers.browser import log_in, overflow, switch_language
from tests.helpers.web import PASSWORD

pytestmark = pytest.mark.browser
day = tests.helpers.day.day  # a shared fixture


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_the_day_timeline_fits_a_phone_and_a_desk(
    live_url: str, day: None, page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_url, "xa", PASSWORD)
    page.goto(f"{live_url}/stations/TN")
    assert "Đang tiếp sóng: VOV1" in page.inner_text("#moment-now")
    assert page.locator(".day-plan .day-block").count() == 9
    assert page.locator(".day-plan .day-now").inner_text().startswith("06:00–06:20")
    assert overflow(page) <= 0, "the station's day scrolls sideways"
    bar = page.locator(".day-bar").bounding_box()
    relay = page.locator(".day-bar-item.day-relay").first.bounding_box()
    assert abs(relay["x"] - (bar["x"] + bar["width"] / 4)) <= 1  # 06:00 is a quarter in
    for block in page.locator(".day-plan .day-block").all():
        box = block.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, block.inner_text()

    page.click(".day-nav a[rel=next]")
    assert "03/12/2026" in page.inner_text("#day-heading")
    assert page.locator(".day-plan .day-block").count() == 3
    assert overflow(page) <= 0
    page.fill(".day-pick input[name=day]", "2026-12-02")
    page.click(".day-pick button")
    assert page.locator(".day-plan .day-block").count() == 9

    switch_language(page)  # English is the longer language
    assert "Relaying: VOV1" in page.inner_text("#moment-now")
    assert "Schedule for 02/12/2026" in page.inner_text("#day-heading")
    assert overflow(page) <= 0, "the English day scrolls sideways"
