"""The admin pages issue a player's broker login with its token and take it back with it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from loa.db import transaction
from loa.player.broker import player_password
from loa.services import Services
from loa.stations.broker_auth import mosquitto_hash_matches, players_password_lines
from loa.stations.models import Player
from loa.web.users import add_user
from tests.helpers.admin import post
from tests.helpers.factories import two_wards
from tests.helpers.web import PASSWORD, login

LOGIN = re.compile(r'id="mqtt-username">([^<]+)</code> /\s*<code id="mqtt-password">([^<]+)<')
TOKEN = re.compile(r'id="token" value="([^"]+)"')


@pytest.fixture
def tree(services: Services) -> None:
    """Hải Phòng with two wards and an admin of one of them."""
    with transaction(services.sessions) as s:
        two_wards(s)
        add_user(s, "quantrixa", PASSWORD, "admin", "11560")


def token_of(answer: Any) -> str:
    found = TOKEN.search(answer.get_data(as_text=True))
    assert found, "no token on the page"
    return found.group(1)


def player_id(services: Services, name: str) -> int:
    with transaction(services.sessions) as s:
        return s.scalars(select(Player.id).where(Player.name == name)).one()


def shown_login(answer: Any) -> tuple[str, str]:
    found = LOGIN.search(answer.get_data(as_text=True))
    assert found, "no broker login on the page"
    return found.group(1), found.group(2)


def stored_hash(services: Services, number: int) -> str | None:
    with transaction(services.sessions) as s:
        return s.get_one(Player, number).broker_password_hash


@pytest.mark.usefixtures("tree")
def test_add_rotate_revoke_on_the_pages_carry_the_broker_login(
    client: Any, services: Services
) -> None:
    login(client, "quantrixa")
    added = post(client, "/admin/stations/TN/players", name="Cụm loa chợ", mode="live")
    number = player_id(services, "Cụm loa chợ")
    username, password = shown_login(added)
    assert username == str(number) and password == player_password(token_of(added))
    assert mosquitto_hash_matches(password, stored_hash(services, number) or "")
    rotated = post(client, f"/admin/players/{number}/rotate")
    new_password = shown_login(rotated)[1]
    assert new_password != password
    assert mosquitto_hash_matches(new_password, stored_hash(services, number) or "")
    post(client, f"/admin/players/{number}/revoke")
    assert stored_hash(services, number) is None
    with transaction(services.sessions) as s:
        lines, _without = players_password_lines(s)
    assert not any(line.startswith(f"{number}:") for line in lines)
