"""Bulletins and relay slots that name zones, and bulletins recorded in a zone's language
(issue 17 §4; design §4 "Bulletins", §5, §6).

Ward 11560's station TN has its default zone "chung" (Vietnamese) with player Loa TN,
and the zone "na-hang" (H'Mông, hmn) with player Loa Nà Hang; both enrolled.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, inspect, select, text

import tests.helpers.bulletins
from loa import migrate
from loa.clock import FrozenClock
from loa.compliance import keylog
from loa.db import transaction
from loa.playlists.bulletin_delivery import delivery, stations_played
from loa.playlists.bulletins import get_bulletin
from loa.playlists.models import Bulletin, BulletinDelivery, BulletinSlot, BulletinSlotStatus
from loa.scheduler.bulletin_slots import settle_slots
from loa.services import Services
from loa.stations.models import Player
from loa.stations.players import add_player
from loa.stations.service import get_station
from loa.stations.zones import add_zone, get_zone
from tests.conftest import Loa
from tests.helpers.bulletins import _signed, auth, send
from tests.helpers.editor import tone

tree = tests.helpers.bulletins.tree  # a shared fixture
TOLERANCE = timedelta(minutes=5)


@pytest.fixture(scope="module")
def hmong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short recording read in H'Mông (a tone stands in for the voice)."""
    return tone(tmp_path_factory.mktemp("hmong") / "ban-hmong.mp3", 3)


@pytest.fixture
def zoned(services: Services, tree: dict[str, tuple[int, str]]) -> dict[str, Any]:
    """TN with its Nà Hang zone; each of its two players enrolled with a key: name ->
    (player id, token, key)."""
    keys = {"chung": Ed25519PrivateKey.generate(), "na-hang": Ed25519PrivateKey.generate()}
    with transaction(services.sessions) as s:
        add_zone(s, "TN", "na-hang", "Cụm thôn Nà Hang", "hmn")
        far, token = add_player(s, "TN", "Loa Nà Hang", zone_code="na-hang")
        found = {"chung": (tree["TN"][0], tree["TN"][1]), "na-hang": (far.id, token)}
        for zone, (player_id, _token) in found.items():
            raw = base64.b64encode(keys[zone].public_key().public_bytes_raw()).decode()
            keylog.enrol(s, s.get_one(Player, player_id), raw, services.clock.now())
    return {zone: (*found[zone], keys[zone]) for zone in found}


def zone_of(s: Any, code: str) -> Any:
    return get_zone(s, get_station(s, "TN"), code)


def fetch(client: FlaskClient, token: str, sha: str) -> int:
    return client.get(f"/api/v1/audio/{sha}", headers=auth(token)).status_code


def play(client: FlaskClient, clock: FrozenClock, player: tuple[int, str, Any],
         bulletin_id: int, sha: str, duration_ms: int, start: datetime,
         **detail: Any) -> dict[str, Any]:
    """The player plays the bulletin through from ``start`` and reports it once it ended."""
    _id, token, key = player
    clock.set(max(clock.now(), start + timedelta(milliseconds=duration_ms, seconds=1)))
    end = start + timedelta(milliseconds=duration_ms)
    events = [
        _signed(key, type="bulletin.started", bulletin_id=bulletin_id, sha256=sha,
                at=start.isoformat(), detail={"clock_offset_ms": 0, **detail}),
        _signed(key, type="bulletin.completed", bulletin_id=bulletin_id, sha256=sha,
                played_ms=duration_ms, at=end.isoformat(),
                detail={"clock_offset_ms": 0, **detail}),
    ]
    return client.post("/api/v1/player/events", json={"events": events},
                       headers=auth(token)).json


def emergencies(client: FlaskClient, token: str) -> list[dict[str, Any]]:
    return client.get("/api/v1/player/bulletins", headers=auth(token)).json["bulletins"]


