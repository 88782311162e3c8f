"""The field cases on simulated time: a full disk, a locked outbox, a reboot without a
real-time clock, a wall-clock step, a revoked token, a notice that outran its change."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from loa.cli import cli
from loa.player.agent import Agent
from loa.player.status import status_lines
from loa.player.timekeeping import TimeKeeper
from loa.playlists.models import (
    Airing,
    AiringStatus,
    AudioAsset,
    Campaign,
    Programme,
    ProgrammeStatus,
)
from loa.simulate import LiveServer, SkewedClock, make_sine, run_until
from loa.stations.models import Player
from loa.stations.players import revoke_player, rotate_token
from tests.conftest import need_server
from tests.helpers.agents import crash, log, started_synced, starts
from tests.players.conftest import World

MakeAgent = Callable[..., Agent]


def heartbeats_sent(agent: Agent) -> list[dict[str, Any]]:
    """Every heartbeat the agent gets through to the server, from now on."""
    sent: list[dict[str, Any]] = []
    post = agent.link.sender.post_events

    def spy(events: list[dict[str, Any]]) -> dict[str, Any]:
        answer = post(events)
        sent.extend(e for e in events if e["type"] == "heartbeat")
        return answer

    agent.link.sender.post_events = spy  # type: ignore[method-assign]
    return sent


def other_programme_airing(world: World, folder: Path, starts_at: Any) -> int:
    """An airing of a second programme, whose audio the agent does not hold yet."""
    audio = make_sine(folder / "other.mp3", seconds=1.0, frequency=660)
    with world.services.sessions.begin() as session:
        stored = world.services.store.put_file(audio)
        session.merge(AudioAsset(sha256=stored.sha256, duration_ms=600_000, format="mp3",
                                 bytes=stored.bytes))
        first = session.query(Programme).one()
        campaign = Campaign(code="SIM-PCTT", topic="Phòng chống thiên tai", unit=first.unit)
        programme = Programme(campaign=campaign, unit=first.unit, month=first.month,
                              title="Phòng chống thiên tai", status=ProgrammeStatus.approved,
                              master_sha256=stored.sha256, duration_ms=600_000,
                              approved_at=first.approved_at)
        session.add_all([campaign, programme])
        session.flush()
        airing = Airing(programme_id=programme.id, station_id=world.players[0].station_id,
                        starts_at=starts_at, status=AiringStatus.planned)
        session.add(airing)
        session.flush()
        return airing.id


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """No room left for audio: writing a download (``.part``) fails with ENOSPC."""
    real_open = Path.open

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self.name.endswith(".part") and ("w" in mode or "a" in mode):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)


def test_full_disk_is_reported_and_the_agent_airs_what_it_holds(
    make_agent: MakeAgent, world: World, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    agent = started_synced(make_agent, world, heartbeat_s=600)
    first, first_at = starts(world, 0)
    other = other_programme_airing(world, tmp_path, world.clock.now() + timedelta(hours=2))
    beats = heartbeats_sent(agent)
    request.getfixturevalue("full_disk")
    agent.link.request_sync()
    run_until([agent], world.clock, first_at + timedelta(hours=1))  # type: ignore[operator]
    assert [p["airing_id"] for p in agent.output.played] == [first]  # type: ignore[attr-defined]
    events = {(e.airing_id, e.event): e for e in log(world)}
    assert "No space left" in str(events[other, "airing.failed"].detail["reason"])
    assert (first, "airing.completed") in events
    assert any("No space left" in h["detail"]["problems"].get("disk", "") for h in beats)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MB file system (tmpfs) for the agent's home, as on a small SD card."""
    mount = tmp_path / "sd"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        need_server("a tmpfs mount (root)", OSError(done.stderr))
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path) -> None:
    """Write until the file system refuses (ENOSPC)."""
    with contextlib.suppress(OSError), (disk / "filler").open("wb", buffering=0) as fh:
        while True:
            fh.write(b"\0" * 4096)


