"""The station page and the public page in Chromium, on a phone (390 px) and a desk (1280 px)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from loa.db import transaction
from loa.playlists.models import Programme, ProgrammeStatus
from loa.scheduler.service import approve_and_plan
from loa.services import Services
from loa.web.users import add_user
from tests.helpers.browser import overflow
from tests.helpers.factories import aired, hai_phong_month

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-2026"


@pytest.fixture
def base_url(live_url: str, services: Services) -> str:
    """Hải Phòng's December programme rendered; the ward's operator approves it in the test."""
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        s.get_one(Programme, month.programme_id).status = ProgrammeStatus.rendered
        add_user(s, "canbo", PASSWORD, "operator", "11560")
        approve_and_plan(s, month.programme_id, services.clock.now(), services.settings.airing_gap)
    return live_url


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_station_page_on_a_phone_and_a_desk(
    base_url: str, services: Services, page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "canbo")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("table.glance a >> text=Đài TN")  # the overview links each station to its page
    assert page.inner_text("h1").startswith("Đài TN")
    assert page.locator(".calendar .airing-planned").count() == 3
    assert page.locator("audio.listen").count() >= 1
    assert overflow(page) <= 0, "the station page scrolls sideways"

    page.locator("form.airing-edit button.secondary").first.click()  # Hủy lượt
    assert "Đã cập nhật lịch phát" in page.inner_text("[role=alert]")
    assert page.locator(".calendar .airing-cancelled").count() == 1
    page.fill("form.admin-form input[name=starts_at]", "2026-12-02T05:40")
    page.click("form.admin-form button[type=submit]")
    assert page.locator(".calendar .airing-make_up, .calendar .airing-planned").count() == 3
    page.fill("form.admin-form input[name=starts_at]", "2026-12-02T12:00")
    page.click("form.admin-form button[type=submit]")
    assert "khung giờ phát" in page.inner_text("[role=alert]")
    assert overflow(page) <= 0

    page.goto(f"{base_url}/")
    assert overflow(page) <= 0, "the overview scrolls sideways"
    with transaction(services.sessions) as s:  # residents listen again to what has aired
        aired(s, s.scalars(select(Programme.id)).one(), "TN", services.clock.now())
    page.goto(f"{base_url}/public/11560")
    assert page.locator("audio.listen").count() == 1
    assert overflow(page) <= 0, "the public page scrolls sideways"
