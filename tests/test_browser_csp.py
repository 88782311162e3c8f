"""The pages under the Content-Security-Policy in a real browser: nothing refused, confirms work."""

from __future__ import annotations

from typing import Any

import pytest

import tests.helpers.browser
from loa.db import transaction
from loa.services import Services
from loa.stations.players import add_player
from tests.helpers.browser import PASSWORD

admin_url = tests.helpers.browser.admin_url  # a shared fixture

pytestmark = pytest.mark.browser
PAGES = ["/", "/programmes", "/stations", "/acronyms", "/admin/", "/admin/users",
         "/admin/campaigns"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_page_breaks_the_policy_and_a_confirm_still_asks(
    admin_url: str, page: Any, services: Services
) -> None:
    with transaction(services.sessions) as s:
        add_player(s, "TN", "Cụm loa 'chợ\"", "prefetch")  # quotes: no script in an attribute
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto(f"{admin_url}/login")
    page.fill("input[name=username]", "quantri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    for path in PAGES:
        assert page.goto(f"{admin_url}{path}").status == 200, path
    assert refused == []
    page.goto(f"{admin_url}/admin/")
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()  # "no": the player stays

    page.once("dialog", answer)
    page.click("#station-TN >> text=Thu hồi")
    assert asked == ["Thu hồi thiết bị Cụm loa 'chợ\"?"]  # Vietnamese, no English subtitle
    assert "đã thu hồi" not in page.inner_text("#station-TN")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#station-TN >> text=Thu hồi")
    page.wait_for_selector("#station-TN >> text=đã thu hồi")
    assert refused == []