@pytest.mark.both_databases
def test_a_bulletin_for_the_hmong_zone_reaches_its_players_alone_and_counts_there(
        services: Services, zoned: dict[str, Any], client: FlaskClient, clock: FrozenClock,
        hmong: Path) -> None:
    centre, far = zoned["chung"], zoned["na-hang"]
    with transaction(services.sessions) as s:
        sent = send(services, s, zone_targets=[zone_of(s, "na-hang")],
                    variants={"hmn": hmong})
        bulletin_id, master, sent_at = sent.id, sent.asset_sha256, sent.sent_at
        variant = sent.variants[0]
        rows = s.scalars(select(BulletinDelivery).where(
            BulletinDelivery.bulletin_id == bulletin_id)).all()
        assert [(r.player_id, r.asset_sha256) for r in rows] == [(far[0], variant.asset_sha256)]
    # Only Nà Hang lists it, with the H'Mông audio; the centre hears nothing of it.
    listed = emergencies(client, far[1])
    assert [(b["id"], b["audio"]["sha256"]) for b in listed] == [
        (bulletin_id, variant.asset_sha256)]
    assert listed[0]["audio"]["url"] == f"/api/v1/audio/{variant.asset_sha256}"
    assert listed[0]["audio"]["duration_ms"] == variant.duration_ms
    assert emergencies(client, centre[1]) == []
    assert fetch(client, centre[1], variant.asset_sha256) == 404
    assert fetch(client, centre[1], master) == 404
    assert fetch(client, far[1], master) == 404  # not its zone's audio
    assert fetch(client, far[1], variant.asset_sha256) == 200
    start = sent_at + timedelta(seconds=2)
    answer = play(client, clock, far, bulletin_id, variant.asset_sha256, variant.duration_ms,
                  start, repeat=0)
    assert answer["rejected"] == []
    refused = play(client, clock, centre, bulletin_id, master, sent.duration_ms, start, repeat=0)
    assert {r["reason"] for r in refused["rejected"]} == {
        f"thông báo {bulletin_id} chỉ gửi tới cụm loa khác của đài "
        "(bulletin not sent to this player's zone)"}
    with transaction(services.sessions) as s:
        # The centre, not targeted, is not waited for: TN played it.
        assert stations_played(s, [bulletin_id]) == {bulletin_id: (1, 1)}
        (tn,) = delivery(s, get_bulletin(s, bulletin_id))
        assert [(z.code, z.sha256, len(z.rows)) for z in tn.zones] == [
            ("na-hang", variant.asset_sha256, 1)]
        assert tn.state(clock.now())[0] == "completed"


@pytest.mark.both_databases
def test_a_whole_station_bulletin_plays_each_zones_audio_and_waits_for_both(
        services: Services, zoned: dict[str, Any], client: FlaskClient, clock: FrozenClock,
        hmong: Path, env: dict[str, str]) -> None:
    centre, far = zoned["chung"], zoned["na-hang"]
    with transaction(services.sessions) as s:
        sent = send(services, s, unit="11560", station_targets=[get_station(s, "TN")],
                    variants={"hmn": hmong})
        bulletin_id, master, sent_at = sent.id, sent.asset_sha256, sent.sent_at
        duration, variant = sent.duration_ms, sent.variants[0]
    assert [b["audio"]["sha256"] for b in emergencies(client, centre[1])] == [master]
    assert [b["audio"]["sha256"] for b in emergencies(client, far[1])] == [variant.asset_sha256]
    assert fetch(client, centre[1], master) == 200
    assert fetch(client, far[1], variant.asset_sha256) == 200
    start = sent_at + timedelta(seconds=2)
    # Nà Hang reporting the Vietnamese audio is not its zone's play.
    wrong = play(client, clock, far, bulletin_id, master, duration, start, repeat=0)
    assert {r["reason"] for r in wrong["rejected"]} == {
        "sha256 khác âm thanh của thông báo ở cụm loa này "
        "(sha256 is not the bulletin's audio for this zone)"}
    assert play(client, clock, far, bulletin_id, variant.asset_sha256, variant.duration_ms,
                start, repeat=0)["rejected"] == []
    with transaction(services.sessions) as s:
        assert stations_played(s, [bulletin_id]) == {bulletin_id: (0, 1)}  # the centre waits
    shown = json.loads(Loa(env | {"LOA_NOW": clock.now().isoformat()})(
        "bulletin", "show", str(bulletin_id), "--format", "json"))
    assert shown["variants"] == [{"language": "hmn", "sha256": variant.asset_sha256,
                                  "duration_ms": variant.duration_ms}]
    (tn,) = shown["delivery"]
    assert (tn["station"], tn["completed"], shown["completed"]) == ("TN", False, 0)
    assert [(z["zone"], z["language"], z["sha256"], z["completed"]) for z in tn["zones"]] == [
        ("chung", "vi", master, False), ("na-hang", "hmn", variant.asset_sha256, True)]
    assert play(client, clock, centre, bulletin_id, master, duration,
                start, repeat=0)["rejected"] == []
    with transaction(services.sessions) as s:
        assert stations_played(s, [bulletin_id]) == {bulletin_id: (1, 1)}


