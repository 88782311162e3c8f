"""Loudspeaker zones: the migration, `loa zone`, `loa player add --zone` (design §4)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from loa import migrate
from tests.conftest import Loa


@pytest.mark.both_databases
def test_migration_gives_existing_stations_a_default_zone_holding_their_players(
        empty_database_url: str) -> None:
    config = migrate.alembic_config(empty_database_url)
    command.upgrade(config, "0009_offers")
    engine = create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO admin_unit (id, code, name, level) "
                              "VALUES (1, '11560', 'Phường Thủy Nguyên', 'commune')"))
            conn.execute(text("INSERT INTO station (id, code, unit_id, name, kind, timezone, "
                              "windows) VALUES (1, 'TN', 1, 'Đài Thủy Nguyên', 'commune', "
                              "'Asia/Ho_Chi_Minh', '[]'), (2, 'TH', 1, 'Đài Thiên Hương', "
                              "'commune', 'Asia/Ho_Chi_Minh', '[]')"))
            conn.execute(text("INSERT INTO player (id, station_id, name, token_hash, mode, "
                              "revoked, health) VALUES (1, 2, 'Cụm loa TH', 'h1', 'prefetch', "
                              "false, '{}')"))
        command.upgrade(config, "0010_zones")
        with engine.connect() as conn:
            zones = conn.execute(text(
                "SELECT station_id, code, language FROM zone ORDER BY station_id")).all()
            assert [tuple(z) for z in zones] == [(1, "chung", "vi"), (2, "chung", "vi")]
            in_zone = conn.execute(text(
                "SELECT zone.station_id, zone.code FROM player "
                "JOIN zone ON zone.id = player.zone_id")).one()
            assert tuple(in_zone) == (2, "chung")
        assert "zones" in {c["name"] for c in inspect(engine).get_columns("station_month_snapshot")}
        assert "programme_variant" in inspect(engine).get_table_names()
        command.downgrade(config, "0009_offers")
        engine.dispose()
        assert not {"zone", "programme_variant"} & set(inspect(engine).get_table_names())
        assert "zone_id" not in {c["name"] for c in inspect(engine).get_columns("player")}
        assert "zones" not in {
            c["name"] for c in inspect(engine).get_columns("station_month_snapshot")}
        with engine.connect() as conn:  # the players stay
            assert conn.execute(text("SELECT name FROM player")).scalar() == "Cụm loa TH"
        migrate.upgrade(empty_database_url)
        engine.dispose()
        assert "zone" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.fixture
def station(loa: Loa) -> Loa:
    loa("unit", "add", "31", "Thành phố Hải Phòng", "--level", "province")
    loa("unit", "add", "11560", "Phường Thủy Nguyên", "--level", "commune", "--parent", "31")
    loa("station", "add", "TN", "--unit", "11560", "--name", "Đài Thủy Nguyên")
    return loa


def test_a_new_station_has_its_default_zone_and_takes_more(station: Loa) -> None:
    loa = station
    assert loa("zone", "list", "TN").splitlines() == ["chung\tvi\t0\tToàn đài"]
    said = loa("zone", "add", "TN", "na-hang", "--name", "Cụm thôn Nà Hang",
               "--language", "hmn")
    assert "na-hang" in said
    loa("player", "add", "TN", "--name", "Loa Nà Hang", "--zone", "na-hang")
    loa("player", "add", "TN", "--name", "Loa trung tâm")
    assert loa("zone", "list", "TN").splitlines() == [
        "chung\tvi\t0\tToàn đài",  # players count once enrolled (they have no key yet)
        "na-hang\thmn\t0\tCụm thôn Nà Hang",
    ]


@pytest.mark.parametrize(
    "args,message",
    [
        (("zone", "add", "TN", "chung", "--name", "Lần nữa"), "zone already exists"),
        (("zone", "add", "TN", "thôn 1", "--name", "Thôn 1"), "zone code"),
        (("zone", "add", "TN", "t1", "--name", " "), "a zone needs a name"),
        (("zone", "add", "TN", "t1", "--name", "Thôn 1", "--language", "H'Mông"), "language"),
        (("zone", "add", "XX", "t1", "--name", "Thôn 1"), "station not found"),
        (("zone", "list", "XX"), "station not found"),
        (("player", "add", "TN", "--name", "Loa", "--zone", "khong-co"), "no such zone"),
    ],
)
def test_bad_zone_input_is_refused_in_both_languages(
        station: Loa, args: tuple[str, ...], message: str) -> None:
    said = station(*args, ok=False)
    assert message in said
