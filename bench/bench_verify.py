"""Log entries per second `loa audit verify` checks, and what that adds to a report.

Run: .venv/bin/python -m bench.bench_verify [--events 5000]
One station's chain of ``--events`` signed entries, ingested through the API
before the clock starts. Measured: ``verify_chains`` (chain, signatures, every
column against its body, key rows, anchors) and the month report of the
station's unit, which verifies the station once before reading it
``evidence_broken`` or not.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

from bench.bench_ingest import START, enrolled_player, postgres_database
from loa.compliance import signatures
from loa.compliance.anchors import checkpoint_file, write_checkpoint
from loa.compliance.audit import Reading, station_month_report
from loa.compliance.verify import verify_chains
from loa.stations.models import Station

COMMAND = ".venv/bin/python -m bench.bench_verify"


def measure(database_url: str, work: Path, count: int) -> tuple[float, float, float]:
    """(entries/s of verify_chains, its seconds, seconds of one month report)."""
    player = enrolled_player(database_url, work, count)
    client, headers, events = player.client, player.headers, player.events
    services = player.services
    settings = services.settings
    for start in range(0, count, 500):
        answer = client.post("/api/v1/player/events", headers=headers,
                             json={"events": events[start:start + 500]})
        assert answer.status_code == 200 and not answer.json["rejected"], answer.json
    with services.sessions.begin() as session:
        write_checkpoint(session, checkpoint_file(settings.home), START)
    signatures._VERIFIED.clear()  # ingest saw them verify: measure a first verification
    with services.sessions.begin() as session:
        began = time.perf_counter()
        result = verify_chains(session)
        verify_s = time.perf_counter() - began
        assert not result.problems and result.checked == count + 1, result
    with services.sessions.begin() as session:
        unit = session.get_one(Station, player.station_id).unit
        began = time.perf_counter()
        rows = station_month_report(session, unit, "2026-12", Reading.of(settings, START))
        report_s = time.perf_counter() - began
        assert rows and all(r.status != "evidence_broken" for r in rows)
    services.sessions.kw["bind"].dispose()
    return result.checked / verify_s, verify_s, report_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        rate, verify_s, report_s = measure(f"sqlite:///{tmp}/loa.db", Path(tmp) / "sqlite",
                                           args.events)
        rows.append(f"| SQLite (file, WAL) | {rate:,.0f} | {verify_s:.2f} | {report_s:.2f} |")
        try:
            with postgres_database() as url:
                rate, verify_s, report_s = measure(url, Path(tmp) / "pg", args.events)
            rows.append(f"| PostgreSQL 127.0.0.1 | {rate:,.0f} | {verify_s:.2f} | {report_s:.2f} |")
        except OperationalError as err:
            rows.append(f"| PostgreSQL | not measured: {type(err).__name__} | | |")
    body = (
        f"One station's chain of {args.events + 1} entries (a key enrolment and "
        f"{args.events} signed events), one checkpoint.\n\n"
        "| database | entries/s verified | verify s | month report s (verifies the station "
        "again; signatures already seen) |\n"
        "| --- | ---: | ---: | ---: |\n" + "\n".join(rows) + "\n\n"
        f"1-minute load average at the end: {os.getloadavg()[0]:.1f} (2 cores, shared).\n\n"
        "A station logs about 150 entries a year (3 airings a month, started and completed, "
        "keys): a province's 114 stations hold about 17,000 a year."
    )
    from bench.results import write_section

    write_section("verify", COMMAND, body)


if __name__ == "__main__":
    main()
