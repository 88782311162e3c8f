"""Broadcast windows: the local times a station is on air."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import time

from loa.errors import LoaError


@dataclass(frozen=True, order=True)
class Window:
    start: time
    end: time

    @property
    def seconds(self) -> int:
        return (self.end.hour * 3600 + self.end.minute * 60) - (
            self.start.hour * 3600 + self.start.minute * 60
        )

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _parse_time(text: str, whole: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise LoaError(
            f"Khung giờ phát không hợp lệ: {whole!r}, cần dạng 05:30-06:30 "
            f"(invalid broadcast window)"
        ) from exc


def parse_windows(text: str) -> list[Window]:
    """Parse "05:30-06:30,17:00-18:00" into sorted, non-overlapping windows.

    Cases: empty text gives no windows; end before start, a zero-length window
    or two overlapping windows are errors (a window may not cross midnight).
    """
    windows = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if part.count("-") != 1:
            raise LoaError(f"Khung giờ phát không hợp lệ: {part!r}, cần dạng 05:30-06:30")
        start, end = (_parse_time(t, part) for t in part.split("-"))
        if end <= start:
            raise LoaError(f"Khung giờ {part!r}: giờ kết thúc phải sau giờ bắt đầu")
        windows.append(Window(start, end))
    windows.sort()
    for before, after in itertools.pairwise(windows):
        if after.start < before.end:
            raise LoaError(f"Khung giờ {before} và {after} chồng lên nhau (windows overlap)")
    return windows
