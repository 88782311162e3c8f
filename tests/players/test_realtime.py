"""Reference agents in real time against a served Loa whose clock runs: slots, kills, outputs."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from loa.clock import Clock, OffsetClock, SystemClock
from loa.compliance.models import AiringLogEntry
from loa.player.agent import Agent
from loa.player.output import AplayOutput
from loa.player.runner import Runner
from loa.playlists.models import Airing, AiringStatus, Campaign, Programme
from loa.scheduler.service import plan as plan_month
from loa.simulate import LiveServer
from loa.stations.models import Station
from loa.stations.players import revoke_player
from tests.conftest import START
from tests.players.conftest import World, slow_player

pytestmark = pytest.mark.real_time

ON_TIME_S = 0.5
LOA_PLAYER = str(Path(sys.executable).parent / "loa-player")


REAL_TIME = "real time"  # for agent processes, which read the machine's own clock


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Clock:
    """One running clock for the server and the in-process agents (from the usual test
    start, or the param); real time where an agent runs as its own process."""
    start = getattr(request, "param", START)
    return SystemClock() if start == REAL_TIME else OffsetClock(start)


@pytest.fixture
def running(make_agent: Callable[..., Agent]) -> Iterator[Callable[..., Runner]]:
    runners: list[Runner] = []

    def start(agent: Agent | None = None, **options: object) -> Runner:
        runner = Runner(agent or make_agent(**options)).start()
        runners.append(runner)
        assert runner.agent.link.synced.wait(10), "first sync did not happen"
        return runner

    yield start
    for runner in runners:
        runner.stop()


def entries(world: World, airing_ids: list[int]) -> list[AiringLogEntry]:
    with world.services.sessions() as session:
        query = select(AiringLogEntry).where(AiringLogEntry.airing_id.in_(airing_ids))
        return list(session.scalars(query.order_by(AiringLogEntry.seq)))


def wait_for_log(world: World, airing_ids: list[int], kinds: set[str],
                 seconds: float) -> list[AiringLogEntry]:
    """The log of these airings once each has an event of every kind in ``kinds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = entries(world, airing_ids)
        have = {(e.airing_id, e.event) for e in found}
        if all((a, k) in have for a in airing_ids for k in kinds):
            return found
        assert time.monotonic() < deadline, f"only {sorted(have)} arrived"
        time.sleep(0.05)  # polling the server's log; the deadline bounds the wait


def short_programme(world: World, duration_ms: int) -> None:
    with world.services.sessions.begin() as session:
        session.execute(update(Programme).values(duration_ms=duration_ms))


def plan(world: World, runner: Runner, offsets_s: list[float]) -> list[int]:
    """Airings this many seconds from now, announced to the agent as a push notice would."""
    t0 = world.clock.now()
    ids = [world.add_airing(t0 + timedelta(seconds=s)) for s in offsets_s]
    runner.notice()
    return ids


def started_late_s(found: list[AiringLogEntry]) -> dict[int, float]:
    return {e.airing_id: e.detail["late_ms"] / 1000 for e in found  # type: ignore[misc, operator]
            if e.event == "airing.started"}


def test_nine_back_to_back_airings_all_start_on_time_and_report_at_once(
    running: Callable[..., Runner], world: World
) -> None:
    short_programme(world, 1000)
    runner = running()
    ids = plan(world, runner, [3 + i for i in range(9)])
    found = wait_for_log(world, ids, {"airing.started", "airing.completed"}, seconds=30)
    late = started_late_s(found)
    assert sorted(late) == sorted(ids) and all(0 <= s <= ON_TIME_S for s in late.values()), late
    played = [p for p in runner.agent.output.played if p["airing_id"] in ids]  # type: ignore[attr-defined]
    assert [p["airing_id"] for p in played] == ids
    # Every event reached the server within 2 s of happening (the link is up).
    assert max((e.received_at - e.at).total_seconds() for e in found) <= 2.0


# Seven seconds before an evening window opens on the last day of the month: planning now
# puts every airing the campaign asks for into that one window, back to back.
BEFORE_THE_WINDOW = datetime(2026, 12, 31, 10, 59, 53, tzinfo=UTC)  # 17:59:53 in Vietnam