@pytest.mark.both_databases
def test_a_zone_without_a_player_in_use_is_not_waited_for(
        services: Services, zoned: dict[str, Any], client: FlaskClient, clock: FrozenClock,
        hmong: Path) -> None:
    """Its player was added but never came online: the station played once the zones in use
    did, as its month is counted (the zone still shows, waiting)."""
    with transaction(services.sessions) as s:
        add_zone(s, "TN", "ban-moi", "Cụm bản mới", "hmn")
        add_player(s, "TN", "Loa bản mới", zone_code="ban-moi")  # never enrolled
        sent = send(services, s, unit="11560", station_targets=[get_station(s, "TN")],
                    variants={"hmn": hmong})
        bulletin_id, master, duration = sent.id, sent.asset_sha256, sent.duration_ms
        variant, start = sent.variants[0], sent.sent_at + timedelta(seconds=2)
    heard = (("chung", master, duration), ("na-hang", variant.asset_sha256, variant.duration_ms))
    for zone, sha, _length in heard:
        assert fetch(client, zoned[zone][1], sha) == 200
    for zone, sha, length in heard:
        assert play(client, clock, zoned[zone], bulletin_id, sha, length, start,
                    repeat=0)["rejected"] == []
    with transaction(services.sessions) as s:
        assert stations_played(s, [bulletin_id]) == {bulletin_id: (1, 1)}
        (tn,) = delivery(s, get_bulletin(s, bulletin_id))
        assert {z.code: z.state(clock.now())[0] for z in tn.zones} == {
            "chung": "completed", "na-hang": "completed", "ban-moi": "waiting"}
        assert tn.state(clock.now())[0] == "completed"


def test_a_placed_bulletin_for_a_zone_is_in_its_schedule_alone_and_airs_its_slot(
        services: Services, zoned: dict[str, Any], client: FlaskClient, clock: FrozenClock,
        hmong: Path) -> None:
    centre, far = zoned["chung"], zoned["na-hang"]
    with transaction(services.sessions) as s:
        sent = send(services, s, unit="11560", priority="normal",
                    zone_targets=[zone_of(s, "na-hang")], variants={"hmn": hmong})
        bulletin_id, variant = sent.id, sent.variants[0]
        slot = s.scalars(select(BulletinSlot).where(BulletinSlot.bulletin_id == bulletin_id)).one()
        slot_id, slot_start = slot.id, slot.starts_at
        # the slot holds the air of the longer audio, the H'Mông one here
        assert slot.ends_at - slot.starts_at == timedelta(milliseconds=sent.air_ms)
        assert sent.air_ms == max(sent.duration_ms, variant.duration_ms)

    def placed(token: str) -> list[dict[str, Any]]:
        answer = client.get("/api/v1/player/schedule", headers=auth(token))
        return answer.json["bulletins"]

    assert placed(centre[1]) == []
    (entry,) = placed(far[1])
    assert (entry["slot_id"], entry["audio"]["sha256"]) == (slot_id, variant.asset_sha256)
    assert entry["audio"]["duration_ms"] == variant.duration_ms
    assert fetch(client, far[1], variant.asset_sha256) == 200
    assert play(client, clock, far, bulletin_id, variant.asset_sha256, variant.duration_ms,
                slot_start, slot_id=slot_id)["rejected"] == []
    with transaction(services.sessions) as s:
        settled = settle_slots(s, clock.now(), TOLERANCE)
        assert settled == {BulletinSlotStatus.aired: 1}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--variant", "vi={file}"), "an ISO 639 code other than vi"),
        (("--variant", "H'Mông={file}"), "an ISO 639 code other than vi"),
        (("--variant", "km={file}"), "no targeted zone speaks km"),
        (("--variant", "hmn={corrupt}"), "the hmn recording is not usable audio"),
        (("--variant", "hmn"), "--variant needs LANG=FILE"),
        (("--variant", "hmn={file}", "--variant", "hmn={file}"), "language given twice"),
        (("--zone", "khong-co"), "no such zone"),
        (("--station", "TH", "--zone", "na-hang"), "--zone needs exactly one --station"),
    ],
)
def test_bad_zones_and_recordings_are_refused_and_nothing_is_kept(
        services: Services, zoned: dict[str, Any], loa: Loa, hmong: Path, tmp_path: Path,
        extra: tuple[str, ...], message: str) -> None:
    corrupt = tmp_path / "hong.mp3"
    corrupt.write_bytes(b"ID3 not really audio" * 50)
    args = [a.format(file=hmong, corrupt=corrupt) for a in extra]
    said = loa("bulletin", "send", "--unit", "11560", "--station", "TN", "--zone", "na-hang",
               "--priority", "emergency", "--text", "Bão số 3", *args, ok=False)
    assert message in said
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count(Bulletin.id))) == 0


