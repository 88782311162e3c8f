"""Emergencies end to end: the real Mosquitto, a served Loa whose clock runs, reference agents.

Two players of the target commune and one of the next commune run in real time
(null output) while an airing plays. An emergency sent through the service (which
pushes after commit) must cut the airing on every target player within 2 s of
its sending; the cut airing is logged and the scheduler makes it up; the other
commune hears nothing; a cancel stops the play at once and drops the repeats.
Without a broker, the start comes within the poll interval plus 1 s.

"Sending" is the commit of the send, when players can first see the bulletin: the
bulletin's ``sent_at`` is stamped before its audio is rendered (seconds before,
on a loaded machine), and the render is the server's time, not the player's.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from loa.clock import OffsetClock
from loa.compliance.models import AiringLogEntry
from loa.player.agent import Agent
from loa.player.config import AgentConfig
from loa.player.runner import Runner
from loa.playlists.models import Airing, AiringStatus, Campaign, Programme
from loa.scheduler.service import settle_and_make_up
from loa.scheduler.settle import GRACE
from loa.services import Services
from loa.simulate import LiveServer
from tests.conftest import START
from tests.players.bulletins import cancel, events, send_bulletin
from tests.players.conftest import World

pytestmark = pytest.mark.mqtt
CUT_WITHIN_S = 2.0
PROGRAMME_MS = 20_000


@pytest.fixture
def clock() -> OffsetClock:
    """The server's clock runs in real time, as the agents' do."""
    return OffsetClock(START)


@pytest.fixture
def services(mqtt_services: Services) -> Services:
    """The server's services, publishing their notices to the real broker after commit."""
    return mqtt_services


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Wait for ``condition``, looking every 50 ms, failing after ``seconds``."""
    deadline, pause = time.monotonic() + seconds, threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        pause.wait(0.05)


@pytest.fixture
def fleet(
    world: World, live_server: LiveServer, tmp_path: Path
) -> Iterator[Callable[..., list[Runner]]]:
    """Start the agents of the target commune (two players) and of its neighbour (one)."""
    runners: list[Runner] = []
    _, second_token = world.second_player()
    tokens = [world.players[0].token, second_token, world.players[1].token]

    def start(mqtt_url: str, bulletin_poll_s: float) -> list[Runner]:
        for n, token in enumerate(tokens):
            config = AgentConfig(server=live_server.url, token=token, home=tmp_path / f"a{n}",
                                 mqtt_url=mqtt_url, poll_s=3600, heartbeat_s=3600,
                                 bulletin_poll_s=bulletin_poll_s)
            runner = Runner(Agent(config, world.clock, boot_id=lambda: "boot"), mqtt_url)
            runners.append(runner.start())
        for runner in runners:
            wait_until(lambda r=runner: r.agent.link.synced.is_set(), 10, "first sync")
        return runners

    yield start
    for runner in runners:
        runner.stop()


def subscribed(runners: list[Runner]) -> None:
    for runner in runners:
        wait_until(lambda r=runner: r.listener is not None, 10, "MQTT listener")
        assert runner.listener is not None and runner.listener.subscribed.wait(10)


def airings_on_air(world: World, runners: list[Runner]) -> dict[int, int]:
    """An airing of 20 s starting in 2 s on both stations; on air on every agent."""
    with world.services.sessions.begin() as session:
        session.execute(update(Programme).values(duration_ms=PROGRAMME_MS))
        session.execute(update(Campaign).values(min_airings=4))  # 3 seeded + this one
    starts = world.clock.now() + timedelta(seconds=2)
    ids = {station: world.add_airing(starts, station=station) for station in (0, 1)}
    for runner in runners:
        runner.notice()
    wait_until(lambda: all(r.agent.playing is not None for r in runners), 10,
               "the airings on air")
    return ids


def logged(world: World, kind: str, **detail: object) -> list[AiringLogEntry]:
    return [e for e in events(world.services) if e.event == kind
            and all(e.detail.get(k) == v for k, v in detail.items())]


def test_an_emergency_cuts_every_target_player_within_2_s_and_is_made_up(
    world: World, fleet: Callable[..., list[Runner]], broker: str, tone: Path
) -> None:
    runners = fleet(broker, bulletin_poll_s=3600)  # only push can deliver it in time
    subscribed(runners)
    target, outside = runners[:2], runners[2]
    airings = airings_on_air(world, runners)
    bulletin_id = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",),
                                repeat=3, every_s=60)
    sent = world.clock.now()  # committed: what players can see from now on
    wait_until(lambda: len(logged(world, "airing.interrupted")) == 2, 5,
               "both target players reported the cut airing")
    for cut in logged(world, "airing.interrupted"):
        assert cut.airing_id == airings[0] and cut.detail["reason"] == "emergency"
        assert cut.detail["bulletin_id"] == bulletin_id
        assert (cut.at - sent).total_seconds() <= CUT_WITHIN_S, (cut.at - sent)
    wait_until(lambda: len(logged(world, "bulletin.started", repeat=0)) == 2, 5,
               "bulletin.started from both")
    for runner in target:
        [play] = [p for p in runner.agent.output.played if p["bulletin_id"]]  # type: ignore[attr-defined]
        assert datetime.fromisoformat(play["started_at"]) - sent <= timedelta(seconds=CUT_WITHIN_S)
    # The neighbouring commune hears nothing and keeps its airing.
    assert all(p["bulletin_id"] is None for p in outside.agent.output.played)  # type: ignore[attr-defined]
    assert outside.agent.playing is not None
    assert outside.agent.playing.slot.airing_id == airings[1]
    # The scheduler settles the cut airing as failed and plans a make-up for it.
    for runner in runners:
        runner.stop()
    later = world.clock.now() + timedelta(milliseconds=PROGRAMME_MS) + GRACE
    with world.services.sessions.begin() as session:
        before = set(session.scalars(select(Airing.id).where(
            Airing.station_id == world.players[0].station_id)))
        settle_and_make_up(session, later, timedelta(seconds=30), timedelta(minutes=5))
        assert session.get_one(Airing, airings[0]).status is AiringStatus.failed
        made_up = set(session.scalars(select(Airing.id).where(
            Airing.station_id == world.players[0].station_id,
            Airing.status == AiringStatus.planned))) - before
    assert len(made_up) == 1


def test_cancel_stops_the_play_everywhere_and_drops_the_repeats(
    world: World, fleet: Callable[..., list[Runner]], broker: str, tone: Path
) -> None:
    runners = fleet(broker, bulletin_poll_s=3600)
    subscribed(runners)
    target = runners[:2]
    bulletin_id = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",),
                                repeat=3, every_s=60)
    wait_until(lambda: all(r.agent.preemption.playing is not None for r in target), 5, "playing")
    began = time.monotonic()
    cancel(world.services, bulletin_id)
    wait_until(lambda: all(r.agent.preemption.playing is None for r in target), CUT_WITHIN_S,
               "the play stopped on both target players")
    stopped_s = time.monotonic() - began
    wait_until(lambda: len(logged(world, "bulletin.completed", cancelled=True)) == 2, 5,
               "bulletin.completed (cancelled) from both")
    for runner in target:
        agent = runner.agent
        assert agent.preemption.next_playout_wake(agent.now()) is None  # no repeat is waiting
        assert [p["bulletin_id"] for p in agent.output.played] == [bulletin_id]  # type: ignore[attr-defined]
    assert stopped_s <= CUT_WITHIN_S


def test_without_a_broker_the_poll_starts_it_within_the_interval_plus_1_s(
    world: World, fleet: Callable[..., list[Runner]], closed_port: int, tone: Path
) -> None:
    poll_s = 2.0
    runners = fleet(f"mqtt://127.0.0.1:{closed_port}", bulletin_poll_s=poll_s)
    airings = airings_on_air(world, runners)
    send_bulletin(world.services, "SIM", tone, targets=("USIM00000",))
    sent = world.clock.now()
    wait_until(lambda: len(logged(world, "bulletin.started")) == 2, poll_s + 5,
               "bulletin.started from both target players")
    for start in logged(world, "bulletin.started"):
        assert (start.at - sent).total_seconds() <= poll_s + 1, start.at - sent
    cuts = logged(world, "airing.interrupted", reason="emergency")
    assert sorted(c.airing_id for c in cuts) == [airings[0]] * 2
    assert all(p["bulletin_id"] is None for p in runners[2].agent.output.played)  # type: ignore[attr-defined]
