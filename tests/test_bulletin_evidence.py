"""Bulletin evidence with the airings' rules (issue 15 §5), through HTTP ingest and the CLI.

A player's completions count only for a bulletin that was sent and not yet over, on
audio it fetched, received no earlier than they could have ended, and at most the
bulletin's plays; the rest stay in the log as signed. `loa bulletin show` says so.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from sqlalchemy import func, select

from loa.canonical import canonical_json
from loa.clock import FrozenClock
from loa.compliance import keylog
from loa.compliance.models import AiringLogEntry
from loa.compliance.verify import verify_chains
from loa.db import transaction
from loa.playlists.bulletins import cancel_bulletin, create_bulletin, get_bulletin
from loa.scheduler.bulletin_slots import slot_placer
from loa.services import Services
from loa.stations.players import add_player
from loa.stations.service import add_station
from loa.stations.units import add_unit, get_unit
from tests.conftest import Loa


@pytest.fixture
def ward(services: Services) -> tuple[int, str, Ed25519PrivateKey]:
    """Hải Phòng (31) with ward 11560 and its station TN; its player's id, token and key."""
    key = Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Hải Phòng", "province")
        add_unit(s, "11560", "Phường 11560", "commune", "31")
        add_station(s, "TN", "11560", "Đài TN")
        player, token = add_player(s, "TN", "Loa TN")
        raw = base64.b64encode(key.public_key().public_bytes_raw()).decode()
        keylog.enrol(s, player, raw, services.clock.now())
        return player.id, token, key


def emergency(services: Services, repeat_count: int = 1) -> tuple[int, str, int, datetime]:
    """An emergency of Hải Phòng to its subtree, sent now: id, audio, length, sent_at."""
    with transaction(services.sessions) as s:
        sent = create_bulletin(
            s, unit=get_unit(s, "31"), author=None, role=None, title=None,
            priority="emergency", text="Bão số 3 giật cấp 10. Bà con không ra khơi.",
            repeat_count=repeat_count, repeat_every_s=600 if repeat_count > 1 else 0,
            store=services.store, clock=services.clock,
            place_slots=slot_placer(services.settings.airing_gap))
        return sent.id, str(sent.asset_sha256), int(sent.duration_ms or 0), sent.sent_at


def completion(key: Ed25519PrivateKey, bulletin_id: int, sha: str, began: datetime,
               played_ms: int) -> dict[str, Any]:
    event = {"id": str(uuid.uuid4()), "type": "bulletin.completed", "airing_id": None,
             "bulletin_id": bulletin_id, "sha256": sha, "played_ms": played_ms,
             "at": (began + timedelta(milliseconds=played_ms)).isoformat(),
             "detail": {"repeat": 0, "clock_offset_ms": 0}}
    return {**event, "sig": base64.b64encode(key.sign(canonical_json(event).encode())).decode()}


def post(client: FlaskClient, token: str, *events: dict[str, Any]) -> None:
    answer = client.post("/api/v1/player/events", json={"events": list(events)},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.json["accepted"] == [e["id"] for e in events], answer.json  # all logged


def shown(loa: Loa, bulletin_id: int) -> dict[str, Any]:
    [station] = json.loads(loa("bulletin", "show", str(bulletin_id), "--format", "json"))[
        "delivery"]
    return station


def logged(services: Services, bulletin_id: int) -> int:
    with transaction(services.sessions) as s:
        return int(s.scalar(select(func.count(AiringLogEntry.id)).where(
            AiringLogEntry.bulletin_id == bulletin_id)) or 0)


def test_an_emergency_counts_only_plays_of_fetched_audio_after_it_was_sent_and_once(
    services: Services, ward: tuple[int, str, Ed25519PrivateKey], client: FlaskClient,
    clock: FrozenClock, loa: Loa,
) -> None:
    _player_id, token, key = ward
    bulletin_id, sha, duration, sent_at = emergency(services)
    clock.advance(minutes=10)
    # A day before it was sent, and (later) one the player never fetched the audio for.
    post(client, token, completion(key, bulletin_id, sha, sent_at - timedelta(days=1), duration),
         completion(key, bulletin_id, sha, sent_at + timedelta(seconds=5), duration))
    assert (shown(loa, bulletin_id)["plays"], shown(loa, bulletin_id)["fetched_at"]) == (0, None)

    fetched = client.get(f"/api/v1/audio/{sha}", headers={"Authorization": f"Bearer {token}"})
    assert fetched.status_code == 200
    # Claims a full play that began just now: the server received it before it could end.
    post(client, token, completion(key, bulletin_id, sha, clock.now(), duration))
    assert shown(loa, bulletin_id)["plays"] == 0

    began = clock.now() + timedelta(seconds=1)
    clock.set(began + timedelta(milliseconds=duration, seconds=2))
    post(client, token, completion(key, bulletin_id, sha, began, duration))
    row = shown(loa, bulletin_id)
    assert row["plays"] == 1 and row["fetched_at"] is not None

    # Meant to play once: twenty more are logged as signed, not counted.
    post(client, token, *(completion(key, bulletin_id, sha, began, duration) for _ in range(20)))
    assert shown(loa, bulletin_id)["plays"] == 1
    assert logged(services, bulletin_id) == 24

    with transaction(services.sessions) as s:
        assert not verify_chains(s).problems


def test_a_play_begun_after_the_cancel_does_not_count(
    services: Services, ward: tuple[int, str, Ed25519PrivateKey], client: FlaskClient,
    clock: FrozenClock, loa: Loa,
) -> None:
    _player_id, token, key = ward
    bulletin_id, sha, duration, _sent_at = emergency(services, repeat_count=3)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/audio/{sha}", headers=auth).status_code == 200
    clock.advance(minutes=5)
    with transaction(services.sessions) as s:
        cancel_bulletin(s, get_bulletin(s, bulletin_id), by=None, role=None, clock=clock)
    clock.advance(minutes=10)
    post(client, token, completion(key, bulletin_id, sha, clock.now() - timedelta(minutes=8),
                                   duration))
    assert shown(loa, bulletin_id)["plays"] == 0
    before_cancel = clock.now() - timedelta(minutes=14)
    post(client, token, completion(key, bulletin_id, sha, before_cancel, duration))
    assert shown(loa, bulletin_id)["plays"] == 1


def test_audio_fetched_for_an_earlier_bulletin_counts_as_fetched_when_sent_again(
    services: Services, ward: tuple[int, str, Ed25519PrivateKey], client: FlaskClient,
    clock: FrozenClock, loa: Loa,
) -> None:
    """The same words sent again are the same audio, which the player holds in its cache
    and will not download again: its plays of the second bulletin count all the same."""
    _player_id, token, key = ward
    first, sha, _duration, _sent = emergency(services)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/audio/{sha}", headers=auth).status_code == 200
    clock.advance(hours=2)
    again, same_sha, duration, sent_at = emergency(services)
    assert same_sha == sha and again != first
    assert shown(loa, again)["fetched_at"] is not None
    clock.set(sent_at + timedelta(milliseconds=duration, seconds=5))
    post(client, token, completion(key, again, sha, sent_at + timedelta(seconds=2), duration))
    assert shown(loa, again)["plays"] == 1
