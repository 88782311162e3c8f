"""The station edit and unit pages in Chromium: a phone and a desk, Vietnamese and English."""

from __future__ import annotations

from typing import Any

import pytest

import tests.helpers.browser
from tests.helpers.browser import (
    PASSWORD,
    english_words,
    overflow,
    switch_language,
    vietnamese_labels,
)

admin_url = tests.helpers.browser.admin_url  # a shared fixture

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_admin_edits_a_station_retires_it_and_sets_the_report_signer(
    admin_url: str, page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{admin_url}/login")
    page.fill("input[name=username]", "quantri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{admin_url}/admin/")
    page.click("#station-TN a:has-text('Đài truyền thanh Thủy Nguyên')")
    page.fill("#edit-station input[name=name]", "Đài Thủy Nguyên")
    page.fill("#edit-station input[name=windows]", "05:00-06:00,17:30-18:30")
    page.click("#edit-station button[type=submit]")
    assert "Đã lưu đài TN" in page.inner_text("[role=alert]")
    assert page.inner_text("h1").startswith("Đài Thủy Nguyên")
    assert english_words(page) == [] and overflow(page) <= 0
    # Bad windows: said in Vietnamese only, the page still fits.
    page.fill("#edit-station input[name=windows]", "17:00-06:00")
    page.click("#edit-station button[type=submit]")
    said = page.inner_text("[role=alert]")
    assert "giờ kết thúc phải sau giờ bắt đầu" in said and "(" not in said
    switch_language(page)
    assert page.inner_text("h1").startswith("Đài Thủy Nguyên")  # its name, as written
    assert vietnamese_labels(page) == [] and overflow(page) <= 0
    # Delete asks first; dismissed, the station stays.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#retire-station button[type=submit]")
    assert page.locator("#edit-station").count() == 1
    switch_language(page)
    # The unit page: the defaults show as placeholders, the signer is kept.
    page.click(".admin-nav + p a")
    assert page.get_attribute("input[name=report_to]", "placeholder") == (
        "Ủy ban nhân dân Thành phố Hải Phòng")
    page.fill("input[name=signer_name]", "Nguyễn Văn An")
    page.fill("input[name=signer_title]", "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH")
    page.click("#edit-unit button[type=submit]")
    assert "Đã lưu thông tin báo cáo" in page.inner_text("[role=alert]")
    assert page.input_value("input[name=signer_name]") == "Nguyễn Văn An"
    assert english_words(page) == [] and overflow(page) <= 0
    switch_language(page)
    assert page.inner_text("h2").startswith("Report details")
    assert vietnamese_labels(page) == [] and overflow(page) <= 0
    switch_language(page)
