"""The UI in a real browser (Chromium driven by Playwright)."""

from __future__ import annotations

from typing import Any

import pytest

from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.services import Services
from loa.stations.service import add_station
from loa.stations.units import add_unit
from loa.web.users import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(live_url: str, services: Services) -> str:
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Thành phố Hải Phòng", "province")
        add_unit(s, "11560", "Phường Thủy Nguyên", "commune", "31")
        add_station(s, "TN", "11560", "Đài truyền thanh Thủy Nguyên")
        add_user(s, "canbo", "mat-khau-2026", "operator", "11560")
        # Short bounds so a browser test can render a programme of two sentences.
        add_campaign(
            s, services.store, "CDS", "Chuyển đổi số", "31", min_minutes=0.05, max_minutes=1
        )
    return live_url


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
