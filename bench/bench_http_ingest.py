"""Player events over HTTP: gunicorn workers on PostgreSQL, driven by wrk over loopback.

Run: .venv/bin/python -m bench.bench_http_ingest [--players 200 --workers 4 --seconds 15]
Needs wrk (apt install wrk). Three runs against the same server, one after the
other: GET /api/v1/openapi.json (the trivial endpoint, the reference),
single-event POSTs, and 200-event batches. Every event is new and signed by its
player's enrolled key (signed before the clock starts); the events/s figure
counts the entries the log gained, so a rejected or repeated event counts nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.bench_ingest import postgres_database
from bench.fleet_seed import BenchPlayer
from bench.http_server import Server, gunicorn_on
from loa.player.keys import sign_event

COMMAND = ".venv/bin/python -m bench.bench_http_ingest"
SHA = "a" * 64

LUA = r"""
local lines = {}
local n = 0
local path = "%s"
function setup(thread)
  n = n + 1
  thread:set("tid", n)
end
function init(args)
  for line in io.lines(path) do
    local token, body = line:match("([^\t]+)\t(.*)")
    lines[#lines + 1] = {token, body}
  end
  i = tid
end
function request()
  local item = lines[(i - 1) %% #lines + 1]
  i = i + %d
  return wrk.format("POST", "/api/v1/player/events",
    {["Authorization"] = "Bearer " .. item[1], ["Content-Type"] = "application/json"}, item[2])
end
"""


@dataclass
class Run:
    requests_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu: float  # cores the gunicorn processes used on average


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(server: Server, args: list[str], seconds: int) -> Run:
    before, began = server.cpu_seconds(), time.monotonic()
    out = subprocess.run(["wrk", "--latency", "-d", f"{seconds}s", *args],
                         capture_output=True, text=True, check=True).stdout
    cpu = (server.cpu_seconds() - before) / (time.monotonic() - began)
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Run(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
               # The distribution's own lines: "+/- Stdev" columns end in % too (75.50%).
               _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
               _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
               errors, cpu)


def _event(player: BenchPlayer, n: int, now: datetime) -> dict:
    kind = "airing.started" if n % 2 == 0 else "airing.completed"
    return sign_event(player.key, {
        "id": str(uuid.uuid4()), "type": kind, "airing_id": player.airing_ids[n % 3],
        "at": (now - timedelta(seconds=n)).isoformat(), "sha256": SHA,
        "played_ms": None if kind == "airing.started" else 600_000, "detail": {}})


def write_bodies(path: Path, players: list[BenchPlayer], requests: int, batch: int,
                 now: datetime) -> None:
    """``requests`` bodies of ``batch`` events each, every body from the next player."""
    with path.open("w") as out:
        for r in range(requests):
            player = players[r % len(players)]
            events = [_event(player, r * batch + k, now) for k in range(batch)]
            out.write(f"{player.token}\t{json.dumps({'events': events})}\n")


def logged(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(text(
            "SELECT count(*) FROM airing_log_entry WHERE event <> 'key.enrolled'")).scalar_one()
    engine.dispose()
    return int(count)


def post_run(server: Server, url: str, work: Path, name: str, threads: int, conns: int,
             seconds: int) -> tuple[Run, int]:
    script = work / f"{name}.lua"
    script.write_text(LUA % (work / f"{name}.tsv", threads))
    before = logged(url)
    run = wrk(server, ["-t", str(threads), "-c", str(conns), "-s", str(script), server.url],
              seconds)
    return run, logged(url) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="per worker")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp, postgres_database() as url:
        work = Path(tmp)
        with gunicorn_on(url, work, args.players, args.workers, now, args.threads) as server:
            # Enough new events for 4,000 single POSTs/s and 15,000 events/s in batches.
            write_bodies(work / "single.tsv", server.players, 4000 * args.seconds, 1, now)
            write_bodies(work / "batch.tsv", server.players, 75 * args.seconds, 200, now)
            wrk_threads = 2
            common = ["-t", str(wrk_threads), "-c", str(args.connections)]
            trivial = wrk(server, [*common, f"{server.url}/api/v1/openapi.json"], args.seconds)
            single, single_new = post_run(server, url, work, "single", wrk_threads,
                                          args.connections, args.seconds)
            batch, batch_new = post_run(server, url, work, "batch", wrk_threads,
                                        args.connections // 2, args.seconds)
            rss = server.rss_mb()
    rows = [
        ("GET /api/v1/openapi.json (reference)", trivial, "—"),
        ("POST 1 event", single, f"{single_new / args.seconds:,.0f}"),
        ("POST 200 events", batch, f"{batch_new / args.seconds:,.0f}"),
    ]
    table = "\n".join(
        f"| {name} | {run.requests_s:,.0f} | {run.requests_s / trivial.requests_s:.2f}× | "
        f"{run.p50_ms:.1f} | {run.p99_ms:.1f} | {events} | {run.errors} | {run.server_cpu:.2f} |"
        for name, run, events in rows)
    load = Path("/proc/loadavg").read_text().split()[0]
    body = (
        f"`loa web` (gunicorn gthread, {args.workers} workers × {args.threads} threads) on "
        f"PostgreSQL 127.0.0.1, {args.players} players (stations) with enrolled keys; wrk "
        f"{wrk_threads} threads, {args.connections} connections ({args.connections // 2} for "
        f"batches), {args.seconds} s per run, over loopback on the same 2 cores.\n\n"
        "| run | requests/s | × reference | p50 ms | p99 ms | new events/s | errors | "
        "server cores used |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        f"{table}\n\n"
        f"Server memory at the end: {rss:,.0f} MB RSS (master and workers). "
        f"1-minute load average at the end: {load} (2 cores, shared with other work).\n"
        "Goals: single-event POSTs ≥ 1,500 requests/s with p99 ≤ 50 ms; batches ≥ 10,000 "
        "events/s. Everything (wrk, gunicorn, PostgreSQL) shares the 2 cores with the other "
        "engineers' test runs: the 'server cores used' column is the share the gunicorn "
        "processes got, so the ratio to the reference is the figure to compare across runs."
    )
    from bench.results import write_section

    write_section("HTTP ingest", COMMAND, body)


if __name__ == "__main__":
    main()
