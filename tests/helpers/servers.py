"""Real processes and the PostgreSQL server: the loa command, ports, lock holders."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from sqlalchemy import create_engine, text

from loa.scheduler.locks import LEADER_KEY


def lock_holder(admin_url: str) -> tuple[int, str, str]:
    """The backend holding the scheduler lock: its pid, state and application name."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT a.pid, a.state, a.application_name FROM pg_locks l"
                    " JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.objid = :k AND l.granted"
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
