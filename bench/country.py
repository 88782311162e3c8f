"""The country for the country-scale benchmarks: real units, one station per commune.

All 34 provinces and 3,321 communes of `vietnam-provinces` under the national
root VN, one station per commune (the CSV `loa station import` reads), and a
national campaign with an approved 12-minute programme, so a plan makes
3 x 3,321 = 9,963 airings. Commands are timed as a user runs them: the `loa`
command in a child process, its peak memory as /usr/bin/time reports it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bench.bench_ingest import postgres_database
from loa import migrate
from loa.app import build_services
from loa.db import transaction
from loa.playlists.assets import record_asset
from loa.playlists.campaigns import add_campaign, get_campaign
from loa.playlists.models import Programme, ProgrammeStatus
from loa.settings import load_settings
from loa.stations.models import AdminUnit, UnitLevel
from loa.stations.units import get_unit, import_units

NOW = "2026-11-28T10:00:00+07:00"  # planning next month, as the job at 00:10 does
MONTH = "2026-12"
LOA = str(Path(sys.executable).with_name("loa"))


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float  # the child's maximum resident set
    output: str
    cpu_seconds: float = 0.0  # the child's own CPU time (user + system)


def run_loa(env: dict[str, str], *args: str) -> Run:
    """Run ``loa ARGS`` in a child process: wall seconds, its peak RSS, its stdout, its CPU."""
    return run_command([LOA, *args], env)


def run_command(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` under /usr/bin/time, whose child's peak RSS is the command's alone.

    (The kernel's maximum RSS of a child forked straight from this process would
    count this process's own pages too.)
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        child = subprocess.run(
            ["/usr/bin/time", "-f", "peak-kb %M cpu-s %U %S", *cmd],
            env={**os.environ, **(env or {})}, stdout=out, stderr=err, check=False,
        )
        seconds = time.perf_counter() - began
        out.seek(0)
        err.seek(0)
        errors = err.read().decode()
        if child.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {errors[-2000:]}")
        peak_kb, _, user, system = errors.rsplit("peak-kb ", 1)[1].split()[:4]
        return Run(seconds, int(peak_kb) / 1024, out.read().decode(), float(user) + float(system))


def median_run(runs: list[Run]) -> Run:
    """The run of median time (an odd number of runs)."""
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def load_average() -> str:
    """The 1-minute load average now (2 cores shared with other sessions)."""
    return f"{os.getloadavg()[0]:.1f}"


def loa_env(database_url: str, home: Path) -> dict[str, str]:
    return {
        "LOA_DATABASE_URL": database_url,
        "LOA_HOME": str(home),
        "LOA_NOW": NOW,
        "LOA_LOG_LEVEL": "WARNING",
    }


def the_units(env: dict[str, str]) -> list[str]:
    """A new database holding the country's units; the commune codes, by code."""
    migrate.upgrade(env["LOA_DATABASE_URL"])
    services = build_services(load_settings(env))
    try:
        with transaction(services.sessions) as s:
            import_units(s)
            return list(
                s.scalars(
                    select(AdminUnit.code)
                    .where(AdminUnit.level == UnitLevel.commune)
                    .order_by(AdminUnit.code)
                )
            )
    finally:
        services.sessions.kw["bind"].dispose()


def stations_csv(communes: list[str]) -> str:
    """One station per commune, in the syntax `loa station import` reads."""
    return "code,unit,name,windows\n" + "".join(
        f"D{c},{c},Đài truyền thanh {c},T2-T7 05:30-06:30; T2-T7 17:00-18:00\n" for c in communes
    )


def the_campaign(env: dict[str, str]) -> None:
    """A national campaign (3 airings a month) and its approved 12-minute programme."""
    services = build_services(load_settings(env))
    try:
        with transaction(services.sessions) as s:
            add_campaign(s, services.store, "CDS", "Chuyển đổi số quốc gia", "VN")
            # Stored, so that `loa audit verify` finds the audio its sha256 names.
            source = services.settings.home / "programme.mp3"
            source.write_bytes(b"bench-country-programme")
            stored = services.store.put_file(source)
            sha = stored.sha256
            record_asset(s, sha, stored.bytes, 720_000, "mp3")
            s.add(Programme(
                campaign=get_campaign(s, "CDS"), unit=get_unit(s, "VN"), month=MONTH,
                title="Chuyển đổi số tháng 12", status=ProgrammeStatus.approved,
                master_sha256=sha, duration_ms=720_000, approved_at=services.clock.now(),
            ))
    finally:
        services.sessions.kw["bind"].dispose()


def on_both(measure: Callable[[str, Path], list[str]]) -> list[str]:
    """``measure(database_url, work folder)``'s table rows on SQLite, then on PostgreSQL."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        sqlite = Path(tmp) / "sqlite"
        sqlite.mkdir()
        rows += measure(f"sqlite:///{sqlite}/loa.db", sqlite)
        try:
            with postgres_database() as url:
                pg = Path(tmp) / "pg"
                pg.mkdir()
                rows += measure(url, pg)
        except OperationalError as err:
            rows.append(f"| PostgreSQL | not measured: {type(err).__name__} |")
    return rows


def backend(url: str) -> str:
    return "SQLite (file, WAL)" if url.startswith("sqlite") else "PostgreSQL 127.0.0.1"


def reference_insert(url: str, columns: dict[str, str], rows: list[tuple[object, ...]]) -> float:
    """Seconds the database's own bulk path takes to store ``rows`` in a scratch table.

    SQLite: ``sqlite3`` executemany in one transaction; PostgreSQL: ``COPY … FROM STDIN``
    (psycopg). ``columns`` maps names to SQL types.
    """
    names = ", ".join(columns)
    create = f"CREATE TABLE bench_reference ({', '.join(f'{n} {t}' for n, t in columns.items())})"
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute("DROP TABLE IF EXISTS bench_reference")
            conn.execute(create)
            conn.commit()
            marks = ", ".join("?" for _ in columns)
            began = time.perf_counter()
            conn.executemany(f"INSERT INTO bench_reference ({names}) VALUES ({marks})", rows)
            conn.commit()
            return time.perf_counter() - began
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_reference")
        conn.execute(create)
        conn.commit()
        began = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY bench_reference ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - began


def reference_read(url: str, query: str) -> tuple[float, int]:
    """(seconds, rows) of the database driver alone fetching ``query``'s rows."""
    began = time.perf_counter()
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            found = conn.execute(query).fetchall()
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("+psycopg", "")) as pg:
            found = pg.execute(query).fetchall()  # type: ignore[arg-type]
    return time.perf_counter() - began, len(found)


def planned_country(env: dict[str, str], work: Path) -> None:
    """The country's units, stations (through `loa station import`), campaign and programme."""
    source = work / "stations.csv"
    source.write_text(stations_csv(the_units(env)), encoding="utf-8")
    run_loa(env, "station", "import", str(source))
    the_campaign(env)
