"""The real agent relays a real Icecast stream (issue 17 §2): on time, through the output
chain, onto the fallback when the stream stops or carries dead air, back when it returns,
off at the slot's end; every step a signed event the server accepts.

The null output keeps what it was given as a WAV file: the tests listen to it (the stream
is an 880 Hz tone, the fallback a 440 Hz one), so "the fallback was heard" is heard.
"""

from __future__ import annotations

import itertools
import time
import wave
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from loa.audio.stream_probe import StreamProbe
from loa.clock import OffsetClock
from loa.compliance.models import AiringLogEntry
from loa.db import transaction
from loa.player.agent import Agent
from loa.player.runner import Runner
from loa.playlists.relays import add_slot, add_source
from loa.simulate import LiveServer, make_sine
from loa.stations.service import get_station
from loa.stations.units import get_unit
from tests.conftest import START
from tests.helpers.icecast import Icecast
from tests.players.bulletins import send_bulletin
from tests.players.conftest import World

pytestmark = pytest.mark.real_time

LEAD_S = 20  # the clock starts this long before the slot (08:00 in Vietnam, START)
STREAM_HZ, FALLBACK_HZ = 880, 440


@pytest.fixture
def clock() -> OffsetClock:
    """One running clock for the server and the agent, the slot LEAD_S ahead."""
    return OffsetClock(START - timedelta(seconds=LEAD_S))


@pytest.fixture
def icecast() -> Iterator[Icecast]:
    server = Icecast().start()
    yield server
    server.stop()


@pytest.fixture
def relaying(make_agent: Callable[..., Agent]) -> Iterator[Callable[..., Runner]]:
    runners: list[Runner] = []

    def start(**options: float) -> Runner:
        runner = Runner(make_agent(**options)).start()
        runners.append(runner)
        assert runner.agent.link.synced.wait(10), "first sync did not happen"
        return runner

    yield start
    for runner in runners:
        runner.stop()


def relay_slot(world: World, url: str, fallback: Path | None) -> int:
    """A one-minute relay at 08:00 on the first station, of a province's source."""
    services = world.services
    with transaction(services.sessions) as s:
        source, _ = add_source(s, unit=get_unit(s, "SIM"), code="VOV1", name="VOV1",
                               url=url, fallback=fallback, store=services.store,
                               clock=services.clock, probe=lambda _u: StreamProbe("mp3"))
        station = get_station(s, world.players[0].station_code)
        return add_slot(s, source=source, unit=None, station=station, days="T2-CN",
                        at="08:00", minutes=1, required=True, clock=services.clock).id


def at_clock(clock: OffsetClock, instant: datetime) -> None:
    """Wait for the running clock to reach ``instant`` (the scenario's timeline)."""
    while clock.now() < instant:
        time.sleep(min(0.1, (instant - clock.now()).total_seconds()))


def relay_log(world: World, until: str, seconds: float) -> list[AiringLogEntry]:
    """The relay events the server logged, once one of type ``until`` arrived."""
    deadline = time.monotonic() + seconds
    while True:
        with world.services.sessions() as session:
            found = list(session.scalars(select(AiringLogEntry).where(
                AiringLogEntry.event.like("relay.%")).order_by(AiringLogEntry.seq)))
        if any(e.event == until for e in found):
            return found
        assert time.monotonic() < deadline, f"only {[e.event for e in found]} arrived"
        time.sleep(0.2)  # polling the server's log; the deadline bounds the wait


