"""`loa station import` of the country's 3,321 stations, beside the database's own bulk insert.

Run: .venv/bin/python -m bench.bench_station_import
A new database with the real units; the CSV holds one station per commune with
two windows. Measured: the whole command in a child process (start, checks,
inserts, commit) and its peak memory. Reference, same run, same rows: sqlite3
executemany / PostgreSQL COPY into a scratch table.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.country import (
    backend,
    loa_env,
    load_average,
    median_run,
    on_both,
    reference_insert,
    run_loa,
    stations_csv,
    the_units,
)
from bench.results import write_section

COMMAND = ".venv/bin/python -m bench.bench_station_import"


def measure(url: str, work: Path) -> list[str]:
    env = loa_env(url, work)
    communes = the_units(env)
    source = work / "stations.csv"
    source.write_text(stations_csv(communes), encoding="utf-8")
    runs = []
    engine = create_engine(url)
    for _ in range(3):  # the machine is shared: the median of three imports, each from scratch
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM station"))
        runs.append(run_loa(env, "station", "import", str(source)))
        assert f"Đã thêm {len(communes)} đài" in runs[-1].output, runs[-1].output
    engine.dispose()
    run = median_run(runs)
    rows = [
        (f"D{c}", c, f"Đài truyền thanh {c}", '["T2-T7 05:30-06:30", "T2-T7 17:00-18:00"]')
        for c in communes
    ]
    columns = {"code": "VARCHAR(32)", "unit": "VARCHAR(32)", "name": "VARCHAR(200)",
               "windows": "TEXT"}
    reference = reference_insert(url, columns, rows)
    return [
        f"| {backend(url)} | {len(communes):,} | {run.seconds:.2f} | {run.peak_mb:.0f} | "
        f"{reference:.3f} | {run.seconds / reference:,.0f}× | {load_average()} |"
    ]


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    rows = on_both(measure)
    body = (
        "| database | stations | `loa station import` s (whole command, median of 3) | peak MB | "
        "reference s (executemany / COPY of the same rows) | ratio | load average |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n" + "\n".join(rows) + "\n\n"
        "The command's time includes starting Python and the CLI, reading the units and "
        "checking every line; the reference is the bare bulk insert. Target: ≤ 10 s."
    )
    write_section("station import", COMMAND, body)


if __name__ == "__main__":
    main()
