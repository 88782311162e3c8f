"""What is wrong on the box now, for the heartbeat: the disk, the outbox, an output, the clock."""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger(__name__)


class Health:
    """Problems by area; one that is fixed is still reported once, so the server learns of it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._problems: dict[str, str] = {}
        self._unsent: set[str] = set()  # reported since the last heartbeat went out
        self._fixed: set[str] = set()  # fixed, but not yet reported in a heartbeat

    def report(self, area: str, problem: str) -> None:
        """Note a problem in ``area`` (logged the first time it appears or changes)."""
        with self._lock:
            if self._problems.get(area) != problem:
                logger.warning("health: %s: %s", area, problem)
            self._problems[area] = problem
            self._unsent.add(area)
            self._fixed.discard(area)

    def clear(self, area: str) -> None:
        """``area`` works again; it leaves the report once a heartbeat has carried the problem."""
        with self._lock:
            if area not in self._problems:
                return
            if area in self._unsent:
                self._fixed.add(area)
            else:
                del self._problems[area]
                logger.info("health: %s works again", area)

    def snapshot(self) -> dict[str, str]:
        """The problems to put in a heartbeat, now."""
        with self._lock:
            return dict(self._problems)

    def sent(self, snapshot: dict[str, str]) -> None:
        """A heartbeat with ``snapshot`` reached the server: drop what was fixed meanwhile."""
        with self._lock:
            self._unsent -= set(snapshot)
            for area in self._fixed & set(snapshot):
                self._problems.pop(area, None)
            self._fixed -= set(snapshot)
