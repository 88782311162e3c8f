"""The player HTTP API as a player sees it: schedule, audio, events, enrolment, tokens."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from sqlalchemy import func, select

from loa.compliance.key_entries import SERVER_EVENTS
from loa.compliance.models import AiringLogEntry
from loa.player.keys import sign_event
from loa.playlists.models import Airing, AiringStatus
from loa.stations.models import Player, PlayerKey
from loa.stations.players import revoke_player, rotate_token
from loa.web.player_api import bp, openapi_document
from tests.conftest import START
from tests.players.conftest import BOTH_DATABASES, Signer, World, auth, forge


def log_count(world: World) -> int:
    with world.services.sessions() as session:
        reported = AiringLogEntry.event.not_in(SERVER_EVENTS)  # not the key enrolments
        return session.scalar(select(func.count()).where(reported)) or 0


@BOTH_DATABASES
def test_schedule_lists_own_airings_in_station_time_with_etag(
    client: FlaskClient, world: World
) -> None:
    answer = client.get("/api/v1/player/schedule", headers=auth(world.token))
    assert answer.status_code == 200
    body = answer.json
    assert [a["id"] for a in body["airings"]] == world.airing_ids(0)
    first = body["airings"][0]
    assert first["starts_at"].endswith("+07:00") and "T17:00:00" in first["starts_at"]
    assert first["audio"] == {
        "url": f"/api/v1/audio/{world.sha256}",
        "sha256": world.sha256,
        "bytes": first["audio"]["bytes"],
        "format": "mp3",
    }
    assert first["programme"]["duration_ms"] == 600_000
    assert answer.headers["X-Loa-Server-Time"].startswith("2026-12-01T01:00:00.000000")
    again = client.get(
        "/api/v1/player/schedule",
        headers={**auth(world.token), "If-None-Match": answer.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""
    with world.services.sessions() as session:
        statuses = {
            a.status
            for a in session.scalars(select(Airing).where(Airing.id.in_(world.airing_ids(0))))
        }
    assert statuses == {AiringStatus.published}


@BOTH_DATABASES
def test_polls_all_day_get_304_and_the_next_day_a_new_schedule(
    client: FlaskClient, world: World
) -> None:
    """The default window starts at the station's local midnight, not at the request's
    instant: a player polling every 5 minutes downloads its schedule once a day."""
    morning = client.get("/api/v1/player/schedule", headers=auth(world.token))
    assert morning.json["from"] == "2026-12-01T00:00:00+07:00"
    for hours in (0.1, 3, 8.9):  # 08:06, 11:00, 16:54 local, before the 17:00 airing
        world.clock.set(START + timedelta(hours=hours))
        poll = client.get("/api/v1/player/schedule",
                          headers={**auth(world.token), "If-None-Match": morning.headers["ETag"]})
        assert poll.status_code == 304, hours
    world.clock.set(START + timedelta(hours=16, minutes=30))  # 00:30 on 2 December
    tomorrow = client.get("/api/v1/player/schedule",
                          headers={**auth(world.token), "If-None-Match": morning.headers["ETag"]})
    assert tomorrow.status_code == 200
    assert tomorrow.json["from"] == "2026-12-02T00:00:00+07:00"
    assert tomorrow.headers["ETag"] != morning.headers["ETag"]


def test_schedule_changes_etag_and_honours_from_to(client: FlaskClient, world: World) -> None:
    first = client.get("/api/v1/player/schedule", headers=auth(world.token))
    new_id = world.add_airing(world.clock.now() + timedelta(days=3))
    second = client.get(
        "/api/v1/player/schedule",
        headers={**auth(world.token), "If-None-Match": first.headers["ETag"]},
    )
    assert second.status_code == 200 and new_id in [a["id"] for a in second.json["airings"]]
    window = client.get(
        "/api/v1/player/schedule?from=2026-12-02&to=2026-12-02", headers=auth(world.token)
    )
    assert [a["starts_at"][:10] for a in window.json["airings"]] == ["2026-12-02"]
    bad = client.get("/api/v1/player/schedule?from=tomorrow", headers=auth(world.token))
    assert bad.status_code == 400 and "from" in bad.json["error"]


def test_schedule_leaves_out_past_far_and_cancelled_airings(
    client: FlaskClient, world: World
) -> None:
    past = world.add_airing(world.clock.now() - timedelta(days=1))
    far = world.add_airing(world.clock.now() + timedelta(days=36))
    cancelled = world.add_airing(world.clock.now() + timedelta(days=4))
    with world.services.sessions.begin() as session:
        session.get_one(Airing, cancelled).status = AiringStatus.cancelled
    ids = [
        a["id"]
        for a in client.get("/api/v1/player/schedule", headers=auth(world.token)).json["airings"]
    ]
    assert past not in ids and far not in ids and cancelled not in ids


def test_wrong_missing_and_revoked_tokens_get_401(client: FlaskClient, world: World) -> None:
    for headers in ({}, auth("not-a-token"), {"Authorization": f"Basic {world.token}"}):
        answer = client.get("/api/v1/player/schedule", headers=headers)
        assert answer.status_code == 401 and "token" in answer.json["error"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert (
        client.post("/api/v1/player/events", json={"events": []}, headers=auth("x")).status_code
        == 401
    )
    with world.services.sessions.begin() as session:
        revoke_player(session, world.players[0].player_id)
    assert client.get("/api/v1/player/schedule", headers=auth(world.token)).status_code == 401


def test_rotated_token_replaces_the_old_one(client: FlaskClient, world: World) -> None:
    with world.services.sessions.begin() as session:
        new = rotate_token(session, world.players[0].player_id)
    assert client.get("/api/v1/player/schedule", headers=auth(world.token)).status_code == 401
    assert client.get("/api/v1/player/schedule", headers=auth(new)).status_code == 200


def test_audio_streams_with_range_etag_and_length(client: FlaskClient, world: World) -> None:
    url = f"/api/v1/audio/{world.sha256}"
    whole = client.get(url, headers=auth(world.token))
    assert whole.status_code == 200 and whole.headers["ETag"] == f'"{world.sha256}"'
    assert int(whole.headers["Content-Length"]) == len(whole.data) > 1000
    part = client.get(url, headers={**auth(world.token), "Range": "bytes=100-"})
    assert part.status_code == 206 and part.data == whole.data[100:]
    cached = client.get(url, headers={**auth(world.token), "If-None-Match": f'"{world.sha256}"'})
    assert cached.status_code == 304


def test_audio_of_no_airing_of_the_station_is_404(client: FlaskClient, world: World) -> None:
    with world.services.sessions.begin() as session:
        session.query(Airing).filter_by(station_id=world.players[0].station_id).delete()
    answer = client.get(f"/api/v1/audio/{world.sha256}", headers=auth(world.token))
    assert answer.status_code == 404 and "error" in answer.json
    assert (
        client.get(
            f"/api/v1/audio/{world.sha256}", headers=auth(world.players[1].token)
        ).status_code
        == 200
    )
    assert client.get("/api/v1/audio/..%2Fetc", headers=auth(world.token)).status_code == 404


@BOTH_DATABASES
def test_duplicate_batch_is_accepted_again_without_new_entries(
    signer: Signer, world: World
) -> None:
    airing = world.airing_ids(0)[0]
    at = world.clock.now()
    batch = [
        signer.event("airing.started", airing, at, sha256=world.sha256),
        signer.event(
            "airing.completed",
            airing,
            at + timedelta(minutes=10),
            sha256=world.sha256,
            played_ms=600_000,
        ),
    ]
    first, again = signer.post(batch), signer.post(batch)
    assert first.json["accepted"] == again.json["accepted"] == [e["id"] for e in batch]
    assert again.json["rejected"] == [] and log_count(world) == 2


@BOTH_DATABASES
def test_forged_signature_and_foreign_airing_are_rejected_alone(
    signer: Signer, world: World
) -> None:
    own, foreign = world.airing_ids(0)[0], world.airing_ids(1)[0]
    now = world.clock.now()
    good = signer.event("airing.started", own, now, sha256=world.sha256)
    forged = forge(
        signer.event("airing.completed", own, now, sha256=world.sha256, played_ms=600_000)
    )
    other = signer.event("airing.completed", foreign, now, sha256=world.sha256, played_ms=600_000)
    answer = signer.post([good, forged, other, "junk"])
    assert answer.status_code == 200
    assert answer.json["accepted"] == [good["id"]]
    reasons = {r["id"]: r["reason"] for r in answer.json["rejected"]}
    assert "signature" in reasons[forged["id"]]
    assert "not of this station" in reasons[other["id"]]
    assert len(reasons) == 3 and log_count(world) == 1


def test_malformed_and_oversized_bodies(signer: Signer, world: World) -> None:
    client = signer.client
    headers = auth(world.token)
    assert client.post("/api/v1/player/events", data="not json", headers=headers).status_code == 400
    no_list = client.post("/api/v1/player/events", json={"events": {}}, headers=headers)
    assert no_list.status_code == 400 and "events" in no_list.json["error"]
    huge = client.post(
        "/api/v1/player/events", headers=headers, json={"events": [{"id": "x" * 100}] * 30_000}
    )
    assert huge.status_code == 413 and "too large" in huge.json["error"]
    bad_key = client.post("/api/v1/player/enroll", json={"public_key": "abc"}, headers=headers)
    assert bad_key.status_code == 400 and "base64" in bad_key.json["error"]


def test_heartbeat_keeps_health_and_flags_a_clock_five_minutes_fast(
    signer: Signer, world: World
) -> None:
    ahead = world.clock.now() + timedelta(minutes=5)
    beat = signer.event("heartbeat", None, ahead, version="t/1", state="idle", disk_free_mb=512)
    answer = signer.post([beat])
    assert answer.json["accepted"] == [beat["id"]]
    assert any("+300" in w for w in answer.json["warnings"])
    with world.services.sessions() as session:
        player = session.get_one(Player, world.players[0].player_id)
        assert player.clock_offset_ms == 300_000 and player.last_seen == world.clock.now()
        assert player.health["version"] == "t/1" and player.health["clock_flagged"] is True
    fine = signer.post([signer.event("heartbeat", None, world.clock.now(), clock_offset_ms=40)])
    assert fine.json["warnings"] == []


def test_openapi_describes_every_route(client: FlaskClient) -> None:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.json["openapi"].startswith("3.")
    documented = set(openapi_document()["paths"])
    routes = {
        r.rule.replace("<sha256>", "{sha256}")
        for r in client.application.url_map.iter_rules()
        if r.endpoint.startswith(bp.name)
    }
    assert routes == documented


@BOTH_DATABASES
def test_a_key_row_added_behind_the_logs_back_signs_nothing(
    signer: Signer, world: World
) -> None:
    """Only keys the station's chain enrolled sign: a player_key row inserted straight into
    the table (by someone who can write the database) gets its completions rejected at once,
    not only flagged by a later verify."""
    planted = Ed25519PrivateKey.generate()
    with world.services.sessions.begin() as session:
        session.add(PlayerKey(player_id=world.players[0].player_id,
                              public_key=planted.public_key().public_bytes_raw(),
                              enrolled_at=world.clock.now()))
    own = world.airing_ids(0)[0]
    now = world.clock.now()
    genuine = signer.event("airing.started", own, now, sha256=world.sha256)
    event = signer.event("airing.completed", own, now, sha256=world.sha256, played_ms=600_000)
    smuggled = sign_event(planted, {k: v for k, v in event.items() if k != "sig"})
    answer = signer.post([genuine, smuggled])
    assert answer.status_code == 200
    assert answer.json["accepted"] == [genuine["id"]]
    assert [r["id"] for r in answer.json["rejected"]] == [smuggled["id"]]
    assert "signature" in answer.json["rejected"][0]["reason"]
    assert log_count(world) == 1
