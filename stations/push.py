"""Telling players their schedule changed. Push only speeds things up: polling alone is correct."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

_PENDING = "loa.schedule_changed"  # key in Session.info: players to notify once committed


class Publisher(Protocol):
    def schedule_changed(self, player_ids: Iterable[int]) -> None:
        """Notify these players that their schedule changed."""
        ...

    def play_now(self, player_id: int, airing_id: int) -> None:
        """Tell a live-mode player to play an airing now."""
        ...

    def close(self) -> None:
        """Deliver what is queued (within a bounded wait), then let go of the broker."""
        ...


class NullPublisher:
    """No broker configured: players find changes by polling."""

    def schedule_changed(self, player_ids: Iterable[int]) -> None:
        logger.debug("no broker; players %s will see the change when they poll", list(player_ids))

    def play_now(self, player_id: int, airing_id: int) -> None:
        logger.debug("no broker; live player %s cannot be told to play %s", player_id, airing_id)

    def close(self) -> None:
        """Nothing to deliver."""


def notify_after_commit(session: Session, player_ids: Iterable[int]) -> None:
    """Tell these players their schedule changed once ``session``'s transaction commits.

    A player told before the commit would fetch the old schedule and keep it
    until its next poll; a rolled-back change tells no one.
    """
    session.info.setdefault(_PENDING, set()).update(player_ids)


def publish_on_commit(sessions: sessionmaker[Session], publisher: Publisher) -> None:
    """Send the notices each session of ``sessions`` queued, right after its commit."""

    @event.listens_for(sessions, "after_commit")
    def _send(session: Session) -> None:
        player_ids = session.info.pop(_PENDING, None)
        if player_ids:
            publisher.schedule_changed(sorted(player_ids))

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_PENDING, None)
