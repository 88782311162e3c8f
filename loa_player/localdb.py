"""The agent's own SQLite file: outbox, airings already handled, and a few saved values."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, body TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead (id TEXT PRIMARY KEY, body TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS handled (airing_id INTEGER PRIMARY KEY, outcome TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class AgentDB:
    """One connection shared by the agent's threads behind a lock; every write is a transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A short busy timeout: another writer (an engineer's sqlite3 shell) must not hold up a
        # start; the agent then keeps the event in memory and reports the outbox in health.
        self._conn = sqlite3.connect(path, timeout=0.25, check_same_thread=False,
                                     isolation_level=None)
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: an event the agent recorded must survive a power cut right after.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements inside commit together or not at all."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def get(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value FROM kv WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def put(self, key: str, value: Any, conn: sqlite3.Connection | None = None) -> None:
        """Save a JSON value; inside ``conn``'s transaction when given."""
        sql = "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?"
        text = json.dumps(value)
        if conn is not None:
            conn.execute(sql, (key, text, text))
            return
        with self.transaction() as tx:
            tx.execute(sql, (key, text, text))

    def delete(self, key: str, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM kv WHERE key = ?", (key,))

    def outcome(self, airing_id: int) -> str | None:
        rows = self.query("SELECT outcome FROM handled WHERE airing_id = ?", (airing_id,))
        return rows[0][0] if rows else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
