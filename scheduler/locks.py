"""Who may change the schedule: one process runs the jobs, one transaction plans at a time."""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from loa.playlists.models import Airing

logger = logging.getLogger(__name__)

LEADER_KEY = 0x4C4F41  # "LOA": held for its life by the one process that runs the jobs
SCHEDULE_KEY = 0x4C4F4150  # "LOAP": held for one transaction by whoever plans or settles

_HOLDS = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
    " AND pid = pg_backend_pid() AND classid = 0 AND objid = :k AND objsubid = 1 AND granted)"
)


def lock_schedule(session: Session) -> None:
    """Hold the schedule's lock until this transaction ends, so two planners take turns.

    Taken before the planner reads what is already on air: the second planner
    then sees the first one's airings and adds nothing twice.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEDULE_KEY})
    else:
        # SQLite has one writer: a write that changes nothing takes its lock now, and
        # waits (busy timeout) while another transaction holds it.
        session.execute(text(f"UPDATE {Airing.__tablename__} SET id = id WHERE 0 = 1"))


class Leadership(Protocol):
    """The right to run the scheduler's jobs, held by one process at a time."""

    def ensure(self) -> bool:
        """Whether this process leads now; checks the lock it holds, or tries to win it."""
        ...

    def release(self) -> None:
        """Give the lock up for another process to win."""
        ...


class _Told:
    """Logs each change of this process's standing once, not at every tick."""

    def __init__(self) -> None:
        self._last = ""

    def __call__(self, standing: str, level: int, message: str, *args: object) -> None:
        if standing != self._last:
            logger.log(level, message, *args)
            self._last = standing

    def won(self) -> None:
        self("leader", logging.INFO, "won the scheduler lock; this process runs the scheduler jobs")

    def waits(self) -> None:
        self("follower", logging.INFO,
             "another process runs the scheduler jobs; this one waits its turn")


class PostgresLeadership:
    """A session-level advisory lock on a connection of its own.

    The connection is outside the pool and in autocommit, so it is never idle in
    a transaction (VACUUM is not held back) and no job's rollback touches it. A
    killed connection (a PostgreSQL restart, ``pg_terminate_backend``) loses the
    lock: the next ``ensure`` notices, gives up leading, and tries again at the
    tick after, when another process may have won it.
    """

    def __init__(self, url: str) -> None:
        name = f"loa-scheduler {socket.gethostname()} pid {os.getpid()}"
        self._engine = create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "application_name": name[:63],
                "connect_timeout": 10,
                # A silent network drop is noticed within a minute on both ends: this
                # process stops leading, and the server frees the lock for another.
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
                "options": "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10"
                " -c tcp_keepalives_count=3",
            },
        )
        self._conn: Connection | None = None
        self._mutex = threading.Lock()  # jobs run on several threads; one connection
        self._tell = _Told()

    def ensure(self) -> bool:
        with self._mutex:
            if self._conn is None:
                return self._try_to_win()
            why = "unlocked behind its back"
            try:
                if self._conn.execute(_HOLDS, {"k": LEADER_KEY}).scalar():
                    return True
            except DBAPIError as err:
                why = str(err.orig).strip()
            self._tell("lost", logging.WARNING,
                       "lost the scheduler lock (%s); this process stops running jobs", why)
            self._drop()
            return False

    def _try_to_win(self) -> bool:
        try:
            conn = self._engine.connect()
        except DBAPIError as err:
            self._tell("unreachable", logging.WARNING,
                       "cannot reach the database for the scheduler lock: %s", err.orig)
            return False
        try:
            won = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_KEY}).scalar()
        except DBAPIError as err:
            self._tell("unreachable", logging.WARNING, "cannot take the scheduler lock: %s",
                       err.orig)
            won = False
        if not won:
            conn.close()
            self._tell.waits()
            return False
        self._conn = conn
        self._tell.won()
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def release(self) -> None:
        with self._mutex:
            if self._conn is not None:
                try:
                    # Closing alone would do, as the connection is not pooled; unlock to say so.
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_KEY})
                except DBAPIError:
                    logger.info("scheduler lock connection already gone")
            self._drop()
        self._engine.dispose()


class FileLeadership:
    """An exclusive ``flock`` on a file beside the SQLite database.

    SQLite serves one machine, so a file lock is enough to keep a second server
    started by mistake from running the jobs too; the kernel frees it when the
    holder dies.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[str] | None = None
        self._mutex = threading.Lock()
        self._tell = _Told()

    def ensure(self) -> bool:
        with self._mutex:
            if self._file is not None:
                return True
            handle = self._path.open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                self._tell.waits()
                return False
            self._file = handle
            self._tell.won()
            return True

    def release(self) -> None:
        with self._mutex:
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
                self._file.close()
                self._file = None


def _lock_file(database_url: str, home: Path) -> Path:
    url = make_url(database_url)
    if url.database and url.database != ":memory:":
        return Path(f"{url.database}.scheduler-lock")
    return home / "scheduler-lock"


def leadership_for(database_url: str, home: Path) -> Leadership:
    """The leader lock that fits the database: advisory on PostgreSQL, a file lock on SQLite."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresLeadership(database_url)
    return FileLeadership(_lock_file(database_url, home))


# Advisory locks are per database, but pg_locks shows the whole server's: another Loa's
# scheduler on the same PostgreSQL must not count as this one's leader.
LOCKS_OF_THIS_DATABASE = (
    "locktype = 'advisory' AND database = (SELECT oid FROM pg_database"
    " WHERE datname = current_database())"
)
_LEADER_HELD = text(
    f"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE {LOCKS_OF_THIS_DATABASE}"
    " AND classid = 0 AND objid = :k AND objsubid = 1 AND granted)"
)


def someone_leads(session: Session, database_url: str, home: Path) -> bool:
    """Whether any process, on any node, holds the leader lock now (for /healthz).

    SQLite: a shared flock on the lock file fails while the leader holds it
    exclusively; taken and dropped at once, so a scheduler trying to win just
    then waits one tick.
    """
    if make_url(database_url).get_backend_name() == "postgresql":
        return bool(session.scalar(_LEADER_HELD, {"k": LEADER_KEY}))
    path = _lock_file(database_url, home)
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False