@pytest.mark.parametrize("clock", [BEFORE_THE_WINDOW], indirect=True)
@pytest.mark.parametrize("gap_s", [1, 0])
def test_nine_airings_packed_by_the_planner_all_start_on_time(
    running: Callable[..., Runner], world: World, gap_s: int
) -> None:
    short_programme(world, 1000)
    station_id = world.players[0].station_id
    with world.services.sessions.begin() as session:
        session.execute(update(Airing).values(status=AiringStatus.cancelled))
        session.execute(update(Campaign).values(min_airings=9))
        session.get_one(Station, station_id).windows = ["18:00-19:00"]
    runner = running()
    with world.services.sessions.begin() as session:
        report = plan_month(session, "2026-12", world.clock.now(), timedelta(seconds=gap_s),
                      {station_id})
    assert [r.planned for r in report.rows] == [9]
    runner.notice()  # as the push after the commit would
    with world.services.sessions() as session:
        planned = session.execute(
            select(Airing.id, Airing.starts_at)
            .where(Airing.status.in_((AiringStatus.planned, AiringStatus.published)))
            .order_by(Airing.starts_at)).all()
    ids = [a for a, _s in planned]
    starts = [s for _a, s in planned]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(starts)] == [1 + gap_s] * 8
    found = wait_for_log(world, ids, {"airing.started", "airing.completed"}, seconds=40)
    late = started_late_s(found)
    assert sorted(late) == sorted(ids) and all(0 <= s <= ON_TIME_S for s in late.values()), late
    assert not [e for e in found if e.event == "airing.failed"]
    started_at = {e.airing_id: e.at for e in found if e.event == "airing.started"}
    assert all(abs((started_at[a] - s).total_seconds()) <= ON_TIME_S for a, s in planned)
    assert max((e.received_at - e.at).total_seconds() for e in found) <= 2.0  # home at once


def test_kill_mid_airing_then_restart_airs_the_next_slot_on_time(
    running: Callable[..., Runner], world: World, make_agent: Callable[..., Agent]
) -> None:
    short_programme(world, 2000)
    runner = running()
    first, second = plan(world, runner, [3, 7])
    wait_for_log(world, [first], {"airing.started"}, seconds=15)
    runner.stop(close=False)  # the process is killed: only the disk survives
    runner.agent.closed = True
    runner.agent.db.close()
    again = running(make_agent())
    wait_for_log(world, [first], {"airing.interrupted"}, seconds=15)
    found = wait_for_log(world, [second], {"airing.started", "airing.completed"}, seconds=20)
    assert 0 <= started_late_s(found)[second] <= ON_TIME_S
    assert {(e.airing_id, e.event) for e in entries(world, [first])} == {
        (first, "airing.started"), (first, "airing.interrupted")}
    assert again.agent.playing is None or again.agent.playing.slot.airing_id != first


