"""Create and rotate answer with a redirect (issue 15 §8): a reload never makes a second one."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from sqlalchemy import func, select

from loa.db import transaction
from loa.services import Services
from loa.stations.models import Player, Station
from tests.helpers.accounts import (
    admins,  # noqa: F401  (the fixture, bound by name)
    logged_in,
    player_id,
    post_once,
    schedule_status,
    token_of,
)
from tests.helpers.web import PASSWORD

SHOWN = "đã được hiển thị lúc"


def players(services: Services) -> int:
    with transaction(services.sessions) as s:
        return s.scalar(select(func.count()).select_from(Player)) or 0


@pytest.mark.usefixtures("admins")
def test_adding_a_player_redirects_and_a_reload_says_the_token_was_shown(
    app: Flask, services: Services
) -> None:
    admin = logged_in(app, "quantrixa")
    answer = post_once(admin, "/admin/stations/TN/players", name="Cụm loa chợ", mode="prefetch")
    assert answer.status_code == 303
    page_url = answer.headers["Location"]
    shown = admin.get(page_url)
    assert shown.headers["Cache-Control"] == "no-store"
    token = token_of(shown)
    reload = admin.get(page_url)
    text = reload.get_data(as_text=True)
    assert reload.status_code == 200 and SHOWN in text and token not in text
    assert players(services) == 1 and schedule_status(admin, token) == 200
    # Another admin (the province's) cannot open it, even before it is shown.
    second = post_once(admin, "/admin/stations/TN/players", name="Cụm loa 2")
    assert logged_in(app, "quantri").get(second.headers["Location"]).status_code == 404
    assert token_of(admin.get(second.headers["Location"]))  # still shown to its maker


@pytest.mark.usefixtures("admins")
def test_a_rotation_is_shown_once_and_a_reload_never_rotates_again(
    app: Flask, services: Services
) -> None:
    admin = logged_in(app, "quantri")
    first = token_of(admin.get(post_once(admin, "/admin/stations/TH/players",
                                         name="Cụm loa 1").headers["Location"]))
    answer = post_once(admin, f"/admin/players/{player_id(services, 'Cụm loa 1')}/rotate")
    assert answer.status_code == 303
    rotated = token_of(admin.get(answer.headers["Location"]))
    assert SHOWN in admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert schedule_status(admin, first) == 401 and schedule_status(admin, rotated) == 200


@pytest.mark.usefixtures("admins")
def test_an_import_with_players_redirects_to_its_tokens_once(
    app: Flask, services: Services
) -> None:
    admin = logged_in(app, "quantrixa")
    csv = "code,unit,name,windows,players\nTN3,11560,Đài ba,05:30-06:30,Loa chợ;Loa đình\n"
    answer = post_once(admin, "/admin/stations/import",
                       file=(io.BytesIO(csv.encode()), "stations.csv"))
    assert answer.status_code == 303
    page = admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Đã thêm 1 đài" in page and "Loa chợ" in page and "Loa đình" in page
    assert SHOWN in admin.get(answer.headers["Location"]).get_data(as_text=True)
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count()).select_from(Station)
                        .where(Station.code == "TN3")) == 1
    assert players(services) == 2


@pytest.mark.usefixtures("admins")
def test_adding_a_station_or_a_user_redirects_too(app: Flask) -> None:
    admin = logged_in(app, "quantrixa")
    answer = post_once(admin, "/admin/stations", code="TN9", unit="11560", name="Đài 9",
                       windows="05:00-06:00")
    assert answer.status_code in (302, 303) and answer.headers["Location"].endswith("/admin/")
    answer = post_once(admin, "/admin/users", username="xa9", role="operator", unit="11560",
                       password=PASSWORD)
    assert answer.status_code in (302, 303) and answer.headers["Location"].endswith("/users")
