"""Placing a province-wide normal and priority bulletin into every station's windows.

Run: .venv/bin/python -m bench.bench_bulletin_place
A province of 500 communes, one station and one player each, a campaign planned
for December (3 airings a station). Measured in process: sending a normal
bulletin (3 evenings) and then a priority one (3 plays, each the first item of
its window, shifting the airings it overlaps) to the whole province, each one
``place_bulletin_slots`` call in its transaction. Reference, same run: the
month's plan of the same stations (``scheduler.service.plan``).
"""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import OperationalError

from bench.bench_ingest import postgres_database
from bench.country import backend, load_average
from bench.results import write_section
from loa import migrate
from loa.app import build_services
from loa.clock import FrozenClock
from loa.db import transaction
from loa.playlists.assets import record_asset
from loa.playlists.campaigns import add_campaign, get_campaign
from loa.playlists.models import (
    Bulletin,
    BulletinPriority,
    BulletinStatus,
    BulletinTarget,
    Programme,
    ProgrammeStatus,
)
from loa.scheduler.bulletin_slots import place_bulletin_slots
from loa.scheduler.service import plan
from loa.settings import load_settings
from loa.stations.players import add_player
from loa.stations.service import add_station
from loa.stations.units import add_unit, get_unit

COMMAND = ".venv/bin/python -m bench.bench_bulletin_place"
STATIONS = 500
GAP = timedelta(seconds=30)
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _province(services: object, sessions: object) -> tuple[float, int]:
    """The province, its stations and players, the campaign; the plan's seconds, airings."""
    with transaction(sessions) as s:  # type: ignore[arg-type]
        add_unit(s, "31", "Thành phố Hải Phòng", "province")
        for n in range(STATIONS):
            add_unit(s, f"9{n:04d}", f"Xã {n}", "commune", "31")
            add_station(s, f"S{n:04d}", f"9{n:04d}", f"Đài {n}")
            add_player(s, f"S{n:04d}", f"Cụm loa {n}", "prefetch")
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31")  # type: ignore[attr-defined]
        record_asset(s, "ab" * 32, 1000, 720_000, "mp3")
        s.add(Programme(campaign=get_campaign(s, "CDS"), unit=get_unit(s, "31"), month="2026-12",
                        title="Chuyển đổi số tháng 12", status=ProgrammeStatus.approved,
                        master_sha256="ab" * 32, duration_ms=720_000, approved_at=NOW))
    with transaction(sessions) as s:  # type: ignore[arg-type]
        began = time.perf_counter()
        report = plan(s, "2026-12", NOW, GAP)
        return time.perf_counter() - began, sum(r.planned for r in report.rows)


def _send(sessions: object, priority: str, sha: str) -> tuple[float, int, int]:
    """Seconds to place one bulletin on the whole province; slots made, items shifted."""
    with transaction(sessions) as s:  # type: ignore[arg-type]
        record_asset(s, sha, 1000, 60_000, "mp3")
        unit = get_unit(s, "31")
        bulletin = Bulletin(
            unit=unit, title=f"Thông báo {priority}", priority=BulletinPriority(priority),
            status=BulletinStatus.active, asset_sha256=sha, duration_ms=60_000,
            valid_from=NOW, valid_until=NOW + timedelta(days=10), repeat_count=3,
            repeat_every_s=86_400, created_at=NOW, sent_at=NOW, updated_at=NOW,
            targets=[BulletinTarget(unit_id=unit.id)],
        )
        s.add(bulletin)
        s.flush()
        began = time.perf_counter()
        report = place_bulletin_slots(s, bulletin, NOW, GAP)
        seconds = time.perf_counter() - began
    return seconds, len(report.slots), report.moved


def measure(url: str, home: Path) -> list[str]:
    settings = load_settings({"LOA_HOME": str(home), "LOA_DATABASE_URL": url})
    migrate.upgrade(url)
    services = build_services(settings, clock=FrozenClock(NOW))
    try:
        reference, airings = _province(services, services.sessions)
        assert airings == 3 * STATIONS, airings
        rows = []
        for priority, sha in (("normal", "cd" * 32), ("priority", "ef" * 32)):
            seconds, slots, moved = _send(services.sessions, priority, sha)
            rows.append(
                f"| {backend(url)} | {priority} | {STATIONS} | {slots:,} | {moved:,} | "
                f"{seconds:.2f} | {reference:.2f} | {seconds / reference:.2f}× | "
                f"{load_average()} |"
            )
        return rows
    finally:
        services.sessions.kw["bind"].dispose()


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        rows += measure(f"sqlite:///{tmp}/loa.db", Path(tmp))
        try:
            with postgres_database() as url:
                rows += measure(url, Path(tmp))
        except OperationalError as err:
            rows.append(f"| PostgreSQL | not measured: {type(err).__name__} |")
    body = (
        f"A province of {STATIONS} stations with December planned (3 airings each); one "
        "bulletin to the whole province, 3 plays a day apart, placed in one call.\n\n"
        "| database | bulletin | stations | slots made | items shifted | place s | "
        "reference s (the month's plan of the same stations) | ratio | load |\n"
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        + "\n".join(rows)
        + "\n\nSending runs it in the request that sends or approves (h-bulletin's service); "
        "a priority bulletin also stores the airings it shifts."
    )
    write_section("bulletin placement", COMMAND, body)


if __name__ == "__main__":
    main()
