"""Events per second the server ingests through POST /api/v1/player/events (SQLite, PostgreSQL).

Run: .venv/bin/python -m bench.bench_ingest [--events 4000 --batch 200]
Signing happens before the clock starts: this measures the server only
(validation, signature checks, dedupe, hash chain, commit), in process.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from loa import migrate
from loa.app import build_services
from loa.clock import FrozenClock
from loa.player.keys import public_key_b64, sign_event
from loa.playlists.models import Airing
from loa.services import Services
from loa.settings import load_settings
from loa.simulate import make_sine, player_api_app, seed_fleet

COMMAND = ".venv/bin/python -m bench.bench_ingest"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database, dropped afterwards."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"loa_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _events(key: Ed25519PrivateKey, airing_ids: list[int], sha: str, count: int) -> list[dict]:
    out: list[dict[str, Any]] = []
    for n in range(count):
        airing = airing_ids[n % len(airing_ids)]
        kind = "airing.started" if n % 2 == 0 else "airing.completed"
        out.append(sign_event(key, {
            "id": str(uuid.uuid4()), "type": kind, "airing_id": airing,
            "at": (START + timedelta(seconds=n)).isoformat(), "sha256": sha,
            "played_ms": None if kind == "airing.started" else 600_000, "detail": {}}))
    return out


@dataclass
class Enrolled:
    """A seeded station whose player enrolled a key, and ``count`` events it signed."""

    services: Services
    client: Any
    headers: dict[str, str]
    station_id: int
    events: list[dict[str, Any]]


def enrolled_player(database_url: str, work: Path, count: int) -> Enrolled:
    settings = load_settings({"LOA_HOME": str(work), "LOA_DATABASE_URL": database_url,
                              "LOA_SECRET_KEY": "bench"})
    settings.home.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(database_url)
    services = build_services(settings, clock=FrozenClock(START))
    with services.sessions.begin() as session:
        [seeded] = seed_fleet(session, services.store, make_sine(work / "tone.mp3"), 1, START, 30)
        airing_ids = [a.id for a in session.query(Airing).filter_by(station_id=seeded.station_id)]
        sha = session.query(Airing).first().programme.master_sha256  # type: ignore[union-attr]
    client = player_api_app(services).test_client()
    headers = {"Authorization": f"Bearer {seeded.token}"}
    key = Ed25519PrivateKey.generate()
    client.post("/api/v1/player/enroll", json={"public_key": public_key_b64(key)}, headers=headers)
    return Enrolled(services, client, headers, seeded.station_id,
                    _events(key, airing_ids, str(sha), count))


def measure(database_url: str, work: Path, count: int, batch: int) -> float:
    """Events per second for ``count`` fresh events in batches of ``batch``."""
    player = enrolled_player(database_url, work, count)
    client, headers, events = player.client, player.headers, player.events
    services = player.services
    began = time.perf_counter()
    for start in range(0, count, batch):
        answer = client.post("/api/v1/player/events", headers=headers,
                             json={"events": events[start:start + batch]})
        assert answer.status_code == 200 and not answer.json["rejected"], answer.json
    elapsed = time.perf_counter() - began
    services.sessions.kw["bind"].dispose()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        sqlite = measure(f"sqlite:///{tmp}/loa.db", Path(tmp) / "sqlite", args.events, args.batch)
        rows.append(f"| SQLite (file, WAL) | {sqlite:,.0f} |")
        try:
            with postgres_database() as url:
                pg = measure(url, Path(tmp) / "pg", args.events, args.batch)
            rows.append(f"| PostgreSQL 127.0.0.1 | {pg:,.0f} |")
        except OperationalError as err:
            rows.append(f"| PostgreSQL | not measured: {type(err).__name__} |")
    body = (
        f"{args.events} new signed events in batches of {args.batch}, one player (one station "
        "chain), Flask test client in process.\n\n"
        "| database | events/s |\n| --- | --- |\n" + "\n".join(rows) + "\n\n"
        "One station's chain is the worst case: all batches queue on one chain head (locked once "
        "per batch). Before that change (head read and locked per event): SQLite 944, "
        "PostgreSQL 316 events/s."
    )
    from bench.results import write_section

    write_section("event ingest", COMMAND, body)


if __name__ == "__main__":
    main()
