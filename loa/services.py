"""The services every room's entry point is handed: settings, sessions, clock, store, publisher.

The app, the scheduler and the command line build one ``Services`` each (loa.app); it
lives here, below the rooms, so the scheduler and the CLI need not import the web.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from loa.audio.store import AudioStore
from loa.clock import Clock
from loa.settings import Settings
from loa.stations.push import Publisher


@dataclass
class Services:
    settings: Settings
    sessions: sessionmaker[Session]
    clock: Clock
    store: AudioStore
    publisher: Publisher
