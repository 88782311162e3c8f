"""Playback start error of the reference agent versus starts_at, over back-to-back airings.

Each airing lasts exactly until the next one starts (end to end, as the planner packs a
window), so an airing that ended late would push or drop the next. Real time, null output.

Run: .venv/bin/python -m bench.bench_playback [--airings 40 --gap 1.0]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loa import migrate
from loa.app import build_services
from loa.clock import SystemClock
from loa.player.agent import Agent
from loa.player.config import AgentConfig
from loa.player.runner import Runner
from loa.playlists.models import Airing, Programme
from loa.settings import load_settings
from loa.simulate import LiveServer, make_sine, player_api_app, seed_fleet

COMMAND = ".venv/bin/python -m bench.bench_playback"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(work: Path, airings: int, gap_s: float) -> list[float]:
    """Seconds between each airing's starts_at and the moment the null output started it."""
    settings = load_settings({"LOA_HOME": str(work / "server"), "LOA_SECRET_KEY": "bench"})
    settings.home.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    services = build_services(settings, clock=SystemClock())
    now = datetime.now(UTC)
    with services.sessions.begin() as session:
        [seeded] = seed_fleet(session, services.store, make_sine(work / "tone.mp3"), 1, now, 1,
                              duration_ms=round(gap_s * 1000))
        programme_id = session.query(Programme.id).scalar()
        first = now + timedelta(seconds=3)
        session.add_all(Airing(programme_id=programme_id, station_id=seeded.station_id,
                               starts_at=first + timedelta(seconds=i * gap_s))
                        for i in range(airings))
    server = LiveServer(player_api_app(services)).start()
    config = AgentConfig(server=server.url, token=seeded.token, home=work / "agent", poll_s=60)
    runner = Runner(Agent(config, SystemClock())).start()
    try:
        end = first + timedelta(seconds=airings * gap_s + 1)
        runner.stop_event.wait((end - datetime.now(UTC)).total_seconds())
        played = list(runner.agent.output.played)  # type: ignore[attr-defined]
    finally:
        runner.stop()
        server.stop()
    return [float(p["wall_time"]) - datetime.fromisoformat(str(p["starts_at"])).timestamp()
            for p in played]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--airings", type=int, default=40)
    parser.add_argument("--gap", type=float, default=1.0,
                        help="seconds between airings, each as long as the gap")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        errors = measure(Path(tmp), args.airings, args.gap)
    skipped = args.airings - len(errors)
    median, p99 = statistics.median(errors), _percentile(errors, 0.99)
    verdict = "meets" if median <= 0.2 and p99 <= 0.5 and skipped == 0 else "MISSES"
    body = (
        f"{args.airings} airings back to back, each {args.gap} s long, null output, real "
        "clock, agent and server on one machine (HTTP over loopback).\n\n"
        "| start error vs starts_at | seconds |\n| --- | --- |\n"
        f"| median | {median:.4f} |\n| p99 | {p99:.4f} |\n"
        f"| max | {max(errors):.4f} |\n| min | {min(errors):.4f} |\n\n"
        f"Airings skipped: {skipped} of {args.airings}.\n\n"
        "Negative means early: the agent corrects its clock to the server's, measured\n"
        "to about a millisecond over loopback.\n\n"
        f"Target median ≤ 0.2 s, p99 ≤ 0.5 s, none skipped: {verdict}."
    )
    from bench.results import write_section

    write_section("playback start error", COMMAND, body)


if __name__ == "__main__":
    main()
