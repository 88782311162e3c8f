"""The injectable clock: real time, time started at LOA_NOW, or time a test moves."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from loa.player.clock import Clock, SystemClock

__all__ = ["CLOCK_SLACK", "CLOCK_TOLERANCE_MS", "VN", "VN_ZONE_NAME", "Clock", "FrozenClock",
           "OffsetClock", "SystemClock", "clock_for"]

# Vietnam keeps one zone, UTC+7 with no summer time: a station's default, and the zone of
# the reports, the CLI's times without an offset and the pages' bulletin times.
VN_ZONE_NAME = "Asia/Ho_Chi_Minh"
VN = ZoneInfo(VN_ZONE_NAME)

CLOCK_TOLERANCE_MS = 60_000
# How far a player's stamp may run off the server's and still be on time: the clock error
# the agent warns about (the bulletin play rule and the delivery states allow it too).
CLOCK_SLACK = timedelta(milliseconds=CLOCK_TOLERANCE_MS)


class OffsetClock:
    """Starts at a chosen instant and runs on in real time (LOA_NOW)."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def monotonic(self) -> float:
        return time.monotonic()


class FrozenClock:
    """Stands still until a test moves it; its monotonic count moves with it."""

    def __init__(self, at: datetime) -> None:
        self._at = self._origin = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def monotonic(self) -> float:
        return (self._at - self._origin).total_seconds()

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at


def clock_for(now: datetime | None) -> Clock:
    """The clock the settings ask for."""
    return OffsetClock(now) if now is not None else SystemClock()
