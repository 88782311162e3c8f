"""Push over the real Mosquitto on 127.0.0.1:1883, and polling when there is no broker."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from loa.clock import OffsetClock
from loa.player.agent import Agent
from loa.player.broker import parse_broker_url, player_topic
from loa.player.runner import Runner
from loa.stations.mqtt import MqttPublisher
from tests.conftest import START
from tests.helpers.mosquitto import Session
from tests.players.conftest import World


@pytest.fixture
def clock() -> OffsetClock:
    """One running clock for the server and its agents (no test here may read today's date)."""
    return OffsetClock(START)


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def running(make_agent: Callable[..., Agent]) -> Iterator[Callable[..., Runner]]:
    runners: list[Runner] = []

    def start(mqtt_url: str | None, **options: float) -> Runner:
        runner = Runner(make_agent(**options), mqtt_url).start()
        runners.append(runner)
        assert runner.agent.link.synced.wait(10), "first sync did not happen"
        return runner

    yield start
    for runner in runners:
        runner.stop()


def wait_for_airing(agent: Agent, airing_id: int, seconds: float) -> bool:
    """Wait on the agent's sync signal (no fixed sleep) until it holds ``airing_id``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if airing_id in {s.airing_id for s in agent.schedule.slots}:
            return True
        agent.link.synced.clear()
        agent.link.synced.wait(max(deadline - time.monotonic(), 0))
    return airing_id in {s.airing_id for s in agent.schedule.slots}


def listening(running: Callable[..., Runner], broker: str) -> Runner:
    """An agent subscribed to its topic, polling only hourly: what it learns, push told it."""
    runner = running(broker, poll_s=3600)
    deadline = time.monotonic() + 10
    while runner.listener is None and time.monotonic() < deadline:
        runner.agent.link.synced.wait(0.05)
    assert runner.listener is not None and runner.listener.subscribed.wait(10)
    return runner


@pytest.mark.mqtt
def test_schedule_change_reaches_a_subscribed_agent_by_push(
    broker: str, running: Callable[..., Runner], world: World
) -> None:
    runner = listening(running, broker)
    new = world.add_airing(world.clock.now() + timedelta(days=2))
    publisher = MqttPublisher(broker)
    try:
        publisher.schedule_changed([world.players[0].player_id])
        assert wait_for_airing(runner.agent, new, seconds=10)
    finally:
        publisher.close()


@pytest.mark.mqtt
def test_without_a_broker_polling_still_delivers_the_change(
    closed_port: int, running: Callable[..., Runner], world: World
) -> None:
    runner = running(f"mqtt://127.0.0.1:{closed_port}", poll_s=0.2)
    new = world.add_airing(world.clock.now() + timedelta(days=2))
    publisher = MqttPublisher(f"mqtt://127.0.0.1:{closed_port}")
    try:
        began = time.monotonic()
        publisher.schedule_changed([world.players[0].player_id])  # must neither block nor raise
        assert time.monotonic() - began < 0.5
        assert wait_for_airing(runner.agent, new, seconds=10)
    finally:
        publisher.close()


def notice_and_wait_for_sync(publisher: MqttPublisher, runner: Runner, player_id: int) -> None:
    runner.agent.link.synced.clear()
    publisher.schedule_changed([player_id])
    assert runner.agent.link.synced.wait(10), "the notice did not make the agent sync"


@pytest.mark.mqtt
def test_a_notice_that_outruns_its_change_is_followed_by_a_quick_second_look(
    broker: str, running: Callable[..., Runner], world: World
) -> None:
    runner = listening(running, broker)
    player_id = world.players[0].player_id
    publisher = MqttPublisher(broker)
    try:
        notice_and_wait_for_sync(publisher, runner, player_id)  # the schedule is steady now
        notice_and_wait_for_sync(publisher, runner, player_id)  # unchanged: 304
        new = world.add_airing(world.clock.now() + timedelta(days=2))  # the commit lands late
        assert wait_for_airing(runner.agent, new, seconds=10)
    finally:
        publisher.close()


@pytest.mark.mqtt
def test_two_deployments_on_one_broker_hear_only_their_own_notices(broker: str) -> None:
    """The URL's path is the topic root: another root's player 1 is another player."""
    ours, theirs = broker, f"{broker}-other"
    topic = player_topic(parse_broker_url(ours), 1)
    listener = Session(1883)
    try:
        assert listener.connected.wait(10)
        assert not any(v.is_failure for v in listener.subscribe(topic))
        for url in (theirs, ours):  # theirs is confirmed by the broker before ours is sent
            publisher = MqttPublisher(url)
            publisher.schedule_changed([1])
            publisher.close()
        assert listener.wait_for(1) == [(topic, b'{"type": "schedule.changed"}')]
    finally:
        listener.close()


@pytest.mark.parametrize(("url", "root"), [
    ("mqtt://127.0.0.1", "loa"),
    ("mqtts://broker.example.vn:8883/", "loa"),
    ("mqtt://127.0.0.1:1883/hai-phong", "hai-phong"),
    ("mqtt://127.0.0.1/loa/hai_phong?cafile=/etc/loa/ca.pem", "loa/hai_phong"),
])
def test_the_topic_root_is_the_urls_path(url: str, root: str) -> None:
    address = parse_broker_url(url)
    assert address.root == root
    assert player_topic(address, 7) == f"{root}/players/7"


@pytest.mark.parametrize("url", ["mqtt://127.0.0.1/+", "mqtt://127.0.0.1/loa/%23",
                                 "mqtt://127.0.0.1/a//b", "mqtt://127.0.0.1/t%C3%A2y"])
def test_a_root_with_wildcards_or_empty_levels_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="topic root"):
        parse_broker_url(url)
