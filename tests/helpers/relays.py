"""Relay reports as a player signs them: one relay.completed per day's 06:00 occurrence."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from loa.clock import VN
from loa.player.keys import sign_event

T0 = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 06:00 on 2 December in Vietnam
HALF_HOUR = 1_800_000


def post_relays(client: FlaskClient, token: str, key: Ed25519PrivateKey, slot_id: int,
                days: range, relayed_ms: int, fallback_ms: int = 0) -> dict[str, Any]:
    """The player's reports of the 06:00 occurrence of each of ``days`` (after T0), each
    relaying ``relayed_ms`` with ``fallback_ms`` of fallback (a dropout when any); the
    server's answer."""
    events = []
    for day in days:
        starts = (T0 + timedelta(days=day)).astimezone(VN)
        events.append(sign_event(key, {
            "id": str(uuid.uuid4()), "type": "relay.completed", "airing_id": None,
            "at": (starts + timedelta(minutes=30)).isoformat(), "sha256": None,
            "played_ms": relayed_ms,
            "detail": {"slot_id": slot_id, "starts_at": starts.isoformat(), "source": "VOV1",
                       "relayed_ms": relayed_ms, "fallback_ms": fallback_ms, "silence_ms": 0,
                       "dropouts": 1 if fallback_ms else 0}}))
    answer = client.post("/api/v1/player/events", json={"events": events},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.json
    return answer.json
