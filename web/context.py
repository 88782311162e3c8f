"""What every blueprint reaches through the app: settings, sessions, clock, store, publisher."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session, sessionmaker

from loa.audio.store import AudioStore
from loa.clock import Clock
from loa.db import transaction
from loa.settings import Settings
from loa.stations.push import Publisher


@dataclass
class Services:
    settings: Settings
    sessions: sessionmaker[Session]
    clock: Clock
    store: AudioStore
    publisher: Publisher


def services() -> Services:
    return current_app.extensions["loa"]


@contextmanager
def db() -> Iterator[Session]:
    """A session for one request that commits on success."""
    with transaction(services().sessions) as session:
        yield session
