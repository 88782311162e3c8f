"""The agent and bulletins on simulated time against a real server: pre-emption, repeats, cancel.

The emergency comes by polling here (``bulletin_poll_s``); push and real time are
tests/players/test_emergency_e2e.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from loa.player.agent import Agent
from loa.player.bulletins import Audio, Emergency, next_repeat, next_repeat_at, parse_placed
from loa.playlists.models import Airing, Bulletin, BulletinSlot, Campaign
from loa.simulate import run_until
from tests.players.bulletins import cancel, events, send_bulletin
from tests.players.conftest import World

MakeAgent = Callable[..., Agent]
POLL_S = 15.0
EVERY_S = 120


def first_airing(world: World, station: int = 0) -> tuple[int, datetime]:
    with world.services.sessions() as session:
        airing = session.get_one(Airing, world.airing_ids(station)[0])
        return airing.id, airing.starts_at


def started(make_agent: MakeAgent, world: World, player: int = 0) -> Agent:
    """An agent synced a minute before the first airing (polling all day would be slow)."""
    _, starts_at = first_airing(world)
    world.clock.set(max(world.clock.now(), starts_at - timedelta(minutes=2)))
    agent = make_agent(home=f"agent-{player}", player=player, bulletin_poll_s=POLL_S)
    run_until([agent], world.clock, world.clock.now() + timedelta(minutes=1))
    return agent


def bulletin_plays(agent: Agent) -> list[dict]:
    return [p for p in agent.output.played if p["bulletin_id"] is not None]  # type: ignore[attr-defined]


def test_an_emergency_cuts_the_airing_and_repeats_on_time(
    make_agent: MakeAgent, world: World, tone: Path
) -> None:
    agents = [started(make_agent, world, 0), started(make_agent, world, 1)]
    airing_id, starts_at = first_airing(world)
    run_until(agents, world.clock, starts_at + timedelta(minutes=3))
    sent_at = world.clock.now()
    bulletin_id = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",),
                                repeat=3, every_s=EVERY_S)
    run_until(agents, world.clock, sent_at + timedelta(seconds=3 * EVERY_S))

    on_target, elsewhere = agents
    plays = bulletin_plays(on_target)
    assert [p["bulletin_id"] for p in plays] == [bulletin_id] * 3
    starts = [datetime.fromisoformat(p["started_at"]) - sent_at for p in plays]
    assert starts[0] <= timedelta(seconds=POLL_S)  # the first poll after sending
    assert starts[1:] == [timedelta(seconds=EVERY_S), timedelta(seconds=2 * EVERY_S)]
    assert bulletin_plays(elsewhere) == []  # another commune's loudspeakers hear nothing
    log = [e for e in events(world.services) if e.airing_id == airing_id or e.bulletin_id]
    assert [(e.event, e.detail.get("repeat")) for e in log] == [
        ("airing.started", None), ("airing.interrupted", None),
        ("bulletin.started", 0), ("bulletin.completed", 0),
        ("bulletin.started", 1), ("bulletin.completed", 1),
        ("bulletin.started", 2), ("bulletin.completed", 2),
    ]
    cut = log[1]
    assert cut.detail["reason"] == "emergency" and cut.detail["bulletin_id"] == bulletin_id
    assert cut.at == log[2].at  # the airing stops the instant the bulletin starts
    assert cut.played_ms == round((cut.at - starts_at).total_seconds() * 1000)
    assert all(e.airing_id is None and e.bulletin_id == bulletin_id for e in log[2:])
    # Resume not allowed: the rest of the airing is not played (the scheduler makes it up).
    assert [p["airing_id"] for p in on_target.output.played if p["airing_id"]] == [airing_id]


def test_the_cut_airing_resumes_in_step_when_its_campaign_allows(
    make_agent: MakeAgent, world: World, tone: Path
) -> None:
    with world.services.sessions.begin() as session:
        session.scalars(select(Campaign)).one().allow_resume = True
    agent = started(make_agent, world)
    airing_id, starts_at = first_airing(world)
    run_until([agent], world.clock, starts_at + timedelta(minutes=3))
    send_bulletin(world.services, "SIM", tone, targets=("USIM00000",))
    run_until([agent], world.clock, starts_at + timedelta(minutes=11))
    _airing, bulletin, rest = agent.output.played  # type: ignore[attr-defined]
    ended = datetime.fromisoformat(bulletin["started_at"]) + timedelta(
        milliseconds=bulletin["duration_ms"])
    assert rest["airing_id"] == airing_id and rest["started_at"] == ended.isoformat()
    assert rest["from_ms"] == round((ended - starts_at).total_seconds() * 1000)
    kinds = [e.event for e in events(world.services) if e.airing_id == airing_id]
    assert kinds == ["airing.started", "airing.interrupted", "airing.started",
                     "airing.completed"]
    completed = next(e for e in events(world.services) if e.event == "airing.completed")
    assert completed.at == starts_at + timedelta(minutes=10)  # the scheduled end holds


def test_cancel_stops_the_play_at_once_and_drops_the_repeats(
    make_agent: MakeAgent, world: World, tone: Path
) -> None:
    agent = started(make_agent, world)
    bulletin_id = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",),
                                repeat=5, every_s=EVERY_S)
    cancelled: list[datetime] = []

    def cancel_during_second_play(_now: datetime) -> None:
        on_air = agent.preemption.playing
        if cancelled or on_air is None or on_air.detail.get("repeat") != 1:
            return
        world.clock.advance(seconds=1)
        cancel(world.services, bulletin_id)
        cancelled.append(world.clock.now())
        agent.preemption.request_bulletins()  # what the MQTT notice does
        agent.tick()

    run_until([agent], world.clock, world.clock.now() + timedelta(seconds=5 * EVERY_S),
              after_tick=cancel_during_second_play)
    assert len(bulletin_plays(agent)) == 2 and agent.preemption.playing is None
    last = [e for e in events(world.services) if e.bulletin_id == bulletin_id][-1]
    assert last.event == "bulletin.completed" and last.detail["cancelled"] is True
    assert last.at == cancelled[0] and last.played_ms == 1000


def test_a_placed_bulletin_plays_at_its_start_and_is_reported_with_its_slot(
    make_agent: MakeAgent, world: World, tone: Path
) -> None:
    agent = started(make_agent, world)
    bulletin_id = send_bulletin(world.services, "SIM", tone, priority="normal",
                                targets=("USIM00000",))
    airing_id, starts_at = first_airing(world)
    at = starts_at + timedelta(minutes=10, seconds=30)  # after the airing, as placed
    with world.services.sessions.begin() as session:
        slot = BulletinSlot(bulletin_id=bulletin_id, station_id=world.players[0].station_id,
                            starts_at=at, ends_at=at + timedelta(minutes=1))
        session.add(slot)
        session.flush()
        slot_id, sha, duration = slot.id, slot.bulletin.asset_sha256, slot.bulletin.duration_ms
    # The schedule entry as h-bplan serves it (spec: schedule ``bulletins``).
    agent.schedule.placed = parse_placed({"bulletins": [{
        "slot_id": slot_id, "bulletin_id": bulletin_id, "priority": "normal", "title": "x",
        "starts_at": at.isoformat(), "audio": {"url": f"/api/v1/audio/{sha}", "sha256": sha,
                                                "bytes": None, "duration_ms": duration}}]})
    run_until([agent], world.clock, at + timedelta(minutes=1))
    airing, placed = agent.output.played  # type: ignore[attr-defined]
    assert airing["airing_id"] == airing_id
    assert placed["bulletin_id"] == bulletin_id and placed["started_at"] == at.isoformat()
    log = [e for e in events(world.services) if e.bulletin_id == bulletin_id]
    assert [(e.event, e.detail["slot_id"]) for e in log] == [
        ("bulletin.started", slot_id), ("bulletin.completed", slot_id)]


def test_a_second_emergency_waits_for_the_first_to_end(
    make_agent: MakeAgent, world: World, tone: Path
) -> None:
    agent = started(make_agent, world)
    first = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",))
    second = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",))
    run_until([agent], world.clock, world.clock.now() + timedelta(minutes=2))
    one, two = bulletin_plays(agent)
    assert (one["bulletin_id"], two["bulletin_id"]) == (first, second)
    assert datetime.fromisoformat(two["started_at"]) == datetime.fromisoformat(
        one["started_at"]) + timedelta(milliseconds=one["duration_ms"])
    log = [(e.event, e.bulletin_id, e.detail.get("cancelled"), e.detail.get("reason"))
           for e in events(world.services) if e.bulletin_id]
    assert log == [("bulletin.started", first, None, None),
                   ("bulletin.completed", first, None, None),
                   ("bulletin.started", second, None, None),
                   ("bulletin.completed", second, None, None)]


def test_an_emergencys_cut_and_start_are_reported_a_random_moment_later(
    make_agent: MakeAgent, world: World, tone: Path
) -> None:
    """Every target player starts an emergency within the same second, while the last are
    still fetching its audio: each holds its reports back a random moment of at most
    ``report_spread_s`` (stored before the output starts all the same), then sends them."""
    agent = started(make_agent, world)
    airing_id, starts_at = first_airing(world)
    run_until([agent], world.clock, starts_at + timedelta(seconds=20))
    bulletin_id = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",))
    agent.preemption.request_bulletins()
    agent.tick()
    assert bulletin_plays(agent) and agent.outbox.pending() == 2  # the cut and the start
    held_until = agent.outbox.next_attempt
    assert held_until is not None and world.clock.now() <= held_until <= (
        world.clock.now() + timedelta(seconds=agent.config.report_spread_s))
    agent.link.send_step()
    assert not [e for e in events(world.services) if e.bulletin_id == bulletin_id]
    world.clock.set(held_until)
    agent.link.send_step()
    sent = [(e.event, e.airing_id or e.bulletin_id) for e in events(world.services)
            if e.event in ("airing.interrupted", "bulletin.started")]
    assert sent == [("airing.interrupted", airing_id), ("bulletin.started", bulletin_id)]


def test_an_emergency_cuts_a_placed_bulletin_play(
    make_agent: MakeAgent, world: World, tone: Path
) -> None:
    agent = started(make_agent, world)
    placed_id = send_bulletin(world.services, "SIM", tone, priority="normal",
                              targets=("USIM00000",))
    with world.services.sessions() as session:
        placed = session.get_one(Bulletin, placed_id)
        sha, duration = placed.asset_sha256, placed.duration_ms
    at = world.clock.now() + timedelta(seconds=30)
    agent.schedule.placed = parse_placed({"bulletins": [{
        "slot_id": 99, "bulletin_id": placed_id, "priority": "normal", "title": "x",
        "starts_at": at.isoformat(), "audio": {"url": f"/api/v1/audio/{sha}", "sha256": sha,
                                                "bytes": None, "duration_ms": duration}}]})
    run_until([agent], world.clock, at + timedelta(seconds=1))
    on_air = agent.preemption.playing
    assert on_air is not None and on_air.bulletin_id == placed_id
    emergency_id = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",))
    agent.preemption.request_bulletins()
    world.clock.advance(seconds=0.5)
    agent.tick()
    world.clock.advance(seconds=agent.config.report_spread_s)
    agent.link.send_step()  # the events the last step stored, once the fleet's spread is over
    log = [(e.event, e.bulletin_id, e.played_ms) for e in events(world.services)
           if e.bulletin_id]
    assert log == [("bulletin.started", placed_id, None),
                   ("bulletin.completed", placed_id, 1500),
                   ("bulletin.started", emergency_id, None)]
    cut = next(e for e in events(world.services) if e.event == "bulletin.completed")
    assert cut.detail["reason"] == "emergency" and cut.detail["interrupted_by"] == emergency_id


def test_a_restart_during_a_bulletin_reports_it_once_and_does_not_replay_it(
    make_agent: MakeAgent, world: World, tone: Path
) -> None:
    agent = started(make_agent, world)
    bulletin_id = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",),
                                repeat=2, every_s=EVERY_S)
    run_until([agent], world.clock, world.clock.now() + timedelta(seconds=POLL_S + 1))
    assert agent.preemption.playing is not None
    agent.closed = True  # the process dies: only what is on disk survives
    agent.db.close()
    again = make_agent(home="agent-0", bulletin_poll_s=POLL_S)
    run_until([again], world.clock, world.clock.now() + timedelta(seconds=EVERY_S + 30))
    log = [(e.event, e.detail.get("repeat"), e.played_ms, e.detail.get("reason"))
           for e in events(world.services) if e.bulletin_id == bulletin_id]
    assert log[:2] == [("bulletin.started", 0, None, None),
                       ("bulletin.completed", 0, None, "agent restarted during playback")]
    assert [p["bulletin_id"] for p in bulletin_plays(again)] == [bulletin_id]  # repeat 1 only
    assert [entry[:2] for entry in log[2:]] == [("bulletin.started", 1), ("bulletin.completed", 1)]


T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def emergency(repeat: int = 3, every_s: int = 600, until_s: float | None = None,
              status: str = "active") -> Emergency:
    until = T0 + timedelta(seconds=until_s) if until_s is not None else None
    return Emergency(1, "Bão", status, T0, until, repeat, every_s, Audio("ab" * 32, "", None, 5000))


@pytest.mark.parametrize(
    ("bulletin", "first_unplayed", "now_s", "expected"),
    [
        (emergency(), 0, 0, 0),  # due the moment it is sent
        (emergency(), 0, -1, None),  # not before (a clock behind the server's)
        (emergency(), 1, 599, None),  # the next repeat's time has not come
        (emergency(), 1, 600, 1),
        (emergency(), 0, 1250, 2),  # learnt late: the latest repeat, not the missed ones
        (emergency(), 3, 5000, None),  # all played
        (emergency(until_s=1000), 1, 999, 1),
        (emergency(until_s=1000), 2, 1200, None),  # its window is over
        (emergency(status="cancelled"), 0, 0, None),
        (emergency(status="ended"), 1, 600, None),
        (emergency(every_s=0), 1, 30, 1),  # no interval: one after another
        (emergency(repeat=1), 0, 7200, 0),  # once, however late (still valid)
    ],
)
def test_next_repeat(bulletin: Emergency, first_unplayed: int, now_s: float,
                     expected: int | None) -> None:
    assert next_repeat(bulletin, first_unplayed, T0 + timedelta(seconds=now_s)) == expected


def test_next_repeat_at() -> None:
    assert next_repeat_at(emergency(), 2) == T0 + timedelta(seconds=1200)
    assert next_repeat_at(emergency(), 3) is None
    assert next_repeat_at(emergency(until_s=1200), 2) is None
    assert next_repeat_at(emergency(status="cancelled"), 0) is None