def parts(agent_home: Path) -> list[Path]:
    """The null output's recordings of the relay, one per part (an emergency makes two)."""
    return sorted(agent_home.glob("relay-*.wav"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def heard(path: Path) -> list[str]:
    """What the null output was given, per half second: "stream", "fallback" or "silence"."""
    with wave.open(str(path)) as wav:
        frames = wav.readframes(wav.getnframes())
    half = 22050 // 2 * 2
    out = []
    for n in range(0, len(frames) - half + 1, half):
        samples = memoryview(frames[n:n + half]).cast("h")
        if max(abs(x) for x in samples) < 300:
            out.append("silence")
            continue
        crossings = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
        out.append("stream" if crossings > (STREAM_HZ + FALLBACK_HZ) / 2 else "fallback")
    return out


def one(entries: list[AiringLogEntry], kind: str) -> AiringLogEntry:
    found = [e for e in entries if e.event == kind]
    assert len(found) == 1, [(e.event, e.detail) for e in entries]
    return found[0]


def test_a_minute_relay_rides_out_a_ten_second_cut_with_the_loa_server_down(
    world: World, clock: OffsetClock, icecast: Icecast, relaying: Callable[..., Runner],
    live_server: LiveServer, tmp_path: Path,
) -> None:
    """The issue's 60-s relay with the source cut for 10 s, the Loa server down throughout
    (the schedule and the fallback file are on the box; only the stream is needed)."""
    icecast.feed("vov1.mp3", STREAM_HZ)
    fallback = make_sine(tmp_path / "nhac-cho.mp3", seconds=4.0, frequency=FALLBACK_HZ)
    slot_id = relay_slot(world, icecast.url("vov1.mp3"), fallback)
    runner = relaying(backoff_cap_s=3.0)
    live_server.stop()
    at_clock(clock, START + timedelta(seconds=20))
    icecast.cut("vov1.mp3")
    at_clock(clock, START + timedelta(seconds=29))
    icecast.feed("vov1.mp3", STREAM_HZ)  # returns once listeners get it: about 1 s on
    back_at = clock.now()
    at_clock(clock, START + timedelta(seconds=61))
    live_server.start()  # the events waited in the outbox
    log = relay_log(world, "relay.completed", 30)

    started = one(log, "relay.started")
    assert started.detail["slot_id"] == slot_id and started.detail["late_ms"] < 1000
    assert abs((started.at - START).total_seconds()) < 1.0
    dropout = one(log, "relay.dropout")
    lasted = (datetime.fromisoformat(dropout.detail["to"])
              - datetime.fromisoformat(dropout.detail["from"])).total_seconds()
    assert dropout.detail["reason"] == "no_data" and 8.0 <= lasted <= 12.0, dropout.detail
    # back on the stream within 2.5 s of its return (ffmpeg's reconnects, our 5-s retries)
    assert datetime.fromisoformat(dropout.detail["to"]) - back_at < timedelta(seconds=2.5)
    done = one(log, "relay.completed")
    assert 48_000 <= done.detail["relayed_ms"] <= 52_000, done.detail
    assert done.detail["fallback_ms"] > 2_000 and done.detail["dropouts"] == 1
    assert done.played_ms == done.detail["relayed_ms"]
    assert abs((done.at - (START + timedelta(minutes=1))).total_seconds()) < 1.0  # its end
    (recording,) = parts(runner.agent.config.home)
    sound = heard(recording)
    assert sound[:30].count("stream") >= 28  # the first 15 s: the stream
    # The output was fed nothing for the 5 s before the switch, so the file runs on from
    # the stream's last second to the fallback's first.
    assert sound[38:60].count("fallback") >= 8  # the fallback was heard …
    assert sound[-20:].count("stream") >= 18  # … and the stream again to the end
    on_air_s = (done.detail["relayed_ms"] + done.detail["fallback_ms"]) / 1000
    assert abs(len(sound) / 2 - on_air_s) <= 1.0


def test_dead_air_goes_to_the_fallback_and_an_emergency_cuts_in_then_the_relay_goes_on(
    world: World, clock: OffsetClock, icecast: Icecast, relaying: Callable[..., Runner],
    tmp_path: Path,
) -> None:
    """A stream carrying dead air (-96 dBFS) from the start: after 20 s the fallback; the
    stream's sound returns at 25 s and goes back on air; an emergency from 30 s cuts the relay,
    which goes on after it and still ends at the slot's end."""
    icecast.feed("vov1.mp3", STREAM_HZ, volume_db=-90.0)
    fallback = make_sine(tmp_path / "nhac-cho.mp3", seconds=4.0, frequency=FALLBACK_HZ)
    alarm = make_sine(tmp_path / "bao.mp3", seconds=2.0, frequency=660)
    slot_id = relay_slot(world, icecast.url("vov1.mp3"), fallback)
    runner = relaying(bulletin_poll_s=1.0)
    at_clock(clock, START + timedelta(seconds=25))
    icecast.cut("vov1.mp3")
    icecast.feed("vov1.mp3", STREAM_HZ)
    at_clock(clock, START + timedelta(seconds=30))
    bulletin_id = send_bulletin(world.services, "SIM", alarm)  # rendered, then sent
    log = relay_log(world, "relay.completed", 40)

    with world.services.sessions() as session:
        cut = session.scalars(select(AiringLogEntry).where(
            AiringLogEntry.bulletin_id == bulletin_id,
            AiringLogEntry.player_id == world.players[0].player_id)
            .order_by(AiringLogEntry.seq)).all()
    assert [e.event for e in cut] == ["bulletin.started", "bulletin.completed"], [
        (e.event, e.at.isoformat(), e.detail) for e in [*log, *cut]]
    first, again = [e for e in log if e.event == "relay.started"]
    assert first.detail["late_ms"] < 1000 and "resumed" not in first.detail
    assert again.detail["resumed"] is True and again.detail["slot_id"] == slot_id
    assert cut[0].at <= again.at and cut[1].at <= again.at + timedelta(seconds=1)
    dropout = one(log, "relay.dropout")
    assert dropout.detail["reason"] == "silence"
    dead_from = datetime.fromisoformat(dropout.detail["from"])
    back = datetime.fromisoformat(dropout.detail["to"])
    assert abs((dead_from - START).total_seconds()) < 1.5  # dead air from the first second
    assert timedelta(seconds=25) < back - START < timedelta(seconds=32)
    done = one(log, "relay.completed")
    assert 18_500 <= done.detail["silence_ms"] <= 21_500, done.detail  # 20 s, then switched
    assert done.detail["dropouts"] == 1 and done.detail["fallback_ms"] > 4_000
    assert abs((done.at - (START + timedelta(minutes=1))).total_seconds()) < 1.0  # its end
    before, after = (heard(p) for p in parts(runner.agent.config.home))
    assert before[:38].count("silence") >= 36  # the dead air went out for 20 s …
    assert before[40:50].count("fallback") >= 8  # … then the fallback …
    assert before[-6:].count("stream") >= 5  # … then the stream, until the emergency
    assert after.count("stream") >= len(after) - 2 and len(after) >= 6  # and after it


def test_a_source_that_never_answers_is_relay_failed_with_the_fallback_on_air(
    tmp_path: Path,
) -> None:
    """No server, no stream: the slot comes with the schedule the box holds; after 5 s
    without data the fallback airs to the slot's end, and the relay is reported failed."""
    import hashlib
    import json
    import shutil

    from loa.clock import SystemClock
    from loa.player.bulletins import Audio
    from loa.player.config import AgentConfig
    from loa.player.relay_schedule import Relay

    fallback = make_sine(tmp_path / "nhac-cho.mp3", seconds=4.0, frequency=FALLBACK_HZ)
    sha = hashlib.sha256(fallback.read_bytes()).hexdigest()
    config = AgentConfig(server="http://127.0.0.1:9", token="t", home=tmp_path / "box",
                         poll_s=3600.0, heartbeat_s=3600.0, bulletin_poll_s=3600.0)
    agent = Agent(config, SystemClock(), boot_id=lambda: "boot")
    agent.cache.path(sha).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(fallback, agent.cache.path(sha))
    start = datetime.now(UTC) + timedelta(seconds=4)
    relay = Relay(7, start, start + timedelta(seconds=9), "VOV1", "VOV1",
                  "http://127.0.0.1:9/gone.mp3", Audio(sha, f"/api/v1/audio/{sha}", None, 4000))
    agent.schedule.relays = [relay]
    runner = Runner(agent).start()
    try:
        deadline = time.monotonic() + 30
        while relay.key not in agent.relays.done:
            assert time.monotonic() < deadline, "the relay never ended"
            time.sleep(0.2)  # the agent's threads work; the deadline bounds the wait
        events = [json.loads(body) for _id, body in
                  agent.db.query("SELECT id, body FROM outbox ORDER BY rowid", ())]
    finally:
        runner.stop()
    kinds = [e["type"] for e in events if e["type"].startswith("relay.")]
    assert kinds == ["relay.started", "relay.dropout", "relay.failed"]
    failed = events[[e["type"] for e in events].index("relay.failed")]["detail"]
    assert failed["relayed_ms"] == 0 and 3_000 <= failed["fallback_ms"] <= 4_500
    dropout = next(e for e in events if e["type"] == "relay.dropout")["detail"]
    assert dropout["reason"] in ("no_data", "error")
    assert abs(datetime.fromisoformat(dropout["from"]) - start) < timedelta(seconds=0.5)
    (recording,) = parts(config.home)
    assert heard(recording).count("fallback") >= 6  # the fallback was heard, not dead air


def outbox_events(agent: Agent) -> list[dict]:
    import json

    return [json.loads(body) for _id, body in
            agent.db.query("SELECT id, body FROM outbox ORDER BY rowid", ())]


def test_an_agent_killed_mid_relay_goes_on_with_it_after_a_restart(
    icecast: Icecast, tmp_path: Path,
) -> None:
    """The process dies 6 s into a 16 s relay (nothing reported); restarted 2 s later, it
    relays the rest of the slot and reports one completion covering both parts."""
    from loa.clock import SystemClock
    from loa.player.config import AgentConfig
    from loa.player.relay_schedule import Relay

    icecast.feed("vov1.mp3", STREAM_HZ)
    config = AgentConfig(server="http://127.0.0.1:9", token="t", home=tmp_path / "box",
                         poll_s=3600.0, heartbeat_s=3600.0, bulletin_poll_s=3600.0)
    start = datetime.now(UTC) + timedelta(seconds=4)
    relay = Relay(3, start, start + timedelta(seconds=16), "VOV1", "VOV1",
                  icecast.url("vov1.mp3"), None)

    def boot() -> tuple[Agent, Runner]:
        agent = Agent(config, SystemClock(), boot_id=lambda: "boot")
        agent.schedule.relays = [relay]  # as the schedule on disk gives it
        return agent, Runner(agent).start()

    first, runner = boot()
    while datetime.now(UTC) < start + timedelta(seconds=6):
        time.sleep(0.1)  # the scenario's timeline
    runner.stop(close=False)  # killed: no goodbye, only the disk survives
    play = first.relays.playing
    assert play is not None
    play.feed.stop()
    first.closed = True
    first.db.close()
    time.sleep(2.0)  # the box reboots
    again, runner = boot()
    try:
        deadline = time.monotonic() + 30
        while relay.key not in again.relays.done:
            assert time.monotonic() < deadline, "the relay never ended"
            time.sleep(0.2)
        events = [e for e in outbox_events(again) if e["type"].startswith("relay.")]
    finally:
        runner.stop()
    kinds = [e["type"] for e in events]
    assert kinds == ["relay.started", "relay.started", "relay.completed"], kinds
    assert events[1]["detail"]["resumed"] is True
    done = events[2]["detail"]
    # 6 s before the kill (kept on disk every 2 s: at least 4 s of it) and what followed
    # the restart and the reconnect (about 6 s), never more than the 16 s slot.
    assert 9_000 <= done["relayed_ms"] <= 16_000, done
    assert abs(datetime.fromisoformat(events[2]["at"]) - relay.ends_at) < timedelta(seconds=1)
