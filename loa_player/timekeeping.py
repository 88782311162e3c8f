"""The agent's estimate of server time: the local clock plus an offset measured from replies.

Cases: the offset is the quickest recent round trip's (as NTP does) among
samples younger than ``max_age_s``; it is kept with the boot it was measured
in and not applied after a reboot (a box without a real-time clock starts on
a different clock) until a new sample exists; a wall-clock step (the wall
moved and the monotonic count did not) drops all samples, since they measured
the old clock, and shifts the offset by the step, so server time stays
continuous until the next reply re-measures it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from loa.player.clock import PlayerClock

logger = logging.getLogger(__name__)

MAX_ROUND_TRIP = timedelta(seconds=5)  # a slower reply says little about the offset


@dataclass(frozen=True)
class Stamp:
    """One reading of both clocks."""

    wall: datetime
    mono: float


@dataclass(frozen=True)
class _Sample:
    round_trip: timedelta
    offset: timedelta
    mono: float


class TimeKeeper:
    """Server time for the agent; thread-safe, ``save`` persists the offset in force."""

    def __init__(self, clock: PlayerClock, boot_id: str, saved: dict[str, Any] | None,
                 save: Callable[[dict[str, Any]], None], step_tolerance_s: float = 1.0,
                 max_age_s: float = 6 * 3600) -> None:
        self._clock, self._boot_id, self._save = clock, boot_id, save
        self._tolerance, self._max_age = step_tolerance_s, max_age_s
        self._lock = threading.Lock()
        self._samples: deque[_Sample] = deque(maxlen=8)
        self.offset = timedelta(0)
        self.measured_mono: float | None = None  # when the offset in force was measured
        self.steps = 0  # wall-clock steps seen (the agent re-syncs after one)
        if saved and saved.get("boot_id") == boot_id:
            self.offset = timedelta(milliseconds=saved["ms"])
            self.measured_mono = saved.get("mono")
        elif saved:
            logger.warning("clock offset of %+d ms was measured before a reboot; not applied "
                           "until the server answers again", saved["ms"])
        self._last = self.stamp()

    def stamp(self) -> Stamp:
        return Stamp(self._clock.now(), self._clock.monotonic())

    def now(self) -> datetime:
        """Our best estimate of the server's time (checking the wall clock for a step first)."""
        self.check_step()
        return self._clock.now() + self.offset

    def check_step(self) -> timedelta | None:
        """The wall-clock step since the last look, if any, with the samples it spoilt dropped."""
        current = self.stamp()
        with self._lock:
            last, self._last = self._last, current
            step = (current.wall - last.wall) - timedelta(seconds=current.mono - last.mono)
            if abs(step.total_seconds()) <= self._tolerance:
                return None
            self._samples.clear()
            self.steps += 1
            if self.measured_mono is not None:
                self.offset -= step
        logger.warning("wall clock stepped by %+.3f s; clock samples dropped",
                       step.total_seconds())
        return step

    def sample(self, before: Stamp, after: Stamp, server: datetime) -> None:
        """Learn from one reply sent at ``before``, answered at ``after``, stamped ``server``."""
        round_trip = timedelta(seconds=after.mono - before.mono)
        wall_trip = after.wall - before.wall
        if round_trip > MAX_ROUND_TRIP or abs(wall_trip - round_trip) > MAX_ROUND_TRIP / 5:
            return  # slow, or the wall clock stepped during the request
        self.check_step()
        with self._lock:
            self._samples.append(_Sample(round_trip, server - (before.wall + wall_trip / 2),
                                         after.mono))
            fresh = [s for s in self._samples if after.mono - s.mono <= self._max_age]
            best = min(fresh, key=lambda s: s.round_trip)
            changed = abs((best.offset - self.offset).total_seconds()) >= 0.001
            first = self.measured_mono is None
            self.offset, self.measured_mono = best.offset, best.mono
        if changed or first:
            self._save({"ms": round(best.offset.total_seconds() * 1000), "mono": best.mono,
                        "boot_id": self._boot_id, "at": after.wall.isoformat()})

    def age_s(self) -> float | None:
        """Seconds since the offset in force was measured; None if none applies this boot."""
        if self.measured_mono is None:
            return None
        return round(self._clock.monotonic() - self.measured_mono, 1)
