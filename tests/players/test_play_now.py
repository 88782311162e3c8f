"""`play.now` never moves an airing, and the agent's listener outlives any payload.

The agent runs on the test's clock against the real server; the listener's
handler is fuzzed directly (the real-broker sample is in test_broker_lockdown.py).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from loa.player.agent import Agent
from loa.player.notices import MAX_ID, BulletinNotice, Notice, PlayNow, ScheduleChanged
from loa.player.runner import MqttListener
from loa.simulate import run_until
from loa.stations.models import Player, PlayerMode
from tests.players.conftest import World

MakeAgent = Callable[..., Agent]


def synced(make_agent: MakeAgent, world: World, live: bool) -> Agent:
    """Player 0's agent, in live or prefetch mode, holding the schedule and its audio."""
    if live:
        with world.services.sessions.begin() as session:
            session.execute(update(Player).where(Player.id == world.players[0].player_id)
                            .values(mode=PlayerMode.live))
    agent = make_agent()
    run_until([agent], world.clock, world.clock.now() + timedelta(minutes=1))
    schedule = agent.schedule
    assert schedule.mode == ("live" if live else "prefetch") and len(schedule.slots) == 3
    return agent


def slot(agent: Agent, n: int) -> tuple[int, datetime]:
    found = agent.schedule.slots[n]
    return found.airing_id, found.starts_at


def played(agent: Agent) -> list[tuple[Any, Any]]:
    """(airing, seconds from its slot's start) of every airing the output started."""
    return [(p["airing_id"], p["error_s"]) for p in agent.output.played]  # type: ignore[attr-defined]


def test_a_prefetch_player_plays_a_future_airing_at_its_time_whatever_the_notice(
    make_agent: MakeAgent, world: World
) -> None:
    agent = synced(make_agent, world, live=False)
    first, first_at = slot(agent, 0)
    assert agent.play_now(first) == "refused"
    agent.tick()
    assert played(agent) == [] and first not in agent.handled
    run_until([agent], world.clock, first_at + timedelta(minutes=1))
    assert played(agent) == [(first, 0.0)]  # at its slot, not when told


def test_a_live_player_starts_only_an_airing_whose_slot_is_due_now(
    make_agent: MakeAgent, world: World
) -> None:
    agent = synced(make_agent, world, live=True)
    (first, first_at), (second, _) = slot(agent, 0), slot(agent, 1)
    assert agent.play_now(second) == "refused"  # ten days early: never
    assert agent.play_now(first) == "refused"  # a day early: never
    run_until([agent], world.clock, first_at - timedelta(seconds=30))
    assert played(agent) == []
    # The server's slot has come while our clock still says 30 s to go: start now.
    assert agent.play_now(first) == "accepted"
    agent.playout_step()
    assert played(agent) == [(first, -30.0)]
    assert agent.play_now(first) == "refused"  # on air already: not again
    run_until([agent], world.clock, first_at + timedelta(minutes=5))
    assert agent.play_now(first) == "refused" and played(agent) == [(first, -30.0)]
    assert agent.play_now(987_654) == "unknown"  # not fetched yet: the runner syncs


def test_a_live_notice_for_a_slot_long_begun_does_not_start_it_late(
    make_agent: MakeAgent, world: World
) -> None:
    agent = synced(make_agent, world, live=True)
    begun = world.add_airing(world.clock.now() - timedelta(minutes=3))
    agent.link.sync()
    assert agent.play_now(begun) == "refused"
    assert begun not in [a for a, _ in played(agent)]


# -- the listener's handler, fuzzed -----------------------------------------------------------


