"""Writers of one process take turns on a SQLite file (loa.sqlite_writers), so many threads
writing at once never wait in SQLite's busy handler, and a turn is always given back."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

import loa.sqlite_writers
from loa.db import make_engine
from loa.sqlite_writers import WriterQueue


def _queued_engine(path: Path) -> Engine:
    """A file database whose writers queue, with no busy timeout at all: a writer that met
    another inside SQLite would fail at once with "database is locked"."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0,
                                                              "check_same_thread": False})
    WriterQueue().attach(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.exec_driver_sql("CREATE TABLE fetch (player INTEGER, at TEXT)")
    return engine


def _run_together(work: list[threading.Thread]) -> None:
    for thread in work:
        thread.start()
    for thread in work:
        thread.join(timeout=60)


def _at_once(threads: int, write: Callable[[int], None]) -> list[OperationalError]:
    """Run ``write(n)`` in ``threads`` threads at once; the database errors they met."""
    failures: list[OperationalError] = []

    def writer(n: int) -> None:
        try:
            write(n)
        except OperationalError as err:
            failures.append(err)

    _run_together([threading.Thread(target=writer, args=(n,)) for n in range(threads)])
    return failures


def test_many_threads_writing_at_once_take_turns(tmp_path: Path) -> None:
    engine = _queued_engine(tmp_path / "loa.db")

    def player(n: int) -> None:
        for k in range(20):
            with engine.begin() as conn:
                conn.execute(text("SELECT count(*) FROM fetch")).scalar()
                conn.execute(text("INSERT INTO fetch VALUES (:p, :k)"), {"p": n, "k": k})
                conn.execute(text("UPDATE fetch SET at = :k WHERE player = :p"),
                             {"p": n, "k": f"{k}"})

    assert _at_once(12, player) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fetch")).scalar() == 12 * 20


def test_a_rollback_or_a_connection_closed_mid_write_gives_the_turn_back(
    tmp_path: Path
) -> None:
    engine = _queued_engine(tmp_path / "loa.db")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("INSERT INTO fetch VALUES (1, 'a')"))
        raise RuntimeError("the request failed")
    conn = engine.connect()
    conn.execute(text("INSERT INTO fetch VALUES (2, 'b')"))
    conn.close()  # neither committed nor rolled back by the caller: the pool rolls it back
    done = threading.Event()

    def another() -> None:
        with engine.begin() as c:
            c.execute(text("INSERT INTO fetch VALUES (3, 'c')"))
        done.set()

    _run_together([threading.Thread(target=another)])
    assert done.is_set()
    with engine.connect() as c:
        assert c.execute(text("SELECT player FROM fetch")).scalars().all() == [3]


def test_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = _queued_engine(tmp_path / "loa.db")
    with engine.begin() as writer:
        writer.execute(text("INSERT INTO fetch VALUES (1, 'a')"))
        read: list[int] = []

        def reader() -> None:
            with engine.connect() as conn:
                read.append(conn.execute(text("SELECT count(*) FROM fetch")).scalar_one())

        _run_together([threading.Thread(target=reader)])
        assert read == [0]  # the writer has not committed yet


def test_the_chain_lock_takes_its_turn_too(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE (the station chain's lock on SQLite) queues with the other writers."""
    from sqlalchemy.orm import Session

    from loa.compliance.chain import lock_chain

    engine = _queued_engine(tmp_path / "loa.db")

    def ingest(n: int) -> None:
        for k in range(10):
            with Session(engine) as session, session.begin():
                lock_chain(session, n)
                session.execute(text("INSERT INTO fetch VALUES (:p, :k)"), {"p": n, "k": k})

    assert _at_once(8, ingest) == []


def test_a_second_writer_of_the_same_thread_fails_as_before_rather_than_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two connections of one thread both writing: SQLite refuses the second, as it did
    before the queue, after the wait a writer is given (here cut to a moment)."""
    monkeypatch.setattr(loa.sqlite_writers, "WAIT_S", 0.05)
    engine = _queued_engine(tmp_path / "loa.db")
    with engine.begin() as first:
        first.execute(text("INSERT INTO fetch VALUES (1, 'a')"))
        with pytest.raises(OperationalError, match="locked"), engine.begin() as second:
            second.execute(text("INSERT INTO fetch VALUES (2, 'b')"))


def test_the_engines_loa_makes_for_sqlite_queue_their_writers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE fetch (player INTEGER)")

    def player(n: int) -> None:
        for _ in range(10):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO fetch VALUES (:p)"), {"p": n})

    assert _at_once(6, player) == []
    assert "WriterQueue" in engine.dialect.do_commit.__qualname__  # queued, not lucky
