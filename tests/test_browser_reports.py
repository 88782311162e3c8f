"""Making the report sent up in Chromium: on a phone and a desk, in Vietnamese and English."""

from __future__ import annotations

from typing import Any

import pytest

import tests.helpers.reports
from loa.services import Services
from tests.helpers.browser import overflow, switch_language, vietnamese_labels
from tests.helpers.web import PASSWORD

pytestmark = pytest.mark.browser
december = tests.helpers.reports.december  # a shared fixture


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_an_auditor_makes_the_half_year_report_and_finds_the_copy(
    live_url: str, services: Services, december: dict[str, str], page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "tinh")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("nav a:has-text('Báo cáo')")
    assert page.inner_text("h1").startswith("Báo cáo gửi cấp trên")
    assert "Chưa lập báo cáo nào" in page.inner_text("#exports")
    page.select_option("select[name=period]", "2026-H2")
    page.fill("input[name=number]", "15")
    page.fill("textarea[name=recommendations]", "Đề nghị bổ sung kinh phí bảo trì cụm loa.")
    page.click("#make-report button[type=submit]")
    assert "Đã lập báo cáo kỳ 2026-H2" in page.inner_text("[role=alert]")
    row = page.inner_text("#exports tbody tr.made")
    assert "15/BC-UBND" in row and "2026-H2" in row and "tinh" in row
    with page.expect_download() as download:
        page.click("#exports tr.made a:has-text('Tải bản đã gửi')")
    assert download.value.suggested_filename.endswith(".pdf")
    assert overflow(page) <= 0
    switch_language(page)
    assert page.inner_text("h1").startswith("Reports sent up")
    assert vietnamese_labels(page) == []
    assert overflow(page) <= 0
