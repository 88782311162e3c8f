"""A fleet of simulated players against `loa web` (gunicorn) on PostgreSQL.

Run: .venv/bin/python -m bench.bench_fleet [--players 10000 --minutes 10 --workers 4]
Every player polls its schedule every 5 minutes (with If-None-Match, as the
agent does) and sends a signed heartbeat every 60 s, each at its own phase,
all from one asyncio process (aiohttp). The players are created in bulk
straight in the database. Reports requests/s, p50/p99 by kind, errors, and
the CPU and memory of the gunicorn processes (psutil), sampled every 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import logging
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psutil

from bench.bench_ingest import postgres_database
from bench.fleet_seed import BenchPlayer
from bench.http_server import Server, gunicorn_on
from loa.player.keys import sign_event

COMMAND = ".venv/bin/python -m bench.bench_fleet --players 10000 --minutes 10"


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"schedule": [],
                                                                        "heartbeat": []})
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def note(self, kind: str, status: int | str, seconds: float) -> None:
        self.latencies[kind].append(seconds * 1000)
        key = f"{kind} {status}"
        self.statuses[key] = self.statuses.get(key, 0) + 1


def heartbeat(player: BenchPlayer) -> dict:
    return sign_event(player.key, {
        "id": str(uuid.uuid4()), "type": "heartbeat", "airing_id": None,
        "at": datetime.now(UTC).isoformat(), "sha256": None, "played_ms": None,
        "detail": {"version": "bench", "disk_free_mb": 900, "state": "idle",
                   "clock_offset_ms": 0}})


async def one_request(http: aiohttp.ClientSession, server: Server, player: BenchPlayer,
                      kind: str, etags: dict[int, str], tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {player.token}"}
    began = time.perf_counter()
    try:
        if kind == "schedule":
            if player.player_id in etags:
                headers["If-None-Match"] = etags[player.player_id]
            async with http.get(f"{server.url}/api/v1/player/schedule", headers=headers) as r:
                await r.read()
                ok = r.status in (200, 304)
                if r.status == 200:
                    etags[player.player_id] = r.headers["ETag"]
        else:
            body = json.dumps({"events": [heartbeat(player)]})
            headers["Content-Type"] = "application/json"
            async with http.post(f"{server.url}/api/v1/player/events", data=body,
                                 headers=headers) as r:
                answer = await r.json()
                ok = r.status == 200 and len(answer["accepted"]) == 1
        tally.note(kind, r.status, time.perf_counter() - began)
        if not ok:
            tally.errors.append(f"{kind} {r.status}")
    except (aiohttp.ClientError, TimeoutError) as err:
        tally.note(kind, type(err).__name__, time.perf_counter() - began)
        tally.errors.append(f"{kind} {type(err).__name__}")


async def drive(server: Server, seconds: float, poll_s: float, beat_s: float,
                connections: int) -> tuple[Tally, float, list[tuple[float, float]]]:
    """Run the fleet for ``seconds``; (tally, wall seconds, server (cores, MB) samples)."""
    tally, etags = Tally(), {}
    start = time.monotonic()
    due: list[tuple[float, int, str]] = []
    for n, _player in enumerate(server.players):
        due.append((start + random.uniform(0, poll_s), n, "schedule"))
        due.append((start + random.uniform(0, beat_s), n, "heartbeat"))
    heapq.heapify(due)
    samples: list[tuple[float, float]] = []
    tasks: set[asyncio.Task] = set()
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        cpu_before, sampled_at = server.cpu_seconds(), time.monotonic()
        while due and due[0][0] < start + seconds:
            at, n, kind = heapq.heappop(due)
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one_request(http, server, server.players[n], kind,
                                                   etags, tally))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            heapq.heappush(due, (at + (poll_s if kind == "schedule" else beat_s), n, kind))
            if time.monotonic() - sampled_at >= 10:
                cpu_now, now = server.cpu_seconds(), time.monotonic()
                samples.append(((cpu_now - cpu_before) / (now - sampled_at), server.rss_mb()))
                cpu_before, sampled_at = cpu_now, now
        if tasks:
            await asyncio.wait(tasks)
    return tally, time.monotonic() - start, samples


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--poll", type=float, default=300)
    parser.add_argument("--heartbeat", type=float, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    me = psutil.Process()
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp, postgres_database() as url:
        began = time.perf_counter()
        with gunicorn_on(url, Path(tmp), args.players, args.workers, datetime.now(UTC)) as server:
            seeded_s = time.perf_counter() - began
            client_cpu = sum(me.cpu_times()[:2])
            tally, wall, samples = asyncio.run(drive(server, args.minutes * 60, args.poll,
                                                     args.heartbeat, args.connections))
            client_cpu = (sum(me.cpu_times()[:2]) - client_cpu) / wall
    total = sum(len(v) for v in tally.latencies.values())
    rows = "\n".join(
        f"| {kind} | {len(v):,} | {len(v) / wall:,.1f} | {percentile(v, 50):.1f} | "
        f"{percentile(v, 99):.1f} | "
        + ", ".join(f"{k.split(' ')[1]}: {n:,}" for k, n in sorted(tally.statuses.items())
                    if k.startswith(kind)) + " |"
        for kind, v in tally.latencies.items())
    cores = [c for c, _ in samples]
    load = Path("/proc/loadavg").read_text().split()[0]
    body = (
        f"{args.players:,} players (created in bulk in the database, {seeded_s:.0f} s with the "
        f"server start), each polling its schedule every {args.poll:.0f} s with If-None-Match "
        f"and sending a signed heartbeat every {args.heartbeat:.0f} s, for {wall / 60:.1f} "
        f"minutes; one asyncio process (aiohttp, {args.connections} connections) against "
        f"`loa web` ({args.workers} gunicorn workers) on PostgreSQL 127.0.0.1, same 2 cores.\n\n"
        "| kind | requests | per s | p50 ms | p99 ms | answers |\n"
        "| --- | ---: | ---: | ---: | ---: | --- |\n"
        f"{rows}\n\n"
        f"All: {total:,} requests, {total / wall:,.1f}/s, **{len(tally.errors)} errors**"
        + (f" (first: {tally.errors[:3]})" if tally.errors else "") + ".\n\n"
        f"Server (gunicorn master and workers, psutil every 10 s): CPU "
        f"{statistics.mean(cores) if cores else 0:.2f} cores on average, "
        f"{max(cores) if cores else 0:.2f} at most; memory "
        f"{max((m for _, m in samples), default=0):,.0f} MB RSS at most. "
        f"The load generator itself: {client_cpu:.2f} cores. "
        f"1-minute load average at the end: {load} (2 cores, shared with other work)."
    )
    from bench.results import write_section

    write_section("fleet", COMMAND if args.players == 10_000 and args.minutes == 10 else
                  f"{COMMAND.split(' --')[0]} --players {args.players} --minutes {args.minutes}",
                  body)


if __name__ == "__main__":
    main()
