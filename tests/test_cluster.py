"""Issue 11's test: two web servers and one scheduler on one PostgreSQL.

Reference agents are spread over both web servers (two players on each station, one
on each server, so both write the same chains at once); every event is stored once,
the chains verify clean, and a render started through one server shows its progress
through the other while the scheduler process runs it.
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from loa import migrate
from loa.app import build_services
from loa.clock import SystemClock
from loa.compliance.models import AiringLogEntry
from loa.db import transaction
from loa.player.agent import Agent
from loa.player.config import AgentConfig
from loa.playlists.models import Airing
from loa.settings import load_settings
from loa.simulate import make_sine, seed_fleet
from loa.stations.players import add_player
from loa.stations.push import NullPublisher
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.factories import signed_completion
from tests.helpers.render import programme
from tests.helpers.servers import LOA, free_port
from tests.helpers.web import PASSWORD, csrf

pytestmark = [pytest.mark.postgres, pytest.mark.real_time]
STATIONS = 4
AIRINGS = 4  # per station, AIRING_S long, a few seconds apart, starting LEAD_S from now
AIRING_S, LEAD_S = 4, 10


class Cluster:
    """Processes sharing one database, one audio store and one secret key."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root, self.processes, self.urls = root, [], []
        base = {k: v for k, v in os.environ.items() if not k.startswith(("LOA_", "PROMETHEUS"))}
        self.base = {
            **base, "LOA_DATABASE_URL": database_url, "LOA_AUDIO_DIR": str(root / "audio"),
            "LOA_SECRET_KEY": os.urandom(24).hex(),  # one for all: they share sessions
            "LOA_HOME": str(root / "scheduler"),
        }

    def env(self, name: str) -> dict[str, str]:
        """Each process its own home (gunicorn's control socket and metrics live there)."""
        return {**self.base, "LOA_HOME": str(self.root / name)}

    def start(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.log").open("wb")
        self.processes.append(subprocess.Popen([LOA, *args], env=self.env(name), stdout=log,
                                               stderr=subprocess.STDOUT))

    def web(self, name: str) -> str:
        port = free_port()
        self.start(name, "web", "--workers", "1", "--bind", f"127.0.0.1:{port}")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/api/v1/openapi.json", timeout=5).ok:
                    return url
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (self.root / f"{name}.log").read_text()
            time.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(60)


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Cluster, list[str]]]:
    made = Cluster(tmp_path, postgres_url)
    migrate.upgrade(postgres_url)
    yield made, []
    made.stop()


def seed(cluster: Cluster) -> tuple[list[tuple[str, int, str]], int, str]:
    """Four communes, two players each, four airings each (an hour ahead until
    ``time_airings``); an operator's draft to render."""
    settings = load_settings(cluster.env("scheduler"))
    now = SystemClock().now()
    services = build_services(settings, publisher=NullPublisher())
    with transaction(services.sessions) as s:
        fleet = seed_fleet(s, services.store, make_sine(cluster.root / "tone.mp3"), STATIONS,
                           now, days=1, per_month=30, duration_ms=AIRING_S * 1000)
        players = []
        for n, seeded in enumerate(fleet):
            airing = s.scalars(select(Airing).where(Airing.station_id == seeded.station_id)).one()
            airing.starts_at = now + timedelta(hours=1)
            for k in range(1, AIRINGS):
                s.add(Airing(programme_id=airing.programme_id, station_id=seeded.station_id,
                             starts_at=airing.starts_at + timedelta(seconds=(AIRING_S + 3) * k)))
            _, second = add_player(s, seeded.station_code, f"loa-b-{n}")
            players += [(seeded.station_code, 0, seeded.token), (seeded.station_code, 1, second)]
        _, storm_token = add_player(s, fleet[0].station_code, "loa-thu")
    pid = programme(services, sentences=8)
    with transaction(services.sessions) as s:
        add_user(s, "xa", PASSWORD, "operator", "11560")
    services.sessions.kw["bind"].dispose()
    return players, pid, storm_token


def time_airings(cluster: Cluster) -> list[Airing]:
    """Real time (the agents measure the servers' clock and follow it): every station's
    airings start LEAD_S from now, AIRING_S long each, AIRING_S + 3 s apart. Set once the
    servers are up, so a slow start on a busy machine does not eat the lead. The first
    station's airings."""
    services = build_services(load_settings(cluster.env("scheduler")), publisher=NullPublisher())
    first = SystemClock().now() + timedelta(seconds=LEAD_S)
    try:
        with transaction(services.sessions) as s:
            airings = list(s.scalars(select(Airing).order_by(Airing.station_id, Airing.id)))
            for station_id in {a.station_id for a in airings}:
                own = [a for a in airings if a.station_id == station_id]
                for k, airing in enumerate(own):
                    airing.starts_at = first + timedelta(seconds=(AIRING_S + 3) * k)
            s.flush()
            station = airings[0].station_id
            s.expunge_all()
    finally:
        services.sessions.kw["bind"].dispose()
    return [a for a in airings if a.station_id == station]


