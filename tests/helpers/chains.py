"""A station's signed log (TN's chain of six entries) and the helpers that build it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.clock import FrozenClock
from loa.compliance.models import AiringLogEntry
from loa.db import transaction
from loa.playlists.assets import record_asset
from loa.playlists.models import Airing, Programme
from loa.scheduler.service import plan
from loa.services import Services
from loa.stations.models import Player
from tests.attacker import station_entries
from tests.helpers.factories import hai_phong_month, signed_completion


def b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes_raw()).decode()


@dataclass
class Chain:
    """TN's December planned, its player talking to the API as an agent would."""

    services: Services
    client: Any
    token: str
    player_id: int
    station_id: int
    sha256: str
    airings: list[Airing]
    key: Ed25519PrivateKey

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def enrol(self, key: Ed25519PrivateKey) -> None:
        answer = self.client.post(
            "/api/v1/player/enroll", json={"public_key": b64(key)}, headers=self.auth
        )
        assert answer.status_code == 201, answer.json

    def complete(self, *numbers: int, key: Ed25519PrivateKey | None = None) -> None:
        """Post completions of airings ``numbers`` (mod 3: an airing may report twice),
        signed by ``key`` (default: the first one enrolled)."""
        events = [
            signed_completion(key or self.key, self.airings[n % len(self.airings)], self.sha256)
            for n in numbers
        ]
        answer = self.client.post(
            "/api/v1/player/events", json={"events": events}, headers=self.auth
        )
        assert answer.status_code == 200 and answer.json["rejected"] == [], answer.json

    def entries(self) -> list[AiringLogEntry]:
        with self.services.sessions() as s:
            return station_entries(s, self.station_id)


def real_master(services: Services, s: Session, programme_id: int, tmp_path: Path) -> str:
    """Give the programme a master file in the store, so `verify` finds its audio whole."""
    master = tmp_path / "master.mp3"
    master.write_bytes(b"ID3 loa tamper test")
    stored = services.store.put_file(master)
    record_asset(s, stored.sha256, stored.bytes, 720_000, "mp3")
    s.get_one(Programme, programme_id).master_sha256 = stored.sha256
    return stored.sha256


@pytest.fixture
def tn(
    services: Services, client: Any, clock: FrozenClock, env: dict[str, str], tmp_path: Path
) -> Chain:
    """TN's player enrolled its key (seq 1) and posted five completions (seq 2-6).

    The server and the CLI stand after December's last airing, so every report is past.
    """
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        sha256 = real_master(services, s, month.programme_id, tmp_path)
        plan(s, "2026-12", services.clock.now(), services.settings.airing_gap)
        player_id, token = month.players["TN"]
        station_id = s.get_one(Player, player_id).station_id
        airings = list(
            s.scalars(
                select(Airing).where(Airing.station_id == station_id).order_by(Airing.starts_at)
            )
        )
    clock.set(airings[-1].starts_at + timedelta(hours=1))
    env["LOA_NOW"] = clock.now().isoformat()
    chain = Chain(services, client, token, player_id, station_id, sha256, airings,
                  Ed25519PrivateKey.generate())
    chain.enrol(chain.key)
    chain.complete(0, 1, 2, 3, 4)
    return chain