def test_the_command_line_sends_to_a_zone_with_its_recording(
        services: Services, zoned: dict[str, Any], loa: Loa, hmong: Path) -> None:
    sent = int(loa("bulletin", "send", "--unit", "11560", "--station", "TN", "--zone",
                   "na-hang", "--priority", "emergency", "--text", "Bão số 3",
                   "--variant", f"hmn={hmong}").strip())
    shown = json.loads(loa("bulletin", "show", str(sent), "--format", "json"))
    assert shown["zone_targets"] == ["TN/na-hang"]
    (tn,) = shown["delivery"]
    assert [(z["zone"], z["sha256"]) for z in tn["zones"]] == [
        ("na-hang", shown["variants"][0]["sha256"])]
    text = loa("bulletin", "show", str(sent))
    assert f"  na-hang\thmn\twaiting\t{shown['variants'][0]['sha256']}" in text



@pytest.mark.both_databases
def test_migration_names_each_delivery_its_bulletins_audio_and_goes_back(
        empty_database_url: str) -> None:
    config = migrate.alembic_config(empty_database_url)
    command.upgrade(config, "0010_zones")
    engine = create_engine(empty_database_url)
    sha = "ab" * 32
    try:
        with engine.begin() as conn:
            for statement in (
                "INSERT INTO admin_unit (id, code, name, level, emergency_roles) "
                "VALUES (1, '11560', 'Phường Thủy Nguyên', 'commune', 'leader,admin')",
                "INSERT INTO station (id, code, unit_id, name, kind, timezone, windows) "
                "VALUES (1, 'TN', 1, 'Đài TN', 'commune', 'Asia/Ho_Chi_Minh', '[]')",
                "INSERT INTO player (id, station_id, name, token_hash, mode, revoked, health) "
                "VALUES (1, 1, 'Loa TN', 'h1', 'prefetch', false, '{}')",
                f"INSERT INTO audio_asset (sha256, duration_ms, format, bytes) "
                f"VALUES ('{sha}', 9000, 'mp3', 100)",
                f"INSERT INTO bulletin (id, unit_id, title, priority, status, asset_sha256, "
                f"duration_ms, valid_from, valid_until, repeat_count, repeat_every_s, "
                f"created_at, updated_at, on_the_hour, night) VALUES (1, 1, 'Bão', "
                f"'emergency', 'active', '{sha}', 9000, '2026-12-01 01:00:00', "
                f"'2026-12-02 01:00:00', 1, 0, '2026-12-01 01:00:00', "
                f"'2026-12-01 01:00:00', false, false)",
                "INSERT INTO bulletin_delivery (id, bulletin_id, station_id, player_id, plays) "
                "VALUES (1, 1, 1, 1, 0)",
            ):
                conn.execute(text(statement))
        command.upgrade(config, "0011_zone_targets")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT asset_sha256 FROM bulletin_delivery")).scalar() == sha
        found = inspect(engine)
        assert {"relay_slot_zone", "bulletin_variant"} <= set(found.get_table_names())
        assert "zone_id" in {c["name"] for c in found.get_columns("bulletin_target")}
        command.downgrade(config, "0010_zones")
        engine.dispose()
        found = inspect(engine)
        assert not {"relay_slot_zone", "bulletin_variant"} & set(found.get_table_names())
        assert "zone_id" not in {c["name"] for c in found.get_columns("bulletin_target")}
        assert "asset_sha256" not in {c["name"] for c in found.get_columns("bulletin_delivery")}
        with engine.connect() as conn:  # the delivery stays
            assert conn.execute(text("SELECT player_id FROM bulletin_delivery")).scalar() == 1
        migrate.upgrade(empty_database_url)
        assert not migrate.pending(empty_database_url)
    finally:
        engine.dispose()