def run_real_time(agents: list[Agent]) -> list[dict[str, Any]]:
    """Tick each agent when it is due until every airing has played and every event is home."""
    deadline = time.monotonic() + LEAD_S + AIRINGS * (AIRING_S + 3) + 90
    while True:
        played = [entry for a in agents for entry in a.output.played]  # type: ignore[attr-defined]
        ends = [datetime.fromisoformat(p["starts_at"]) + timedelta(seconds=AIRING_S + 1)
                for p in played]
        over = len(played) == STATIONS * 2 * AIRINGS and max(ends) < SystemClock().now()
        if over and not any(a.outbox.pending() for a in agents):  # the last completions too
            return played
        assert time.monotonic() < deadline, (len(played), [a.outbox.pending() for a in agents])
        for agent in agents:
            if agent.next_wake() <= agent.now():
                agent.tick()
        wait = min(a.next_wake() - a.now() for a in agents).total_seconds()
        time.sleep(min(max(wait, 0.01), 0.2))  # real time: the airings are at real instants


def test_two_web_servers_one_scheduler_one_postgresql(
    cluster: tuple[Cluster, list[str]], postgres_url: str
) -> None:
    procs, _ = cluster
    players, pid, storm_token = seed(procs)
    urls = [procs.web("web-1"), procs.web("web-2")]
    procs.start("scheduler", "scheduler")

    # A render started through web-1, followed through web-2 while the scheduler runs it.
    browser = requests.Session()  # one cookie for both: they share the secret key
    token = csrf(browser.get(f"{urls[0]}/login").content)
    browser.post(f"{urls[0]}/login", data={"username": "xa", "password": PASSWORD,
                                           "csrf_token": token}).raise_for_status()
    token = csrf(browser.get(f"{urls[0]}/programmes/{pid}").content)
    started = browser.post(f"{urls[0]}/programmes/{pid}/render", data={"csrf_token": token})
    assert started.ok and "render-progress" in started.text
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 180
    while not seen or seen[-1]["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, seen[-3:]
        seen.append(browser.get(f"{urls[1]}/programmes/{pid}/render/status").json())
        time.sleep(0.05)
    assert seen[-1]["status"] == "done", seen[-1]
    assert any(s["status"] == "running" and 0 < s["done"] < s["total"] for s in seen), seen
    assert "Đã dựng xong" in browser.get(f"{urls[1]}/programmes/{pid}").text

    # The agents: the two players of each station talk to different servers.
    airings = time_airings(procs)
    agents = [
        Agent(AgentConfig(server=urls[side], token=tok, home=procs.root / f"agent-{code}-{side}",
                          poll_s=3600, heartbeat_s=3600, recheck_s=1), SystemClock())
        for code, side, tok in players
    ]
    try:
        played = run_real_time(agents)
    finally:
        for agent in agents:
            agent.close()
    assert len(played) == STATIONS * 2 * AIRINGS

    # One batch sent to both servers at once, three times each (a retry after a lost answer).
    key = Ed25519PrivateKey.generate()
    auth = {"Authorization": f"Bearer {storm_token}"}
    raw = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    enrolled = requests.post(f"{urls[0]}/api/v1/player/enroll", json={"public_key": raw},
                             headers=auth, timeout=10)
    assert enrolled.status_code == 201, enrolled.text
    at = SystemClock().now().isoformat()
    batch = [signed_completion(key, airings[n % len(airings)], "0" * 64, str(uuid.uuid4()), at=at)
             for n in range(20)]

    def send(url: str) -> tuple[int, Any]:
        answer = requests.post(f"{url}/api/v1/player/events", json={"events": batch},
                               headers=auth, timeout=30)
        return answer.status_code, answer.json()["rejected"]

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(send, urls * 3)) == [(200, [])] * 6

    services = build_services(load_settings(procs.env("scheduler")), publisher=NullPublisher())
    try:
        with services.sessions() as s:
            entries = s.execute(select(AiringLogEntry.event_id, AiringLogEntry.event)).all()
            per_station = s.execute(
                select(AiringLogEntry.station_id, func.count(), func.max(AiringLogEntry.seq))
                .group_by(AiringLogEntry.station_id)
            ).all()
    finally:
        services.sessions.kw["bind"].dispose()
    ids = [e.event_id for e in entries]
    assert len(ids) == len(set(ids))  # stored once
    assert {str(e["id"]) for e in batch} <= set(ids)
    completed = [e for e in entries if e.event == "airing.completed"]
    assert len(completed) == len(played) + len(batch), Counter(e.event for e in entries)
    assert all(count == top for _, count, top in per_station)  # seq 1..n: no gaps, no repeats
    Loa(procs.env("scheduler"))("audit", "verify")  # chains, signatures, keys, anchors: clean
