"""A revocation can never break a station's evidence (issue 15 §4), on PostgreSQL.

Real processes race: the test holds the station's chain lock, a `loa player revoke-key`
(or `revoke`) process queues on it, then an agent posts a batch signed by that key to a
`loa web` process, whose request queues behind the revocation. The lock is released and
PostgreSQL hands it on in queue order. No sleeps decide the order: the test waits until
pg_locks shows each waiter. Real time everywhere (processes read their own clocks).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import Connection, create_engine, func, select, text

from loa import migrate
from loa.app import build_services
from loa.clock import VN, SystemClock
from loa.compliance.chain import CHAIN_LOCK
from loa.db import transaction
from loa.player.agent import Agent
from loa.player.client import Unauthorised
from loa.player.config import AgentConfig
from loa.player.keys import public_key_b64
from loa.playlists.models import Airing
from loa.settings import load_settings
from loa.simulate import make_sine, seed_fleet
from loa.stations.push import NullPublisher

pytestmark = [pytest.mark.postgres, pytest.mark.real_time]
LOA = str(Path(sys.executable).parent / "loa")
WAIT_S = 60  # for a process to reach the lock; a bound, not a pace


@dataclass
class Station:
    url: str  # the `loa web` process
    env: dict[str, str]
    database_url: str
    station_id: int
    player_id: int
    token: str
    airing_id: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def station(postgres_url: str, tmp_path: Path) -> Iterator[Station]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LOA_", "PROMETHEUS"))}
    env = {**base, "LOA_DATABASE_URL": postgres_url, "LOA_HOME": str(tmp_path / "home"),
           "LOA_AUDIO_DIR": str(tmp_path / "audio"), "LOA_SECRET_KEY": secrets.token_urlsafe(32)}
    migrate.upgrade(postgres_url)
    services = build_services(load_settings(env), publisher=NullPublisher())
    with transaction(services.sessions) as s:
        seeded = seed_fleet(s, services.store, make_sine(tmp_path / "tone.mp3"), 1,
                            SystemClock().now(), days=1)[0]
        airing_id = s.scalars(select(Airing.id).where(Airing.station_id == seeded.station_id)
                              ).first()
    services.sessions.kw["bind"].dispose()
    port = _free_port()
    with (tmp_path / "web.log").open("wb") as log:
        web = subprocess.Popen([LOA, "web", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _await_up(url, tmp_path / "web.log")
        yield Station(url, env, postgres_url, seeded.station_id, seeded.player_id,
                      seeded.token, int(airing_id))  # type: ignore[arg-type]
    finally:
        web.terminate()
        web.wait(60)


def _await_up(url: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            if requests.get(f"{url}/api/v1/openapi.json", timeout=10).ok:
                return
        except requests.RequestException:  # not up yet, or slow on a loaded machine
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


def _waiters(conn: Connection, station_id: int) -> int:
    """Sessions of this database queued on the station's chain lock."""
    return int(conn.execute(text(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE d.datname = current_database() AND l.locktype = 'advisory' "
        "AND l.classid = :lock AND l.objid = :station AND l.objsubid = 2 AND NOT l.granted"
    ), {"lock": CHAIN_LOCK, "station": station_id}).scalar_one())


def _await_waiters(watch: Connection, station_id: int, count: int,
                   alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while _waiters(watch, station_id) < count:
        assert alive() and time.monotonic() < deadline, "a process never reached the lock"
        time.sleep(0.02)


def _agent(station: Station, home: Path) -> Agent:
    """The reference agent of the station's player, its key enrolled, one event waiting."""
    agent = Agent(AgentConfig(server=station.url, token=station.token, home=home,
                              poll_s=3600, heartbeat_s=3600), SystemClock())
    agent.link.sender.enroll(public_key_b64(agent.key))
    event = agent.outbox.sign({"type": "airing.started", "airing_id": station.airing_id,
                               "at": agent.now().isoformat(), "sha256": None,
                               "played_ms": None, "detail": {}})
    with agent.db.transaction() as tx:
        agent.outbox.store(tx, event)
    return agent


def _race(station: Station, agent: Agent, revocation: list[str]) -> object:
    """Revocation queued first, the agent's batch second; the lock released; both finish.
    The agent's outbox flush answers how many events it still holds, or its 401."""
    engine = create_engine(station.database_url)
    try:
        with engine.connect() as holder, engine.connect() as watch:
            watch.execution_options(isolation_level="AUTOCOMMIT")
            holder.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK, station.station_id)))
            revoker = subprocess.Popen([LOA, *revocation], env=station.env,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            _await_waiters(watch, station.station_id, 1, lambda: revoker.poll() is None)
            with ThreadPoolExecutor(1) as pool:
                def send() -> object:
                    try:
                        return agent.outbox.flush(agent.link.sender, agent.now)
                    except Unauthorised as exc:
                        return exc
                sent = pool.submit(send)
                _await_waiters(watch, station.station_id, 2, lambda: not sent.done())
                holder.rollback()  # the lock goes to the revocation, queued first
                output = revoker.communicate(timeout=WAIT_S)[0].decode()
                assert revoker.returncode == 0, output
                return sent.result(timeout=WAIT_S)
    finally:
        engine.dispose()


def _loa(station: Station, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LOA, *args], env=station.env, capture_output=True, text=True,
                          timeout=WAIT_S, check=False)


def _evidence_holds(station: Station) -> None:
    verify = _loa(station, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    month = SystemClock().now().astimezone(VN).strftime("%Y-%m")
    report = _loa(station, "audit", "report", "--unit", "SIM", "--month", month)
    assert report.returncode == 0, report.stderr
    assert "evidence_broken" not in report.stdout and "in_progress" in report.stdout


def test_a_batch_queued_behind_a_key_revocation_is_refused_and_kept(
    station: Station, tmp_path: Path
) -> None:
    agent = _agent(station, tmp_path / "agent")
    try:
        keys = _loa(station, "player", "keys", str(station.player_id)).stdout
        key_id = keys.split("\t")[0]
        left = _race(station, agent, ["player", "revoke-key", str(station.player_id), key_id])
        assert left == 1 and agent.outbox.pending() == 1  # 409: the agent keeps its batch
        assert "revoked" in _loa(station, "player", "keys", str(station.player_id)).stdout
    finally:
        agent.close()
    _evidence_holds(station)


def test_a_batch_queued_behind_a_player_revocation_is_refused_and_kept(
    station: Station, tmp_path: Path
) -> None:
    agent = _agent(station, tmp_path / "agent")
    try:
        outcome = _race(station, agent, ["player", "revoke", str(station.player_id)])
        assert isinstance(outcome, Unauthorised)  # 401, as for any revoked token
        assert agent.outbox.pending() == 1
    finally:
        agent.close()
    _evidence_holds(station)
