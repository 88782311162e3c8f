"""Telling players their schedule changed. Push only speeds things up: polling alone is correct."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

logger = logging.getLogger(__name__)


class Publisher(Protocol):
    def schedule_changed(self, player_ids: Iterable[int]) -> None:
        """Notify these players that their schedule changed."""
        ...

    def play_now(self, player_id: int, airing_id: int) -> None:
        """Tell a live-mode player to play an airing now."""
        ...


class NullPublisher:
    """No broker configured: players find changes by polling."""

    def schedule_changed(self, player_ids: Iterable[int]) -> None:
        logger.debug("no broker; players %s will see the change when they poll", list(player_ids))

    def play_now(self, player_id: int, airing_id: int) -> None:
        logger.debug("no broker; live player %s cannot be told to play %s", player_id, airing_id)