def agent_process(live_server: LiveServer, world: World, home: Path,
                  *options: str) -> subprocess.Popen[bytes]:
    """`loa-player run` as systemd starts it on a box: its own process, the null output."""
    return subprocess.Popen(
        [LOA_PLAYER, "run", "--server", live_server.url, "--home", str(home), "--output", "null",
         *options],
        env={**os.environ, "LOA_PLAYER_TOKEN": world.token},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("clock", [REAL_TIME], indirect=True)
def test_a_killed_agent_process_restarted_airs_the_next_slot_on_time(
    live_server: LiveServer, world: World, tmp_path: Path
) -> None:
    short_programme(world, 3000)
    t0 = world.clock.now()
    first, second = (world.add_airing(t0 + timedelta(seconds=s)) for s in (5, 11))
    process = agent_process(live_server, world, tmp_path / "box")
    try:
        wait_for_log(world, [first], {"airing.started"}, seconds=15)
        process.kill()  # SIGKILL mid-airing: a power cut, nothing written on the way out
        process.wait(10)
        process = agent_process(live_server, world, tmp_path / "box")
        wait_for_log(world, [first], {"airing.interrupted"}, seconds=15)
        found = wait_for_log(world, [second], {"airing.started", "airing.completed"}, seconds=20)
    finally:
        process.terminate()
        process.wait(30)
    assert 0 <= started_late_s(found)[second] <= ON_TIME_S
    assert {e.event for e in entries(world, [first])} == {"airing.started", "airing.interrupted"}


@pytest.mark.parametrize("clock", [REAL_TIME], indirect=True)
def test_a_revoked_agent_process_stops_airing_after_the_grace_and_says_so(
    live_server: LiveServer, world: World, tmp_path: Path
) -> None:
    short_programme(world, 8000)
    t0 = world.clock.now()
    on_air, later = (world.add_airing(t0 + timedelta(seconds=s)) for s in (4, 14))
    home = tmp_path / "box"
    process = agent_process(live_server, world, home, "--poll", "1",
                            "--refused-grace", "2")
    try:
        wait_for_log(world, [on_air], {"airing.started"}, seconds=15)
        with world.services.sessions.begin() as session:
            revoke_player(session, world.players[0].player_id)
        revoked_at = time.monotonic()
        deadline = revoked_at + 10  # a poll (1 s), the grace (2 s), then a playout step
        while True:
            shown = subprocess.run([LOA_PLAYER, "status", "--home", str(home)],
                                   capture_output=True, text=True, check=True).stdout
            if "ĐÃ NGỪNG PHÁT" in shown or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # polling the box's status; the deadline bounds the wait
        assert "HTTP 401" in shown and "ĐÃ NGỪNG PHÁT (airing STOPPED)" in shown, shown
        assert time.monotonic() - revoked_at < 8  # stopped before the 8-s airing would end
        wait_until_past = world.clock.now() + timedelta(seconds=2)
        while world.clock.now() < max(wait_until_past, t0 + timedelta(seconds=15)):
            time.sleep(0.2)  # the later slot comes and goes
    finally:
        process.terminate()
        process.wait(30)
    played = [json.loads(line)["airing_id"] for line in (home / "played.jsonl").open()]
    assert played == [on_air]  # the later slot did not air
    kept = sqlite3.connect(home / "agent.sqlite3")
    outcomes = dict(kept.execute("SELECT airing_id, outcome FROM handled"))
    reasons = [json.loads(b)["detail"].get("reason", "") for (b,) in
               kept.execute("SELECT body FROM outbox")]
    kept.close()
    assert outcomes == {on_air: "airing.interrupted", later: "airing.failed"}
    assert len(reasons) == 2 and all("token refused" in r for r in reasons)


@pytest.mark.usefixtures("need_aplay")
def test_a_failing_first_output_hands_the_airing_to_the_second(
    running: Callable[..., Runner], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")  # ffplay really plays, to no sound card
    short_programme(world, 2000)
    runner = running(outputs=("aplay", "ffplay", "null"), alsa_device="nosuchcard")
    [airing] = plan(world, runner, [3])
    found = wait_for_log(world, [airing], {"airing.started", "airing.completed"}, seconds=20)
    completed = next(e for e in found if e.event == "airing.completed")
    assert completed.detail["output"] == "ffplay"
    errors = completed.detail["output_errors"]
    assert len(errors) == 2 and all("nosuchcard" in e for e in errors)  # type: ignore[union-attr]
    assert completed.played_ms is not None and 0 < completed.played_ms <= 2000
    assert "output" in runner.agent.health.snapshot()


@pytest.mark.usefixtures("need_aplay")
def test_falling_back_to_the_null_output_is_reported_as_a_failed_airing(
    running: Callable[..., Runner], world: World
) -> None:
    short_programme(world, 2000)
    runner = running(outputs=("aplay", "null"), alsa_device="nosuchcard")
    [airing] = plan(world, runner, [3])
    found = wait_for_log(world, [airing], {"airing.started", "airing.failed"}, seconds=20)
    failed = next(e for e in found if e.event == "airing.failed")
    assert failed.detail["output"] == "null" and "no real output" in str(failed.detail["reason"])
    [played] = runner.agent.on_air.outputs[1].played  # type: ignore[attr-defined]
    assert played["airing_id"] == airing  # the null output still kept time and the log


@pytest.mark.usefixtures("need_aplay")
def test_an_overrunning_output_is_stopped_at_the_slot_end_and_the_next_starts_on_time(
    running: Callable[..., Runner], world: World, make_agent: Callable[..., Agent],
    tmp_path: Path
) -> None:
    short_programme(world, 1500)
    agent = make_agent()
    agent.on_air.outputs = [AplayOutput(agent.now, program=slow_player(tmp_path))]
    runner = running(agent)
    ids = plan(world, runner, [3, 4.5])
    found = wait_for_log(world, ids, {"airing.started", "airing.completed"}, seconds=20)
    late = started_late_s(found)
    assert all(0 <= s <= ON_TIME_S for s in late.values()), late
    completed = [e for e in found if e.event == "airing.completed"]
    assert all(e.detail.get("stopped_at_end") for e in completed)
    assert all(e.played_ms == 1500 for e in completed)


def test_two_overlapping_slots_play_one_after_the_other_the_later_late(
    running: Callable[..., Runner], world: World
) -> None:
    short_programme(world, 1500)
    runner = running()
    first, second = plan(world, runner, [3, 3.5])
    found = wait_for_log(world, [first, second], {"airing.started", "airing.completed"}, 20)
    late = started_late_s(found)
    assert late[first] <= ON_TIME_S and 1.0 - ON_TIME_S <= late[second] <= 1.0 + ON_TIME_S
    started = {e.airing_id: e.at for e in found if e.event == "airing.started"}
    ended = {e.airing_id: e.at for e in found if e.event == "airing.completed"}
    assert ended[first] <= started[second]
