"""What every blueprint reaches through the app: settings, sessions, clock, store, publisher."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session

from loa.db import transaction
from loa.services import Services


def services() -> Services:
    return current_app.extensions["loa"]


@contextmanager
def db() -> Iterator[Session]:
    """A session for one request that commits on success."""
    with transaction(services().sessions) as session:
        yield session
