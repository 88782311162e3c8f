"""Placing a month's airings into a station's broadcast windows (pure rules)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from loa.months import month_days
from loa.stations.windows import Window


@dataclass(frozen=True)
class Busy:
    """An interval already taken on the station's air, in UTC."""

    start: datetime
    end: datetime


def _chunks(days: list[date], count: int) -> list[list[date]]:
    """Split ``days`` into ``count`` near-equal consecutive runs (some empty if too few days)."""
    size = len(days) / count
    return [days[round(i * size) : round((i + 1) * size)] for i in range(count)]


def _by_distance_from_middle(days: list[date]) -> list[date]:
    middle = (len(days) - 1) / 2
    order = sorted(range(len(days)), key=lambda i: (abs(i - middle), days[i]))
    return [days[i] for i in order]


# Stations share their month, windows, zone and the planner's clock: the calendar work
# below is done once per combination, not once per station (the country has 3,321).
@lru_cache(maxsize=256)
def _days_left(month: str, latest: time, tz: ZoneInfo, not_before: datetime) -> tuple[date, ...]:
    return tuple(d for d in month_days(month) if datetime.combine(d, latest, tz) > not_before)


@lru_cache(maxsize=256)
def _candidates(days: tuple[date, ...], count: int) -> tuple[tuple[date, ...], ...]:
    """For each of the ``count`` runs: its days from the middle out, then every other day."""
    runs = _chunks(list(days), count)
    return tuple(
        tuple(_by_distance_from_middle(run) + [d for d in days if d not in run]) for run in runs
    )


@lru_cache(maxsize=4096)
def _utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tz).astimezone(UTC)


def _first_fit(
    day: date,
    window: Window,
    tz: ZoneInfo,
    length: timedelta,
    busy: list[Busy],
    not_before: datetime,
    gap: timedelta,
) -> datetime | None:
    """The earliest start in ``window`` on ``day`` for ``length``, ``gap`` clear of ``busy``."""
    if day.weekday() not in window.days:
        return None
    start = max(_utc(day, window.start, tz), not_before)
    end = _utc(day, window.end, tz)
    for taken in busy:  # by start: plan_month keeps them sorted
        if start + length + gap <= taken.start:
            break
        if taken.end + gap > start:
            start = taken.end + gap
    return start if start + length <= end else None


def plan_month(
    month: str,
    windows: list[Window],
    tz: ZoneInfo,
    duration_s: int,
    count: int,
    busy: list[Busy],
    not_before: datetime,
    *,
    gap: timedelta,
) -> list[datetime]:
    """Up to ``count`` UTC start times in ``month``, spread over it, inside ``windows``.

    Cases: the month is cut into ``count`` runs of days and each airing goes near
    the middle of its run, alternating windows so morning and evening listeners
    both hear it; a window opens only on its weekdays (e.g. T2-T7: no Sunday);
    nothing starts before ``not_before`` (planning late in a month squeezes into
    the days left); an airing never overlaps ``busy`` or another planned airing
    and keeps ``gap`` of clear air before and after each of them (a player that
    ends one airing a little late still starts the next on time), but needs no
    gap at a window's edges and never spills past its window's end; fewer are
    returned when the month has no room left.
    """
    if count <= 0 or not windows:
        return []
    length = timedelta(seconds=duration_s)
    latest = max(w.end for w in windows)  # windows are sorted by start, not by end
    days = _days_left(month, latest, tz, not_before)
    if not days:
        return []
    taken, placed = sorted(busy, key=lambda b: b.start), []
    for index, candidates in enumerate(_candidates(days, count)):
        order = windows[index % len(windows) :] + windows[: index % len(windows)]
        start = next(
            (
                s
                for day in candidates
                for window in order
                if (s := _first_fit(day, window, tz, length, taken, not_before, gap))
                is not None
            ),
            None,
        )
        if start is None:
            break
        placed.append(start)
        bisect.insort(taken, Busy(start, start + length), key=lambda b: b.start)
    return sorted(placed)
