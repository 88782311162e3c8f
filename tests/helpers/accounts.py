"""The admin pages and accounts through the test client: an admin at each level, browsers
of their own, tokens on the page, what a station holds and how the overview reads it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from loa.db import transaction
from loa.playlists.models import Airing
from loa.services import Services
from loa.stations.models import Player, Station
from loa.web.users import add_user
from tests.helpers.factories import two_wards
from tests.helpers.web import PASSWORD, csrf, login

TOKEN = re.compile(r'id="token" value="([^"]+)"')


@pytest.fixture
def admins(services: Services) -> None:
    """Hải Phòng with two wards; an admin at each level, and the other roles at a ward."""
    with transaction(services.sessions) as s:
        two_wards(s)
        add_user(s, "quantri", PASSWORD, "admin", "31")
        add_user(s, "quantrixa", PASSWORD, "admin", "11560")
        add_user(s, "canbo", PASSWORD, "operator", "11560")
        add_user(s, "kiemtra", PASSWORD, "auditor", "31")


def logged_in(app: Flask, username: str, password: str = PASSWORD) -> Any:
    """A browser of its own, logged in as ``username``."""
    browser = app.test_client()
    assert "Đăng xuất" in login(browser, username, password).get_data(as_text=True)
    return browser


def is_logged_out(browser: Any) -> bool:
    answer = browser.get("/programmes")
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


def post_once(browser: Any, path: str, **data: Any) -> Any:
    """POST an admin form without following: the answer must send the browser elsewhere."""
    token = csrf(browser.get("/admin/").data)
    return browser.post(path, data={"csrf_token": token, **data})


def token_of(answer: Any) -> str:
    found = TOKEN.search(answer.get_data(as_text=True))
    assert found, "no token on the page"
    return found.group(1)


def schedule_status(client: Any, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return client.get("/api/v1/player/schedule", headers=headers).status_code


def player_id(services: Services, name: str) -> int:
    with transaction(services.sessions) as s:
        return s.scalars(select(Player.id).where(Player.name == name)).one()


def airings_of(services: Services, code: str) -> list[Airing]:
    """A station's airings, in time order (detached: read them after the session)."""
    with transaction(services.sessions) as s:
        station = s.scalar(select(Station).where(Station.code == code))
        assert station is not None
        found = s.scalars(
            select(Airing).where(Airing.station_id == station.id).order_by(Airing.starts_at)
        ).all()
        s.expunge_all()
        return list(found)


def outlook_of(client: Any, code: str, month: str = "2026-12") -> str:
    """How the month overview reads a station: on_track, at_risk, met or failed."""
    overview = client.get(f"/?month={month}").get_data(as_text=True)
    found = re.search(rf'outlook-row-(\w+)">\s*<td[^>]*><a href="/stations/{code}\?', overview)
    assert found, overview
    return found.group(1)