@pytest.fixture(scope="module")
def handler() -> Iterator[tuple[MqttListener, list[Notice]]]:
    """A listener pointed at a port nothing listens on: only its message handler is used."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    heard: list[Notice] = []
    listener = MqttListener(f"mqtt://127.0.0.1:{port}", 1, "token", heard.append)
    yield listener, heard
    listener.close()


def deliver(listener: MqttListener, payload: bytes) -> None:
    message = mqtt.MQTTMessage(topic=b"loa/players/1")
    message.payload = payload
    listener._message(listener._client, None, message)  # as paho's thread calls it


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=20,
)
KNOWN = st.fixed_dictionaries(
    {"type": st.sampled_from(["schedule.changed", "play.now", "bulletin",
                              "bulletin.cancelled", "PLAY.NOW", ""])},
    optional={"airing_id": JSON | st.integers(), "bulletin_id": JSON | st.integers(),
              "extra": JSON},
)


def expected(body: Any, size: int) -> Notice | None:
    """What a notice is, written from the protocol (§5), not from the parser."""
    def row_id(value: Any) -> bool:
        return type(value) is int and 1 <= value <= MAX_ID

    if size > 1024 or not isinstance(body, dict):
        return None
    kind = body.get("type")
    if kind == "schedule.changed":
        return ScheduleChanged()
    if kind == "play.now" and row_id(body.get("airing_id")):
        return PlayNow(body["airing_id"])
    if kind in ("bulletin", "bulletin.cancelled") and row_id(body.get("bulletin_id")):
        return BulletinNotice(kind == "bulletin.cancelled", body["bulletin_id"])
    return None


@settings(max_examples=400, deadline=None)
@given(body=st.one_of(JSON, KNOWN))
def test_the_handler_passes_on_exactly_the_known_notices(
    handler: tuple[MqttListener, list[Notice]], body: Any
) -> None:
    listener, heard = handler
    heard.clear()
    payload = json.dumps(body).encode()
    deliver(listener, payload)
    want = expected(body, len(payload))
    assert heard == ([want] if want is not None else [])


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(max_size=3000) | st.sampled_from([
    b"[1]", b"null", b"1e999", b"NaN", b'"play.now"', b"\xff" * 10, b"[" * 1000,
    b'{"type":"play.now","airing_id":' + b"9" * 4000 + b"}", b"x" * 2_000_000,
]))
def test_the_handler_survives_any_bytes(
    handler: tuple[MqttListener, list[Notice]], payload: bytes
) -> None:
    listener, heard = handler
    heard.clear()
    deliver(listener, payload)  # never raises: paho's thread would die of it
    assert heard == [] or len(payload) <= 1024


def test_a_failing_notice_handler_does_not_end_the_listener(caplog: Any) -> None:
    def broken(_notice: Notice) -> None:
        raise RuntimeError("the agent's database is locked")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    listener = MqttListener(f"mqtt://127.0.0.1:{port}", 1, "token", broken)
    try:
        deliver(listener, b'{"type":"schedule.changed"}')
    finally:
        listener.close()
    assert "handling notice ScheduleChanged() failed" in caplog.text


@pytest.mark.mqtt
def test_a_forged_play_now_on_an_open_broker_does_not_play_a_future_airing(
    broker: str, make_agent: MakeAgent, world: World
) -> None:
    """The attack of issue 15 through the real runner and paho: even where the broker is
    not locked, a prefetch player keeps its airing three days ahead for its slot."""
    from loa.clock import SystemClock
    from loa.player.runner import Runner
    from loa.stations.mqtt import MqttPublisher

    ahead = world.add_airing(SystemClock().now() + timedelta(days=3))
    runner = Runner(make_agent(clock=SystemClock()), broker).start()
    forger = MqttPublisher(broker)
    try:
        assert runner.agent.link.synced.wait(10)
        listener = runner.listener
        deadline = SystemClock().now() + timedelta(seconds=10)
        while listener is None and SystemClock().now() < deadline:
            runner.agent.link.synced.wait(0.05)
            listener = runner.listener
        assert listener is not None and listener.subscribed.wait(10)
        assert ahead in {s.airing_id for s in runner.agent.schedule.slots}
        player = world.players[0].player_id
        forger._client.publish(listener.topic, b"[1]", qos=1)  # killed it before
        forger.play_now(player, ahead)
        runner.agent.link.synced.clear()
        forger.schedule_changed([player])  # delivered after the two above, in order
        assert runner.agent.link.synced.wait(10), "the listener stopped hearing notices"
        runner.agent.playout_step()
        assert ahead not in runner.agent.handled and runner.agent.output.played == []  # type: ignore[attr-defined]
    finally:
        forger.close()
        runner.stop()
