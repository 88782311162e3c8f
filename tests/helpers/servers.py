"""Real processes and the PostgreSQL server: the loa command, ports, lock holders."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from sqlalchemy import create_engine, text

from loa.scheduler.locks import LEADER_KEY, LOCKS_OF_THIS_DATABASE


def lock_holder(admin_url: str) -> tuple[int, str, str]:
    """The backend holding this database's scheduler lock: its pid, state and application
    name (another Loa on the same server holds a lock of the same key in its own database)."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT pid, state, application_name FROM pg_stat_activity WHERE pid IN"
                    f" (SELECT pid FROM pg_locks WHERE {LOCKS_OF_THIS_DATABASE}"
                    " AND objid = :k AND granted)"
                ),
                {"k": LEADER_KEY},
            ).one()
            return row.pid, row.state, row.application_name
    finally:
        engine.dispose()


def kill_backend(admin_url: str, pid: int) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            # The timeout makes it wait until the backend is gone and its lock freed.
            assert conn.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid}).scalar()
    finally:
        engine.dispose()


LOA = str(Path(os.environ.get("VIRTUAL_ENV", ".venv")) / "bin" / "loa")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
