"""Fixtures for the player side: a seeded station, signed events, a live server, agents."""

from __future__ import annotations

import base64
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient

from loa.clock import FrozenClock
from loa.player.agent import Agent
from loa.player.clock import PlayerClock
from loa.player.config import AgentConfig
from loa.player.keys import public_key_b64, sign_event
from loa.playlists.models import Airing, AiringStatus
from loa.services import Services
from loa.simulate import LiveServer, SeededPlayer, make_sine, player_api_app, seed_fleet
from loa.stations.players import add_player
from tests.conftest import need_server

BOTH_DATABASES = pytest.mark.both_databases  # SQLite, and PostgreSQL too


@pytest.fixture
def app(services: Services) -> Flask:
    """Only the player API, so these tests do not depend on the operator pages being importable."""
    return player_api_app(services)


@pytest.fixture(scope="session")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sine(tmp_path_factory.mktemp("audio") / "tone.mp3", seconds=1.0)


@dataclass
class World:
    """Two commune stations with a player each, an approved programme, and helpers."""

    services: Services
    clock: FrozenClock
    players: list[SeededPlayer]
    sha256: str

    @property
    def token(self) -> str:
        return self.players[0].token

    def add_airing(self, starts_at: datetime, station: int = 0) -> int:
        """A planned airing of the programme at ``starts_at`` on station number ``station``."""
        with self.services.sessions.begin() as session:
            programme_id = session.query(Airing.programme_id).first()[0]  # type: ignore[index]
            airing = Airing(
                programme_id=programme_id,
                station_id=self.players[station].station_id,
                starts_at=starts_at,
                status=AiringStatus.planned,
            )
            session.add(airing)
            session.flush()
            return airing.id

    def airing_ids(self, station: int = 0) -> list[int]:
        with self.services.sessions() as session:
            rows = session.query(Airing.id).filter_by(station_id=self.players[station].station_id)
            return [r[0] for r in rows.order_by(Airing.starts_at)]

    def second_player(self) -> tuple[int, str]:
        with self.services.sessions.begin() as session:
            player, token = add_player(session, self.players[0].station_code, "loa-2")
            return player.id, token


@pytest.fixture
def world(services: Services, clock: FrozenClock, tone: Path) -> World:
    with services.sessions.begin() as session:
        fleet = seed_fleet(session, services.store, tone, players=2, first=clock.now(), days=30)
    with services.sessions() as session:
        sha = session.query(Airing).first().programme.master_sha256  # type: ignore[union-attr]
    return World(services, clock, fleet, sha)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Signer:
    """A player's key, enrolled through the API, making signed events like an agent."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.client, self.token = client, token
        answer = client.post(
            "/api/v1/player/enroll",
            headers=auth(token),
            json={"public_key": public_key_b64(self.key)},
        )
        assert answer.status_code == 201, answer.json

    def event(self, kind: str, airing_id: int | None, at: datetime, **fields: Any) -> dict:
        body = {
            "id": str(uuid.uuid4()),
            "type": kind,
            "airing_id": airing_id,
            "at": at.isoformat(),
            "sha256": fields.pop("sha256", None),
            "played_ms": fields.pop("played_ms", None),
            "detail": fields,
        }
        return sign_event(self.key, body)

    def post(self, events: list[dict]) -> Any:
        return self.client.post(
            "/api/v1/player/events", headers=auth(self.token), json={"events": events}
        )


@pytest.fixture
def signer(client: FlaskClient, world: World) -> Signer:
    return Signer(client, world.token)


def forge(event: dict) -> dict:
    """The event signed by a key the server has never seen."""
    other = sign_event(Ed25519PrivateKey.generate(), event)
    return {**event, "sig": other["sig"]}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def make_agent(
    tmp_path: Path, live_server: LiveServer, world: World
) -> Iterator[Callable[..., Agent]]:
    """Agents of player 0 (by default) on the test's clock, closed at the end."""
    made: list[Agent] = []

    def build(
        clock: PlayerClock | None = None,
        home: str = "agent",
        player: int = 0,
        boot: str = "boot-1",
        **options: Any,
    ) -> Agent:
        config = AgentConfig(
            server=live_server.url,
            token=world.players[player].token,
            home=tmp_path / home,
            **{"poll_s": 3600.0, "heartbeat_s": 3600.0, "backoff_cap_s": 1800.0,
               "bulletin_poll_s": 3600.0, **options},
        )
        agent = Agent(config, clock or world.clock, boot_id=lambda: boot)
        made.append(agent)
        return agent

    yield build
    for agent in made:
        agent.close()


def later(clock: FrozenClock, **delta: float) -> datetime:
    return clock.now() + timedelta(**delta)


@pytest.fixture
def need_aplay() -> None:
    """The real ALSA player (alsa-utils, installed by scripts/setup.sh)."""
    if shutil.which("aplay") is None:
        need_server("aplay (alsa-utils, installed by scripts/setup.sh)", FileNotFoundError())


def slow_player(folder: Path) -> str:
    """An aplay that takes the sound and then hangs on: an overrunning output."""
    script = folder / "slow-aplay"
    script.write_text("#!/bin/sh\ncat > /dev/null\nexec sleep 60\n")
    script.chmod(0o755)
    return str(script)
