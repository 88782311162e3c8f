"""The country-month report: every station of the country in one `loa audit report`.

Run: .venv/bin/python -m bench.bench_country_audit
The country as bench/country.py builds it, planned for the month (9,963 airings).
Measured: the report itself in this process (`station_month_report` of the root
unit VN, time and tracemalloc peak), and the whole command in a child process
(JSON to a file) with its peak memory. The stations' logs are empty here: verifying
signed entries adds what bench_verify measures per entry. Reference, same run: the
database driver alone fetching the month's airings joined to their stations.
"""

from __future__ import annotations

import logging
import time
import tracemalloc
from pathlib import Path

from bench.country import (
    MONTH,
    backend,
    loa_env,
    load_average,
    median_run,
    on_both,
    planned_country,
    reference_read,
    run_loa,
)
from bench.results import write_section
from loa.app import build_services
from loa.compliance.audit import Reading, station_month_report
from loa.db import transaction
from loa.settings import load_settings
from loa.stations.units import get_unit

COMMAND = ".venv/bin/python -m bench.bench_country_audit"
READ = (
    "SELECT a.id, a.starts_at, a.status, s.code, s.name FROM airing a "
    "JOIN station s ON s.id = a.station_id"
)


def measure(url: str, work: Path) -> list[str]:
    env = loa_env(url, work)
    planned_country(env, work)
    run_loa(env, "plan", "--month", MONTH)
    services = build_services(load_settings(env))
    try:
        with transaction(services.sessions) as s:
            reading = Reading.of(services.settings, services.clock.now())
            began = time.perf_counter()
            rows = station_month_report(s, get_unit(s, "VN"), MONTH, reading)
            report_s = time.perf_counter() - began
            load = load_average()
        with transaction(services.sessions) as s:  # again, traced: tracemalloc slows it down
            tracemalloc.start()
            station_month_report(s, get_unit(s, "VN"), MONTH, reading)
            peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
    finally:
        services.sessions.kw["bind"].dispose()
    assert len(rows) == 3321 and all(r.still_planned == 3 for r in rows)
    command = median_run([
        run_loa(env, "audit", "report", "--unit", "VN", "--month", MONTH,
                "--output", str(work / "report.json"))
        for _ in range(3)
    ])
    reference, fetched = reference_read(url, READ)
    assert fetched == 9963
    return [
        f"| {backend(url)} | {len(rows):,} | {report_s:.2f} | {peak_mb:.0f} | "
        f"{command.seconds:.2f} | {command.peak_mb:.0f} | {reference:.3f} | "
        f"{report_s / reference:,.0f}× | {load} |"
    ]


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    rows = on_both(measure)
    body = (
        "The report of the national root VN for 2026-12, a month in progress: 3,321 "
        "station-month rows from 9,963 planned airings; empty logs (no signature to verify).\n\n"
        "| database | rows | report s (in process) | report peak MB (tracemalloc) | "
        "`loa audit report --unit VN` s (whole command, median of 3) | command peak MB (RSS) | "
        "reference s (driver fetching the month's airings with their stations) | "
        "ratio (report / reference) | load average |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        + "\n".join(rows) + "\n\n"
        "Target: the report ≤ 2 s. The command adds starting Python, the database libraries "
        "and writing the JSON."
    )
    write_section("country audit", COMMAND, body)


if __name__ == "__main__":
    main()
