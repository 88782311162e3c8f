"""`loa plan --month` for the whole country: 3,321 stations, 9,963 airings, one command.

Run: .venv/bin/python -m bench.bench_country_plan
The country as bench/country.py builds it (real units, one station per commune,
a national campaign of 3 airings with an approved programme). Measured: the
command in a child process, first run (plans everything) and second run
(re-plan: reads everything, adds nothing), with peak memory. Reference, same run:
the same 9,963 airing rows stored by sqlite3 executemany / PostgreSQL COPY.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.country import (
    MONTH,
    backend,
    loa_env,
    load_average,
    median_run,
    on_both,
    planned_country,
    reference_insert,
    run_loa,
)
from bench.results import write_section
from loa.app import build_services
from loa.scheduler.service import plan
from loa.settings import load_settings

COMMAND = ".venv/bin/python -m bench.bench_country_plan"
RUNS = 3


def plan_in_process(env: dict[str, str]) -> float:
    """Seconds of ``plan`` itself in a started process, its transaction rolled back."""
    services = build_services(load_settings(env))
    try:
        with services.sessions() as s:
            began = time.perf_counter()
            report = plan(s, MONTH, services.clock.now(), services.settings.airing_gap)
            s.flush()
            seconds = time.perf_counter() - began
            assert sum(r.planned for r in report.rows) == 9963
            s.rollback()
    finally:
        services.sessions.kw["bind"].dispose()
    return seconds


def measure(url: str, work: Path) -> list[str]:
    env = loa_env(url, work)
    planned_country(env, work)
    inside = plan_in_process(env)
    firsts, agains = [], []
    engine = create_engine(url)
    for _ in range(RUNS):  # the machine is shared: the median of a few runs, each from scratch
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM airing"))
        firsts.append(run_loa(env, "plan", "--month", MONTH))
        agains.append(run_loa(env, "plan", "--month", MONTH))
    first, again = median_run(firsts), median_run(agains)
    load = load_average()
    with engine.connect() as conn:
        airings = conn.execute(
            text("SELECT programme_id, station_id, starts_at, status FROM airing")
        ).all()
    engine.dispose()
    assert len(airings) == 9963, len(airings)
    columns = {"programme_id": "INTEGER", "station_id": "INTEGER", "starts_at": "TIMESTAMP",
               "status": "VARCHAR(16)"}
    reference = reference_insert(url, columns, [tuple(a) for a in airings])
    return [
        f"| {backend(url)} | first: {len(airings):,} airings | {first.seconds:.2f} "
        f"({inside:.2f} in `plan`) | "
        f"{first.peak_mb:.0f} | {reference:.3f} | {first.seconds / reference:,.0f}× | {load} |",
        f"| {backend(url)} | again: adds nothing | {again.seconds:.2f} | {again.peak_mb:.0f} | "
        f"{reference:.3f} | {again.seconds / reference:,.0f}× | {load} |",
    ]


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    rows = on_both(measure)
    body = (
        f"Median of {RUNS} runs (each first run on an empty schedule). "
        "3,321 stations (one per commune of the 34 provinces, under the national root VN), "
        "one national campaign of 3 airings, its approved 12-minute programme.\n\n"
        "| database | run | `loa plan --month 2026-12` s (whole command, median; first run: the "
        "`plan` call alone, timed in another process, rolled back) | peak MB | "
        "reference s (executemany / COPY of the same airing rows) | ratio | load average |\n"
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n" + "\n".join(rows) + "\n\n"
        "The command's time includes starting Python and the CLI (see cli start), the "
        "schedule lock, reading the month (a few queries), planning every station with the "
        "pure rules and one bulk INSERT. Targets: ≤ 3 s and ≤ 300 MB."
    )
    write_section("country plan", COMMAND, body)


if __name__ == "__main__":
    main()
