"""The portable dump: every table's rows as JSON lines, read and written through SQLAlchemy.

Used where ``pg_dump`` is missing, or asked for (``loa backup --portable``) to
move a database between SQLite and PostgreSQL. Line 1 names the tables and
their columns; each further line is ``[table, [values…]]``. Instants are ISO
8601 with their offset, bytes are base64; the rest is JSON as the column holds it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Connection, DateTime, LargeBinary, Table, select, text
from sqlalchemy.types import TypeDecorator, TypeEngine

from loa.db import Base
from loa.models import import_models

BATCH = 1000


def _kind(column_type: TypeEngine[Any]) -> str:
    impl = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    if isinstance(impl, DateTime):
        return "instant"
    if isinstance(impl, LargeBinary):
        return "bytes"
    return "json"


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "instant":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode()
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "instant":
        return datetime.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def _tables() -> list[Table]:
    import_models()
    return list(Base.metadata.sorted_tables)  # parents before children


def dump_rows(conn: Connection, out: IO[str]) -> int:
    """Write every table's rows to ``out``; how many rows."""
    tables = _tables()
    header = {t.name: [c.name for c in t.columns] for t in tables}
    out.write(json.dumps({"tables": header}, ensure_ascii=False) + "\n")
    written = 0
    for table in tables:
        kinds = [_kind(c.type) for c in table.columns]
        order = list(table.primary_key.columns) or list(table.columns)
        for row in conn.execute(select(table).order_by(*order)):
            values = [_encode(k, v) for k, v in zip(kinds, row, strict=True)]
            out.write(json.dumps([table.name, values], ensure_ascii=False) + "\n")
            written += 1
    return written


def load_rows(conn: Connection, lines: Iterable[str]) -> int:
    """Insert the rows of a dump into empty tables of the same schema; how many rows."""
    tables = {t.name: t for t in _tables()}
    it = iter(lines)
    header = json.loads(next(it))["tables"]
    batch: list[dict[str, Any]] = []
    current: Table | None = None
    loaded = 0

    def flush() -> None:
        if current is not None and batch:
            conn.execute(current.insert(), batch)
            batch.clear()

    for line in it:
        name, values = json.loads(line)
        table = tables[name]
        if table is not current:
            flush()
            current = table
        columns = header[name]
        kinds = {c.name: _kind(c.type) for c in table.columns}
        batch.append({c: _decode(kinds[c], v) for c, v in zip(columns, values, strict=True)})
        loaded += 1
        if len(batch) >= BATCH:
            flush()
    flush()
    if conn.dialect.name == "postgresql":  # the dump's tables: an older revision lacks some
        _reset_sequences(conn, [tables[name] for name in header if name in tables])
    return loaded


def _reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """Rows came with their ids: move each id sequence past the highest one."""
    for table in tables:
        if "id" not in table.columns or not table.columns["id"].autoincrement:
            continue
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
        if sequence:
            conn.execute(
                text(f'SELECT setval(:s, COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table.name}"'),  # noqa: E501
                {"s": sequence},
            )
