"""The agent's clocks: wall time (UTC) and a monotonic count, both injectable for tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...


class PlayerClock(Clock, Protocol):
    def monotonic(self) -> float:
        """Seconds on a counter that no clock step moves (only differences mean anything)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


def read_boot_id() -> str:
    """This boot's id from the kernel; a reboot changes it (empty where there is none)."""
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""