def test_a_really_full_disk_still_airs_sends_and_is_in_the_heartbeat(
    make_agent: MakeAgent, world: World, tmp_path: Path, small_disk: Path
) -> None:
    agent = make_agent(home=str(small_disk / "agent"), heartbeat_s=600)
    try:
        run_until([agent], world.clock, world.clock.now() + timedelta(minutes=1))
        assert agent.cache.is_good(world.sha256)
        first, first_at = starts(world, 0)
        other = other_programme_airing(world, tmp_path, world.clock.now() + timedelta(hours=2))
        beats = heartbeats_sent(agent)
        fill(small_disk)  # nothing more fits: not the outbox, not a download, not a log line
        agent.link.request_sync()
        run_until([agent], world.clock, first_at + timedelta(hours=1))  # type: ignore[operator]
        events = {(e.airing_id, e.event): e for e in log(world)}
        assert (first, "airing.completed") in events  # its audio was held: it aired
        assert "No space left" in str(events[other, "airing.failed"].detail["reason"])
        assert beats and all("disk" in h["detail"]["problems"] for h in beats), beats
        assert beats[-1]["detail"]["disk_free_mb"] == 0 and agent.outbox.pending() == 0
        with world.services.sessions() as session:  # what the district sees of the box
            health = session.get_one(Player, world.players[0].player_id).health
        assert "disk" in health["problems"]  # type: ignore[operator]
        assert isinstance(health["clock_offset_age_s"], float)
    finally:
        agent.close()


def test_a_corrupt_cache_file_is_reported_in_the_heartbeat(
    make_agent: MakeAgent, world: World
) -> None:
    first, first_at = starts(world, 0)
    world.clock.set(first_at - timedelta(hours=1))  # type: ignore[operator]
    agent = started_synced(make_agent, world, heartbeat_s=300)
    beats = heartbeats_sent(agent)
    path = agent.cache.path(world.sha256)
    path.write_bytes(b"\0" * path.stat().st_size)
    run_until([agent], world.clock, first_at + timedelta(minutes=15))  # type: ignore[operator]
    assert [p["airing_id"] for p in agent.output.played] == [first]  # type: ignore[attr-defined]
    assert any("corrupt" in h["detail"]["problems"].get("cache", "") for h in beats)


