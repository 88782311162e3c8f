"""Administrator pages: stations, players and their tokens, users, campaigns, own subtree only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from loa.db import transaction
from loa.playlists.models import Campaign
from loa.services import Services
from loa.stations.accounts import User
from loa.stations.models import Player, Station
from tests.helpers.accounts import (
    admins,  # noqa: F401  (the fixture, bound by name)
    player_id,
    schedule_status,
    token_of,
)
from tests.helpers.admin import post
from tests.helpers.web import PASSWORD, csrf, login


@pytest.mark.usefixtures("admins")
def test_admin_adds_a_station_in_own_subtree(client: Any, services: Services) -> None:
    login(client, "quantrixa")
    page = post(
        client,
        "/admin/stations",
        code="TN2",
        unit="11560",
        name="Đài Thủy Nguyên 2",
        windows="05:00-06:00,18:00-19:00",
    ).get_data(as_text=True)
    assert "Đã thêm đài TN2" in page and "05:00-06:00, 18:00-19:00" in page
    assert "Đài Thiên Hương" not in page  # another ward's station stays hidden
    with transaction(services.sessions) as s:
        station = s.scalars(select(Station).where(Station.code == "TN2")).one()
        assert station.unit.code == "11560"


@pytest.mark.usefixtures("admins")
def test_player_token_is_shown_once_and_works(client: Any, services: Services) -> None:
    login(client, "quantrixa")
    answer = post(client, "/admin/stations/TN/players", name="Cụm loa chợ", mode="prefetch")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    token = token_of(answer)
    assert "chỉ hiện một lần" in answer.get_data(as_text=True)
    again = client.get("/admin/").get_data(as_text=True)
    assert "Cụm loa chợ" in again and token not in again
    with transaction(services.sessions) as s:
        stored = s.scalars(select(Player).where(Player.name == "Cụm loa chợ")).one()
        token_hash = stored.token_hash
    # What the database keeps is no key: presented as a token it is refused.
    assert token_hash != token and schedule_status(client, token_hash) == 401
    assert schedule_status(client, token) == 200


@pytest.mark.usefixtures("admins")
def test_rotate_ends_the_old_token_and_revoke_ends_the_new(client: Any, services: Services) -> None:
    login(client, "quantri")
    old = token_of(post(client, "/admin/stations/TH/players", name="Cụm loa 1"))
    number = player_id(services, "Cụm loa 1")
    new = token_of(post(client, f"/admin/players/{number}/rotate"))
    assert new != old
    assert schedule_status(client, old) == 401 and schedule_status(client, new) == 200
    page = post(client, f"/admin/players/{number}/revoke").get_data(as_text=True)
    assert "Đã thu hồi thiết bị Cụm loa 1" in page and "· đã thu hồi" in page
    assert schedule_status(client, new) == 401


@pytest.mark.usefixtures("admins")
def test_commune_admin_cannot_reach_another_commune(client: Any, services: Services) -> None:
    login(client, "quantri")
    foreign = token_of(post(client, "/admin/stations/TH/players", name="Cụm loa TH"))
    number = player_id(services, "Cụm loa TH")
    client.post("/logout", data={"csrf_token": csrf(client.get("/admin/").data)})
    login(client, "quantrixa")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'value="11557"' not in page and 'value="31"' not in page  # unit select: own subtree
    assert post(client, "/admin/stations", code="X", unit="11557", name="X").status_code == 404
    assert post(client, "/admin/stations/TH/players", name="Lạ").status_code == 404
    assert post(client, f"/admin/players/{number}/rotate").status_code == 404
    assert post(client, f"/admin/players/{number}/revoke").status_code == 404
    assert schedule_status(client, foreign) == 200  # untouched
    with transaction(services.sessions) as s:
        assert s.scalar(select(Station).where(Station.code == "X")) is None


@pytest.mark.usefixtures("admins")
def test_commune_admin_cannot_create_a_user_above_their_unit(
    client: Any, services: Services
) -> None:
    login(client, "quantrixa")
    answer = post(
        client, "/admin/users", username="tinh2", role="admin", unit="31", password=PASSWORD
    )
    assert answer.status_code == 404
    page = post(
        client, "/admin/users", username="xa2", role="operator", unit="11560", password=PASSWORD
    ).get_data(as_text=True)
    assert "Đã thêm người dùng xa2" in page
    with transaction(services.sessions) as s:
        assert set(s.scalars(select(User.username).where(User.username.in_(["tinh2", "xa2"])))) == {
            "xa2"
        }


@pytest.mark.usefixtures("admins")
def test_short_password_and_bad_windows_show_the_vietnamese_error(client: Any) -> None:
    login(client, "quantri")
    page = post(
        client, "/admin/users", username="ngan", role="operator", unit="11560", password="ngan"
    ).get_data(as_text=True)
    assert "Mật khẩu cần ít nhất 10 ký tự" in page
    assert "password too short" not in page  # a Vietnamese page is Vietnamese only
    page = post(
        client, "/admin/stations", code="TN3", unit="11560", name="Đài 3", windows="17:00-06:00"
    ).get_data(as_text=True)
    assert "giờ kết thúc phải sau giờ bắt đầu" in page and 'class="flash error"' in page
    page = post(
        client,
        "/admin/stations",
        code="TN3",
        unit="11560",
        name="Đài 3",
        windows="05:00-07:00,06:00-08:00",
    ).get_data(as_text=True)
    assert "chồng lên nhau" in page and "windows overlap" not in page


@pytest.mark.usefixtures("admins")
def test_admin_adds_a_campaign_for_a_unit_in_subtree(client: Any, services: Services) -> None:
    login(client, "quantri")
    page = post(
        client,
        "/admin/campaigns",
        code="ATGT",
        title="An toàn giao thông",
        unit="11557",
        min_airings="4",
        min_minutes="5",
        max_minutes="8",
        first_month="2026-12",
        last_month="",
    ).get_data(as_text=True)
    assert "Đã thêm chiến dịch ATGT" in page and "5–8 phút" in page
    with transaction(services.sessions) as s:
        campaign = s.scalars(select(Campaign).where(Campaign.code == "ATGT")).one()
        assert (campaign.min_airings, campaign.min_s, campaign.max_s) == (4, 300, 480)
        assert (campaign.first_month, campaign.last_month) == ("2026-12", None)
    page = post(
        client,
        "/admin/campaigns",
        code="SAI",
        title="Sai",
        unit="31",
        min_minutes="15",
        max_minutes="10",
    ).get_data(as_text=True)
    assert "thời lượng tối thiểu ≤ tối đa" in page


@pytest.mark.usefixtures("admins")
def test_operators_and_auditors_are_refused(client: Any) -> None:
    for username in ("canbo", "kiemtra"):
        page = login(client, username).data
        assert "Quản trị" not in page.decode()
        for path in ("/admin/", "/admin/users", "/admin/campaigns"):
            assert client.get(path).status_code == 403
        answer = client.post(
            "/admin/stations",
            data={"csrf_token": csrf(page), "code": "Z", "unit": "11560", "name": "Z"},
        )
        assert answer.status_code == 403
        client.post("/logout", data={"csrf_token": csrf(page)})


@pytest.mark.usefixtures("admins")
def test_admin_post_without_csrf_is_refused(client: Any, services: Services) -> None:
    page = login(client, "quantri").get_data(as_text=True)
    assert ">Quản trị</a>" in page
    answer = client.post("/admin/stations", data={"code": "Z", "unit": "11560", "name": "Z"})
    assert answer.status_code == 400
    assert client.post("/admin/stations/TN/players", data={"name": "Z"}).status_code == 400
    with transaction(services.sessions) as s:
        assert s.scalar(select(Station).where(Station.code == "Z")) is None
