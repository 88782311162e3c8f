"""The declarative base, shared column types, and the engine/session factory."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Engine,
    Enum,
    MetaData,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from loa.errors import LoaError

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone, so we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is needed")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(cls: type[StrEnum]) -> Enum:
    """A portable enum column stored as its string values (no native DB enum to migrate)."""
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


M = TypeVar("M", bound="Base")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # A database host that drops packets fails a connection in 10 s, not minutes.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def session_factory(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``info`` is given to each (what the wiring tells every room)."""
    return sessionmaker(engine, expire_on_commit=False, info=info or {})


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with factory() as session, session.begin():
        yield session


def soft_commit(session: Session) -> None:
    """Let this transaction's COMMIT return before its WAL reaches the disk (PostgreSQL).

    Only for transactions that write soft state, e.g. a player's last_seen and
    health or an airing marked published: a crash may lose their last few
    milliseconds, which the next poll or heartbeat writes again. Never for one
    that appends evidence (log entries). SQLite: nothing changes.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_SOFT_COMMIT)


_SOFT_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


def among(
    session: Session, column: ColumnElement[Any], ids: Collection[int]
) -> ColumnElement[bool]:
    """``column IN ids`` for many ids at once, the ids bound as one value.

    An IN list binds each id apart, and the driver handles every placeholder: the
    ten lists of a country's report (3,321 stations) cost it a tenth of a second on
    PostgreSQL. There, one array; on SQLite, one JSON array read by ``json_each``.
    Either way the index on ``column`` is used, as for an IN list.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(None, json.dumps(list(ids)))).table_valued("value")
    return column.in_(select(listed.c.value))


def one_or_fail(session: Session, model: type[M], message: str, **by: object) -> M:
    """The one ``model`` row matching ``by``, or a LoaError saying ``message``."""
    found = session.scalar(select(model).filter_by(**by))
    if found is None:
        raise LoaError(message)
    return found


def fail_if_exists(session: Session, model: type[Base], message: str, **by: object) -> None:
    """Refuse a second row with the same unique ``by`` before the database does, in words."""
    if session.scalar(select(literal(1)).select_from(model).filter_by(**by).limit(1)):
        raise LoaError(message)