def test_a_locked_outbox_still_sends_events_and_reports_it(
    make_agent: MakeAgent, world: World
) -> None:
    first, first_at = starts(world, 0)
    world.clock.set(first_at - timedelta(minutes=5))  # type: ignore[operator]
    agent = started_synced(make_agent, world, heartbeat_s=300, progress_s=300)
    beats = heartbeats_sent(agent)
    locker = sqlite3.connect(agent.config.db_path, timeout=0, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # an engineer's sqlite3 shell holds the file
    try:
        run_until([agent], world.clock, first_at + timedelta(minutes=15))  # type: ignore[operator]
        assert [p["airing_id"] for p in agent.output.played] == [first]  # type: ignore[attr-defined]
        assert [(e.airing_id, e.event) for e in log(world)] == [
            (first, "airing.started"), (first, "airing.completed")]
        assert any("locked" in h["detail"]["problems"].get("outbox", "") for h in beats)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    run_until([agent], world.clock, first_at + timedelta(hours=2))  # type: ignore[operator]
    crash(agent)
    again = make_agent()  # the outcome reached the file: no false "missed" after a restart
    run_until([again], world.clock, first_at + timedelta(hours=3))  # type: ignore[operator]
    assert len(log(world)) == 2 and again.outbox.pending() == 0


def test_reboot_without_rtc_applies_no_stale_offset(
    make_agent: MakeAgent, world: World, live_server: LiveServer
) -> None:
    fast = SkewedClock(world.clock, timedelta(minutes=5))
    agent = make_agent(clock=fast, boot="boot-1")
    run_until([agent], world.clock, world.clock.now() + timedelta(minutes=1))
    assert agent.keeper.offset == timedelta(minutes=-5)
    crash(agent)
    live_server.stop()
    # A power cut; the box comes back without a real-time clock, three hours behind, offline.
    behind = SkewedClock(world.clock, timedelta(hours=-3))
    again = make_agent(clock=behind, boot="boot-2")
    assert again.keeper.offset == timedelta(0) and again.keeper.age_s() is None
    assert again.now() == behind.now()
    again.close()
    same_boot = make_agent(clock=fast, boot="boot-1")  # a restart within the boot keeps it
    assert same_boot.keeper.offset == timedelta(minutes=-5)
    assert same_boot.now() == world.clock.now()
    same_boot.close()
    live_server.start()
    rebooted = make_agent(clock=behind, boot="boot-2")
    first, first_at = starts(world, 0)
    run_until([rebooted], world.clock, first_at + timedelta(minutes=15))  # type: ignore[operator]
    assert rebooted.keeper.offset == timedelta(hours=3)
    [played] = rebooted.output.played  # type: ignore[attr-defined]
    assert played["airing_id"] == first and played["error_s"] == 0


def test_a_wall_clock_step_drops_stale_samples_and_keeps_the_airing_on_time(
    make_agent: MakeAgent, world: World
) -> None:
    wall = SkewedClock(world.clock, timedelta(0))
    agent = make_agent(clock=wall)
    first, first_at = starts(world, 0)
    run_until([agent], world.clock, first_at - timedelta(hours=1))  # type: ignore[operator]
    before = agent.now()
    wall.offset = timedelta(hours=2)  # someone sets the box's clock two hours forward
    assert agent.now() == before and agent.keeper.steps == 1
    run_until([agent], world.clock, first_at + timedelta(minutes=15))  # type: ignore[operator]
    [played] = agent.output.played  # type: ignore[attr-defined]
    assert played["airing_id"] == first and played["error_s"] == 0
    assert agent.keeper.offset == timedelta(hours=-2)  # re-measured at once after the step


def test_the_offset_is_kept_with_its_boot(world: World) -> None:
    saved = {"ms": 5000, "boot_id": "b1", "mono": 0.0, "at": "x"}
    assert TimeKeeper(world.clock, "b1", saved, print).offset == timedelta(seconds=5)
    other_boot = TimeKeeper(world.clock, "b2", saved, print)
    assert other_boot.offset == timedelta(0) and other_boot.age_s() is None


def test_a_revoked_token_stops_airing_after_the_grace(
    make_agent: MakeAgent, world: World, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = started_synced(make_agent, world, poll_s=600, refused_retry_s=3600)
    now = world.clock.now()
    within, after = (world.add_airing(now + timedelta(minutes=m)) for m in (40, 180))
    assert agent.link.sync()
    with world.services.sessions.begin() as session:
        revoke_player(session, world.players[0].player_id)
    asked: list[object] = []
    fetch = agent.link.client.schedule
    monkeypatch.setattr(agent.link.client, "schedule",
                        lambda etag: asked.append(etag) or fetch(etag))
    run_until([agent], world.clock, now + timedelta(hours=4))
    played = [p["airing_id"] for p in agent.output.played]  # type: ignore[attr-defined]
    assert played == [within]  # inside the hour's grace: still aired
    assert agent.handled[after] == "airing.failed" and len(asked) <= 5  # not every 10 min
    lines = status_lines(agent.config.home, world.clock.now())
    assert any("401" in line and "ĐÃ NGỪNG PHÁT" in line for line in lines)
    shown = CliRunner().invoke(cli, ["player", "status", "--home", str(agent.config.home)],
                               env=env)
    assert shown.exit_code == 0 and "HTTP 401" in shown.output


def test_a_rotated_token_put_on_the_box_airs_again(make_agent: MakeAgent, world: World) -> None:
    agent = started_synced(make_agent, world, poll_s=600, refused_grace_s=60)
    with world.services.sessions.begin() as session:
        token = rotate_token(session, world.players[0].player_id)  # the box still has the old
    run_until([agent], world.clock, world.clock.now() + timedelta(hours=1))
    assert agent.link.refused_too_long(agent.now()) and "token" in agent.health.snapshot()
    crash(agent)
    again = Agent(replace(agent.config, token=token), world.clock, boot_id=lambda: "boot-1")
    try:
        assert again.link.refused is None and again.link.sync() and again.link.refused is None
        first, first_at = starts(world, 0)
        run_until([again], world.clock, first_at + timedelta(minutes=15))  # type: ignore[operator]
        assert [p["airing_id"] for p in again.output.played] == [first]  # type: ignore[attr-defined]
    finally:
        again.close()


def test_a_notice_then_an_unchanged_schedule_is_fetched_again_shortly(
    make_agent: MakeAgent, world: World
) -> None:
    agent = started_synced(make_agent, world)
    assert agent.link.sync()  # serving marked the airings published: now the schedule is steady
    agent.link.request_sync()
    agent.link.sync_step()  # the notice outran the commit: still the old schedule (304)
    assert agent.link.next_sync == agent.now() + timedelta(seconds=2)
    new = world.add_airing(world.clock.now() + timedelta(days=2))
    assert new not in {s.airing_id for s in agent.schedule.slots}
    run_until([agent], world.clock, world.clock.now() + timedelta(seconds=5))
    assert new in {s.airing_id for s in agent.schedule.slots}
    agent.link.request_sync()
    for _ in range(4):  # a notice with nothing behind it: a few quick looks, then polling
        agent.link.sync()
    assert agent.link.next_sync == agent.now() + timedelta(seconds=agent.config.poll_s)
