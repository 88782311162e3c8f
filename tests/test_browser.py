"""The UI in a real browser (Chromium driven by Playwright)."""

from __future__ import annotations

from typing import Any

import pytest

import tests.helpers.browser

base_url = tests.helpers.browser.base_url  # a shared fixture

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_operator_logs_in_and_sees_the_month_in_vietnamese(base_url: str, page: Any) -> None:
    page.goto(f"{base_url}/")
    assert page.url.endswith("/login?next=/")
    page.fill("input[name=username]", "canbo")
    page.fill("input[name=password]", "sai-mat-khau")
    page.click("button[type=submit]")
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.inner_text("[role=alert]")
    page.fill("input[name=username]", "canbo")
    page.fill("input[name=password]", "mat-khau-2026")
    page.click("button[type=submit]")
    assert page.inner_text("h1").startswith("Tình hình phát sóng tháng 12/2026")
    row = page.inner_text("tbody tr")
    assert "Đài truyền thanh Thủy Nguyên" in row and "Chưa có chương trình" in row
    page.click("text=Đăng xuất")
    assert "/login" in page.url
