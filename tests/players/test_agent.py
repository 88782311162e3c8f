"""The reference agent on simulated time against a real server: outages, crashes, bad disks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from loa.compliance.audit import Reading, station_month_report
from loa.player.outbox import Outbox
from loa.simulate import LiveServer, SkewedClock, run_until
from loa.stations.models import AdminUnit, Player
from tests.helpers.agents import MakeAgent, crash, log, started_synced, starts
from tests.players.conftest import World


def test_server_down_across_two_airings(
    make_agent: MakeAgent, world: World, live_server: LiveServer
) -> None:
    agent = started_synced(make_agent, world)
    live_server.stop()
    (first, _), (second, second_at) = starts(world, 0), starts(world, 1)
    run_until([agent], world.clock, second_at + timedelta(days=1))  # type: ignore[operator]
    assert [p["airing_id"] for p in agent.output.played] == [first, second]  # type: ignore[attr-defined]
    assert [p["error_s"] for p in agent.output.played] == [0, 0]  # type: ignore[attr-defined]
    assert agent.outbox.pending() == 4 and log(world) == []
    live_server.start()
    run_until([agent], world.clock, world.clock.now() + timedelta(hours=1))
    entries = log(world)
    assert sorted((e.airing_id, e.event) for e in entries) == [
        (first, "airing.completed"),
        (first, "airing.started"),
        (second, "airing.completed"),
        (second, "airing.started"),
    ]
    assert agent.outbox.pending() == 0
    with world.services.sessions() as session:
        unit = session.scalar(select(AdminUnit).where(AdminUnit.code == "SIM"))
        reading = Reading(world.clock.now(), timedelta(minutes=5))
        rows = {r.station: r for r in station_month_report(session, unit, "2026-12", reading)}  # type: ignore[arg-type]
    assert rows["SIM00000"].counted == 2 and rows["SIM00001"].counted == 0


def test_lost_acknowledgement_and_restart_never_duplicate(
    make_agent: MakeAgent,
    world: World,
    live_server: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = started_synced(make_agent, world)
    live_server.stop()
    first, first_at = starts(world, 0)
    run_until([agent], world.clock, first_at + timedelta(hours=1))  # type: ignore[operator]
    live_server.start()

    def power_cut(self: Outbox, answer: dict) -> int:
        raise RuntimeError("power cut after the server answered")

    monkeypatch.setattr(Outbox, "_settle", power_cut)
    with pytest.raises(RuntimeError):
        run_until([agent], world.clock, world.clock.now() + timedelta(hours=1))
    crash(agent)
    monkeypatch.undo()
    assert len(log(world)) == 2  # the server has them; the agent does not know
    again = make_agent()
    run_until([again], world.clock, world.clock.now() + timedelta(hours=1))
    assert again.outbox.pending() == 0 and again.output.played == []  # type: ignore[attr-defined]
    assert [(e.airing_id, e.event) for e in log(world)] == [
        (first, "airing.started"),
        (first, "airing.completed"),
    ]


def test_corrupt_cached_file_is_fetched_again_before_air(
    make_agent: MakeAgent, world: World
) -> None:
    agent = started_synced(make_agent, world)
    path = agent.cache.path(world.sha256)
    path.write_bytes(b"\0" * path.stat().st_size)
    first, first_at = starts(world, 0)
    run_until([agent], world.clock, first_at + timedelta(hours=1))  # type: ignore[operator]
    assert [p["airing_id"] for p in agent.output.played] == [first]  # type: ignore[attr-defined]
    assert agent.cache.is_good(world.sha256)
    assert [e.event for e in log(world)] == ["airing.started", "airing.completed"]


def test_corrupt_file_and_no_server_reports_failed_with_reason(
    make_agent: MakeAgent, world: World, live_server: LiveServer
) -> None:
    agent = started_synced(make_agent, world)
    agent.cache.path(world.sha256).write_bytes(b"rotten")
    live_server.stop()
    first, first_at = starts(world, 0)
    run_until([agent], world.clock, first_at + timedelta(hours=1))  # type: ignore[operator]
    assert agent.output.played == []  # type: ignore[attr-defined]
    live_server.start()
    run_until([agent], world.clock, world.clock.now() + timedelta(hours=1))
    [failed] = log(world)
    assert failed.event == "airing.failed" and failed.airing_id == first
    assert "corrupt" in str(failed.detail["reason"])


def test_restart_mid_airing_reports_interrupted_and_does_not_replay(
    make_agent: MakeAgent, world: World
) -> None:
    agent = started_synced(make_agent, world)
    first, first_at = starts(world, 0)
    run_until([agent], world.clock, first_at + timedelta(minutes=3))  # type: ignore[operator]
    assert agent.playing is not None
    crash(agent)
    again = make_agent()
    run_until([again], world.clock, first_at + timedelta(hours=1))  # type: ignore[operator]
    assert again.output.played == []  # type: ignore[attr-defined]
    events = [(e.airing_id, e.event) for e in log(world)]
    assert events == [(first, "airing.started"), (first, "airing.interrupted")]
    assert "restarted" in str(log(world)[1].detail["reason"])


def test_agent_clock_five_minutes_fast_still_airs_on_server_time(
    make_agent: MakeAgent, world: World
) -> None:
    skewed = SkewedClock(world.clock, timedelta(minutes=5))
    agent = make_agent(clock=skewed)
    first, first_at = starts(world, 0)
    run_until([agent], world.clock, first_at + timedelta(hours=1))  # type: ignore[operator]
    [played] = agent.output.played  # type: ignore[attr-defined]
    assert played["airing_id"] == first and played["error_s"] == 0
    started = next(e for e in log(world) if e.event == "airing.started")
    assert started.at == first_at
    with world.services.sessions() as session:
        player = session.get_one(Player, world.players[0].player_id)
    assert player.clock_offset_ms == 300_000 and player.health["clock_flagged"] is True


def test_past_airings_audio_is_evicted_and_partial_download_resumes(
    make_agent: MakeAgent, world: World, live_server: LiveServer
) -> None:
    agent = started_synced(make_agent, world, poll_s=6 * 3600, heartbeat_s=6 * 3600)
    whole = agent.cache.path(world.sha256).read_bytes()
    agent.cache.path(world.sha256).unlink()
    part = agent.cache.root / f"{world.sha256}.part"
    part.write_bytes(whole[: len(whole) // 2])
    assert agent.link.sync() and agent.cache.path(world.sha256).read_bytes() == whole
    assert not part.exists()
    _, last_at = starts(world, 2)
    run_until([agent], world.clock, last_at + timedelta(days=1))  # type: ignore[operator]
    slots = agent.schedule.slots
    assert slots == [] or all(s.ends_at < world.clock.now() for s in slots)
    assert not agent.cache.path(world.sha256).exists()


def test_a_month_in_simulated_time_sends_each_event_once(
    make_agent: MakeAgent, world: World
) -> None:
    slow = {"poll_s": 6 * 3600, "heartbeat_s": 6 * 3600, "bulletin_poll_s": 6 * 3600}
    agents = [make_agent(**slow), make_agent(home="agent-b", player=1, **slow)]
    ticks = run_until(agents, world.clock, world.clock.now() + timedelta(days=31))
    assert ticks < 1000
    entries = log(world)
    assert len(entries) == 12 and len({e.event_id for e in entries}) == 12
    assert {e.event for e in entries} == {"airing.started", "airing.completed"}


def test_agents_keep_the_test_clocks_time(make_agent: MakeAgent, world: World) -> None:
    agent = make_agent()
    first, first_at = starts(world, 0)
    agent.tick()
    assert agent.now() == world.clock.now() and agent.output.played == []  # type: ignore[attr-defined]
    world.clock.set(first_at)  # type: ignore[arg-type]
    agent.tick()
    [played] = agent.output.played  # type: ignore[attr-defined]
    assert played["airing_id"] == first and played["started_at"] == first_at.isoformat()  # type: ignore[attr-defined]
