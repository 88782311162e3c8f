"""One writing transaction at a time among a process's connections to a SQLite file,
queued on a lock in the process rather than in SQLite's busy handler.

SQLite lets one transaction write at a time. Another writer waits in SQLite's busy
handler, which sleeps 1, 2, 5, … then 100 ms between tries: with many threads writing at
once (an emergency's 50 players each stamping their fetch and logging their start, a few
ms of work each) the lock sits free while the waiters sleep, and a fetch waited up to 2.5 s
for a write of 5 ms (bench_bulletin). Queued here, each writer starts as the one before
has committed. Writers in other processes (the CLI, the scheduler) still meet at SQLite's
own lock, as before; nothing about what is written, or when it is durable, changes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

# The statements that make a transaction a writer: Python's sqlite3 opens a transaction
# before the first four, and the chain lock (compliance.chain) asks for the write lock.
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|BEGIN\s+(IMMEDIATE|EXCLUSIVE))\b",
                     re.IGNORECASE)
# SQLite's busy timeout (loa.db.make_engine). A writer still waiting then goes on without
# its turn and SQLite's own lock decides, as it did before this queue: e.g. a second
# connection of the same thread writing while its first has not committed fails as ever.
WAIT_S = 30.0


class WriterQueue:
    """The turn to write among one engine's connections: taken at a transaction's first
    write, given back when the database has its commit or rollback."""

    def __init__(self) -> None:
        self._turn = threading.Lock()
        self._holder: Any = None  # the DBAPI connection whose transaction writes

    def attach(self, engine: Engine) -> None:
        """Queue ``engine``'s writers (its dialect instance is its own)."""
        event.listen(engine, "before_cursor_execute", self._before_execute)
        dialect = engine.dialect
        for name in ("do_commit", "do_rollback", "do_close"):
            setattr(dialect, name, self._giving_back(getattr(dialect, name)))

    def _before_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        raw = _dbapi(conn.connection)
        if (self._holder is not raw and _WRITES.match(statement)
                and self._turn.acquire(timeout=WAIT_S)):
            self._holder = raw

    def _giving_back(self, end: Callable[[Any], None]) -> Callable[[Any], None]:
        """``end`` (commit, rollback or close), then the next writer's turn."""

        def ended(connection: Any) -> None:
            try:
                end(connection)
            finally:
                if self._holder is not None and self._holder is _dbapi(connection):
                    self._holder = None
                    self._turn.release()

        return ended


def _dbapi(connection: Any) -> Any:
    """The sqlite3 connection behind the pool's proxy (or the one given)."""
    return getattr(connection, "dbapi_connection", connection)
