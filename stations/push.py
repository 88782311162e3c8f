"""Telling players their schedule changed. Push only speeds things up: polling alone is correct."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

_PENDING = "loa.schedule_changed"  # key in Session.info: players to notify once committed
_BULLETINS = "loa.bulletin_notices"  # key in Session.info: (kind, bulletin id, player ids)
BULLETIN_NOTICES = ("bulletin", "bulletin.cancelled")
# Told which players a bulletin notice went out to: (bulletin id, player ids).
PushedCallback = Callable[[int, list[int]], None]


class Publisher(Protocol):
    def schedule_changed(self, player_ids: Iterable[int]) -> None:
        """Notify these players that their schedule changed."""
        ...

    def play_now(self, player_id: int, airing_id: int) -> None:
        """Tell a live-mode player to play an airing now."""
        ...

    def bulletin(self, kind: str, bulletin_id: int, player_ids: Iterable[int]) -> list[int]:
        """Send a ``bulletin`` or ``bulletin.cancelled`` notice; the players it went out to."""
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

    def bulletin(self, kind: str, bulletin_id: int, player_ids: Iterable[int]) -> list[int]:
        logger.debug("no broker; players will poll for %s %s", kind, bulletin_id)
        return []

    def close(self) -> None:
        """Nothing to deliver."""


def notify_after_commit(session: Session, player_ids: Iterable[int]) -> None:
    """Tell these players their schedule changed once ``session``'s transaction commits.

    A player told before the commit would fetch the old schedule and keep it
    until its next poll; a rolled-back change tells no one.
    """
    session.info.setdefault(_PENDING, set()).update(player_ids)


def notify_bulletin_after_commit(
    session: Session, kind: str, bulletin_id: int, player_ids: Iterable[int]
) -> None:
    """Send a bulletin notice (``bulletin`` or ``bulletin.cancelled``) once ``session`` commits.

    Before the commit a player fetching /player/bulletins would not see it yet.
    """
    if kind not in BULLETIN_NOTICES:
        raise ValueError(f"unknown bulletin notice {kind!r}")
    session.info.setdefault(_BULLETINS, []).append((kind, bulletin_id, sorted(set(player_ids))))


def publish_on_commit(
    sessions: sessionmaker[Session], publisher: Publisher,
    on_bulletin_pushed: PushedCallback | None = None,
) -> None:
    """Send the notices each session of ``sessions`` queued, right after its commit.

    ``on_bulletin_pushed`` hears which players each ``bulletin`` notice reached
    the broker's queue for (the delivery table stamps them pushed).
    """

    @event.listens_for(sessions, "after_commit")
    def _send(session: Session) -> None:
        player_ids = session.info.pop(_PENDING, None)
        if player_ids:
            publisher.schedule_changed(sorted(player_ids))
        for kind, bulletin_id, players in session.info.pop(_BULLETINS, []):
            pushed = publisher.bulletin(kind, bulletin_id, players)
            if pushed and kind == "bulletin" and on_bulletin_pushed is not None:
                try:
                    on_bulletin_pushed(bulletin_id, pushed)
                except SQLAlchemyError as err:  # the notice went out; only the stamp is lost
                    logger.warning("bulletin %s: could not stamp pushed_at: %s", bulletin_id, err)

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_PENDING, None)
        session.info.pop(_BULLETINS, None)
