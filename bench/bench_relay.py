"""A live relay on the reference agent: start error against the slot, and CPU while relaying.

A private Icecast (Debian's icecast2, as the tests start it) carries an MP3 tone fed
by ffmpeg. One agent process (null output, real clock, no server: relays come with
the schedule, so the slots are handed to it directly) relays:
- ``--starts`` short slots back to back (``--slot-s`` long, 2 s apart): the start
  error of each is the null output's start minus the slot's start (p50/p99/max);
- one ``--cpu-s`` relay, during which the agent's CPU is measured (its own threads:
  ``time.process_time``; its ffmpeg decoder: the children's rusage once reaped),
  against ffmpeg alone decoding the same stream to PCM for as long, in the same run.

Run: .venv/bin/python -m bench.bench_relay [--starts 12 --slot-s 6 --cpu-s 60]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.results import write_section
from loa.clock import SystemClock
from loa.player.agent import Agent
from loa.player.config import AgentConfig
from loa.player.relay_feed import stream_command
from loa.player.relay_schedule import Relay
from loa.player.runner import Runner
from tests.helpers.icecast import Icecast

COMMAND = ".venv/bin/python -m bench.bench_relay"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def relay_run(url: str, home: Path, slots: list[tuple[datetime, datetime]]) -> Agent:
    """One agent relaying ``slots`` (server unreachable: it keeps what it was handed)."""
    config = AgentConfig(server="http://127.0.0.1:9", token="bench", home=home,
                         outputs=("null",), poll_s=3600.0, heartbeat_s=3600.0,
                         bulletin_poll_s=3600.0, backoff_cap_s=3600.0)
    agent = Agent(config, SystemClock(), boot_id=lambda: "bench")
    agent.schedule.relays = [Relay(n + 1, s, e, "BENCH", "bench", url, None)
                             for n, (s, e) in enumerate(slots)]
    runner = Runner(agent).start()
    while any(r.key not in agent.relays.done for r in agent.schedule.relays):
        time.sleep(0.2)  # the bench's own timeline; the agent's threads do the work
    runner.stop()
    return agent


def start_errors(url: str, folder: Path, count: int, slot_s: float) -> list[float]:
    first = datetime.now(UTC) + timedelta(seconds=6)
    slots = [(first + timedelta(seconds=k * (slot_s + 2)),
              first + timedelta(seconds=k * (slot_s + 2) + slot_s)) for k in range(count)]
    agent = relay_run(url, folder / "starts", slots)
    record = agent.config.played_log.read_text().splitlines()
    return [abs(json.loads(line)["error_s"]) for line in record]


def agent_cpu(url: str, folder: Path, seconds: float) -> tuple[float, float]:
    """(agent threads' CPU s, its decoder's CPU s) over one relay of ``seconds``."""
    start = datetime.now(UTC) + timedelta(seconds=5)
    own, kids = time.process_time(), children_cpu()
    relay_run(url, folder / "cpu", [(start, start + timedelta(seconds=seconds))])
    return time.process_time() - own, children_cpu() - kids


def ffmpeg_cpu(url: str, seconds: float) -> float:
    """ffmpeg alone decoding the same stream to PCM for ``seconds``."""
    before = children_cpu()
    proc = subprocess.Popen(stream_command(url), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(seconds)  # the stream runs in real time: so does the measure
    proc.terminate()
    proc.wait()
    return children_cpu() - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=12)
    parser.add_argument("--slot-s", type=float, default=6.0)
    parser.add_argument("--cpu-s", type=float, default=60.0)
    args = parser.parse_args()
    icecast = Icecast().start()
    try:
        icecast.feed("bench.mp3")
        url = icecast.url("bench.mp3")
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work)
            errors = start_errors(url, folder, args.starts, args.slot_s)
            threads, decoder = agent_cpu(url, folder, args.cpu_s)
            alone = ffmpeg_cpu(url, args.cpu_s)
    finally:
        icecast.stop()
    load = os.getloadavg()[0]
    body = f"""
| measure | value |
| --- | ---: |
| relay start error p50 | {percentile(errors, 0.5) * 1000:.0f} ms |
| relay start error p99 | {percentile(errors, 0.99) * 1000:.0f} ms |
| relay start error max | {max(errors) * 1000:.0f} ms |
| agent CPU while relaying: its threads | {threads / args.cpu_s * 100:.1f} % |
| agent CPU while relaying: its ffmpeg decoder | {decoder / args.cpu_s * 100:.1f} % |
| agent CPU while relaying: together | {(threads + decoder) / args.cpu_s * 100:.1f} % |
| ffmpeg alone decoding the same stream | {alone / args.cpu_s * 100:.1f} % |

{len(errors)} relays of {args.slot_s:.0f} s each (start error: the null output's start minus
the slot's start, agent connected 3 s ahead as it always is); CPU over one {args.cpu_s:.0f} s
relay of a 64 kbps MP3 Icecast stream, as a share of one core; ffmpeg alone decodes the
same stream to PCM for as long, in the same run. Load average {load:.2f} (2 cores, shared).
Target: start error p99 ≤ 1 s.
"""
    write_section("relay", COMMAND, body)


if __name__ == "__main__":
    main()
