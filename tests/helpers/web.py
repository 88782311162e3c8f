"""Web pages through the Flask test client: the password, CSRF token, login, a commune tree."""

from __future__ import annotations

import re
from typing import Any

import pytest

from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.services import Services
from loa.web.users import add_user
from tests.helpers.factories import two_wards

PASSWORD = "mat-khau-dai-2026"


@pytest.fixture
def tree(services: Services) -> None:
    with transaction(services.sessions) as s:
        two_wards(s)
        add_user(s, "tinh", PASSWORD, "auditor", "31")
        add_user(s, "xa", PASSWORD, "operator", "11560")
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31")


def csrf(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "form without a CSRF token"
    return found.group(1).decode()


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    token = csrf(client.get("/login").data)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=True,
    )
