"""Alembic environment: migrations run against the engine Loa is configured with."""

from __future__ import annotations

from alembic import context

from loa.db import Base, make_engine
from loa.models import import_models

import_models()


def run_migrations() -> None:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # SQLite alters a table by copying it and dropping the old one; with foreign
            # keys enforced, that drop fails once any row refers to the table. The pragma
            # only takes effect outside a transaction, so it goes before ours.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
