"""The admin pages in a real browser: add a player and copy its token, shown once."""

from __future__ import annotations

from typing import Any

import pytest

import tests.helpers.browser
from tests.helpers.browser import PASSWORD

admin_url = tests.helpers.browser.admin_url  # a shared fixture

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admin_adds_a_player_and_copies_its_token(admin_url: str, page: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=admin_url)
    page.goto(f"{admin_url}/login")
    page.fill("input[name=username]", "quantri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Quản trị")
    row = page.locator("#station-TN")
    row.locator("input[name=name]").fill("Cụm loa chợ")
    row.locator("form.admin-inline button[type=submit]").click()
    assert page.inner_text("h1").startswith("Đã thêm thiết bị phát")
    shown = page.input_value("#token")
    page.click("#copy-token")
    page.wait_for_selector("#copied", state="visible")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == shown and len(shown) >= 40
    answer = page.request.get(
        f"{admin_url}/api/v1/player/schedule", headers={"Authorization": f"Bearer {copied}"}
    )
    assert answer.status == 200
    page.click("text=Đã lưu, quay lại")
    assert "Cụm loa chợ" in page.inner_text("#station-TN") and shown not in page.content()
