"""An operator's extra airing naming zones (issue 17 §4; design §4 "What zones hear", §6):
on those zones' players' schedules alone, counted there alone, refused from other zones.

TN (ward 11560) has its December planned: three airings of CDS reaching every zone; its
default zone "chung" and the zone "na-hang" each have an enrolled player.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from flask.testing import FlaskClient
from sqlalchemy import create_engine, insert, inspect, select

from loa import migrate
from loa.db import transaction
from loa.playlists.campaigns import get_campaign
from loa.playlists.models import Airing, airing_zone
from loa.scheduler.edits import add_airing
from loa.services import Services
from loa.stations.service import get_station
from loa.stations.zones import get_zone
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.bulletins import auth
from tests.helpers.web import PASSWORD, csrf, login
from tests.test_zones_counting import play, report, two_zones

__all__ = ["two_zones"]  # a shared fixture
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def free_evening(zones: dict[str, Any]) -> str:
    """17:30 on the first December day from the 2nd on with no planned airing, as the form
    and the command line take it."""
    taken = {a.starts_at.astimezone(VN).date() for a in zones["airings"]}
    day = next(d for d in (datetime(2026, 12, n).date() for n in range(2, 31))
               if d not in taken)
    return datetime.combine(day, time(17, 30)).isoformat(timespec="minutes")


def schedule_ids(client: FlaskClient, token: str) -> list[int]:
    answer = client.get("/api/v1/player/schedule", headers=auth(token))
    assert answer.status_code == 200, answer.status_code
    return [a["id"] for a in answer.json["airings"]]


@pytest.mark.both_databases
def test_an_airing_for_na_hang_is_on_its_schedule_alone_and_counts_there_alone(
        services: Services, loa: Loa, env: dict[str, str], client: FlaskClient,
        two_zones: dict[str, Any]) -> None:
    extra = int(loa("airing", "add", "TN", "--campaign", "CDS", "--at",
                    free_evening(two_zones), "--zone", "na-hang").strip())
    planned = [a.id for a in two_zones["airings"]]
    centre, far = two_zones["tokens"]
    assert set(schedule_ids(client, far)) == {*planned, extra}
    assert set(schedule_ids(client, centre)) == set(planned)  # the centre never hears it
    with transaction(services.sessions) as s:
        airing = s.get_one(Airing, extra)
        assert [z.code for z in airing.zones] == ["na-hang"]
    play(services, two_zones, 0, 3)
    play(services, two_zones, 1, 3)
    # Nà Hang plays its extra airing: its count rises; the centre's report of it is refused.
    play(services, two_zones, 1, 1, [airing])
    refused = play(services, two_zones, 0, 0, [airing])
    assert [r["reason"] for r in refused.rejected] == [
        f"lượt phát {extra} chỉ gửi tới cụm loa khác của đài "
        "(airing not sent to this player's zone)"]
    row = report(env)
    assert [(z["code"], z["counted"]) for z in row["zones"]] == [("chung", 3), ("na-hang", 4)]
    assert (row["status"], row["counted"]) == ("compliant", 3)


@pytest.mark.both_databases
def test_a_report_from_a_zone_the_airing_does_not_name_never_counts_there(
        services: Services, env: dict[str, str], two_zones: dict[str, Any]) -> None:
    """The centre's reports were logged before the first airing came to name Nà Hang alone
    (as a database edit would): the rule, not ingest alone, keeps them out of its count."""
    play(services, two_zones, 0, 3)
    play(services, two_zones, 1, 3)
    with transaction(services.sessions) as s:
        zone = get_zone(s, get_station(s, "TN"), "na-hang")
        s.execute(insert(airing_zone).values(airing_id=two_zones["airings"][0].id,
                                             zone_id=zone.id))
    row = report(env)
    assert [(z["code"], z["counted"]) for z in row["zones"]] == [("chung", 2), ("na-hang", 3)]
    assert (row["status"], row["counted"]) == ("short", 2)


def test_the_command_line_refuses_an_unknown_zone_and_another_stations_zone(
        services: Services, loa: Loa, two_zones: dict[str, Any]) -> None:
    at = free_evening(two_zones)
    said = loa("airing", "add", "TN", "--campaign", "CDS", "--at", at, "--zone", "khong-co",
               ok=False)
    assert "Không tìm thấy cụm loa 'khong-co' ở đài TN (no such zone)" in said
    # TH's zones are not TN's: named by code they are unknown there, passed as rows refused.
    with transaction(services.sessions) as s:
        tn, th = get_station(s, "TN"), get_station(s, "TH")
        with pytest.raises(Exception, match=r"cụm loa chung không thuộc đài TN "
                                            r"\(zone of another station\)"):
            add_airing(s, tn, get_campaign(s, "CDS"),
                       datetime.fromisoformat(at).replace(tzinfo=VN), services.clock.now(),
                       timedelta(minutes=1), [get_zone(s, th, "chung")])
    said = loa("airing", "add", "TN", "--campaign", "CDS", "--at", at)
    assert said.strip().isdigit()  # no zone named: every zone, as before


@pytest.mark.both_databases
def test_migration_adds_airing_zone_and_goes_back(empty_database_url: str) -> None:
    config = migrate.alembic_config(empty_database_url)
    command.upgrade(config, "0011_zone_targets")
    engine = create_engine(empty_database_url)
    try:
        assert "airing_zone" not in inspect(engine).get_table_names()
        command.upgrade(config, "0012_airing_zones")
        found = inspect(engine)
        assert {c["name"] for c in found.get_columns("airing_zone")} == {"airing_id", "zone_id"}
        command.downgrade(config, "0011_zone_targets")
        engine.dispose()
        assert "airing_zone" not in inspect(engine).get_table_names()
        migrate.upgrade(empty_database_url)
        assert not migrate.pending(empty_database_url)
    finally:
        engine.dispose()


def test_the_station_page_adds_an_airing_for_the_zones_ticked(
        services: Services, client: FlaskClient, two_zones: dict[str, Any]) -> None:
    """TN (two zones) offers its zones as checkboxes; TH (one) offers none; a zone code the
    station lacks is refused."""
    with transaction(services.sessions) as s:
        add_user(s, "vh-tn", PASSWORD, "operator", "31")
    login(client, "vh-tn")
    page = client.get("/stations/TN?month=2026-12").get_data(as_text=True)
    assert 'id="airing-zones"' in page and 'value="na-hang"' in page
    assert 'id="airing-zones"' not in client.get("/stations/TH?month=2026-12").get_data(
        as_text=True)
    form = {"campaign": "CDS", "starts_at": free_evening(two_zones), "month": "2026-12",
            "csrf_token": csrf(page.encode())}
    refused = client.post("/stations/TN/airings", data=form | {"zone": "khong-co"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Không tìm thấy cụm loa &#39;khong-co&#39; ở đài TN" in refused
    shown = client.post("/stations/TN/airings", data=form | {"zone": "na-hang"},
                        follow_redirects=True).get_data(as_text=True)
    assert "chỉ cụm loa: Cụm thôn Nà Hang" in shown
    with transaction(services.sessions) as s:
        added = s.scalars(select(Airing).where(
            Airing.station_id == two_zones["airings"][0].station_id,
            Airing.id.not_in([a.id for a in two_zones["airings"]]))).all()
        assert [[z.code for z in a.zones] for a in added] == [["na-hang"]]
