"""A ward's operator answers the province's notice on a phone: the offers page fits 390 px in
both languages, declining asks for a reason, the province's leader reads it on its page."""

from __future__ import annotations

from typing import Any

import pytest

import tests.helpers.bulletin_web
from loa.db import transaction
from loa.services import Services
from tests.helpers.browser import log_in, overflow, switch_language, vietnamese_labels
from tests.helpers.bulletins import send

tree = tests.helpers.bulletin_web.tree  # a shared fixture

pytestmark = pytest.mark.browser



@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_ward_declines_the_provinces_notice_on_a_phone(
    live_url: str, services: Services, tree: dict[str, int], page: Any
) -> None:
    with transaction(services.sessions) as s:
        sent = send(services, s, "31", priority="normal",
                    text="Thành phố tổ chức Ngày hội chuyển đổi số tại Nhà văn hóa trung tâm, "
                         "mời bà con tham dự và mang theo căn cước công dân gắn chip.").id
    page.set_viewport_size({"width": 390, "height": 900})
    log_in(page, live_url, "xa")
    page.click("nav a:has-text('Thông báo')")
    page.click("#offers-waiting a")
    offer = page.locator(f"section.offer[data-bulletin='{sent}']")
    assert "Ngày hội chuyển đổi số" in offer.inner_text()
    assert overflow(page) == 0
    offer.locator("button:has-text('Từ chối')").click()  # no reason: the browser asks for one
    assert page.locator(f"section.offer[data-bulletin='{sent}']").count() == 1
    offer.locator("input[name=reason]").fill("Phường đang có đợt tiêm chủng, loa dành cho y tế")
    offer.locator("button:has-text('Từ chối')").click()
    page.wait_for_selector("#answered")
    assert "Xã từ chối" in page.inner_text("#answered")
    assert overflow(page) == 0
    switch_language(page)
    assert "Declined by the commune" in page.inner_text("#answered")
    assert vietnamese_labels(page) == [] and overflow(page) == 0
    log_in(page, live_url, "tp")
    page.goto(f"{live_url}/bulletins/{sent}")
    row = page.locator("#offers tr[data-station='TN']")
    assert "Phường đang có đợt tiêm chủng, loa dành cho y tế" in row.inner_text()
    assert overflow(page) == 0
