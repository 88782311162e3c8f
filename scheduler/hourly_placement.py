"""Placing a bulletin's plays at the top of the hour, every N hours, day and night (pure rules).

Quyết định 18/2021/QĐ-TTg asks storm and flood bulletins to be re-aired every 2 hours on
the hour, day and night. A bulletin sent "on the hour" plays at each local hour that is a
multiple of its interval (every 2 hours: 00:00, 02:00, … 22:00 station time) from its
start until its validity ends. Without ``night`` only the hours inside the station's
broadcast windows play; with ``night`` (priority and emergency) every hour does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from loa.playlists.bulletin_limits import EVERY_HOURS
from loa.scheduler.bulletin_placement import (
    Kind,
    OnAir,
    Placement,
    _clear_of,
    occurrences,
)
from loa.stations.windows import Window

__all__ = ["EVERY_HOURS", "HourlyRequest", "due_hours", "place_on_the_hour"]


@dataclass(frozen=True)
class HourlyRequest:
    """What an on-the-hour bulletin asks for."""

    kind: Kind  # priority (priority and emergency bulletins) or normal
    duration: timedelta
    valid_from: datetime
    valid_until: datetime
    every_hours: int
    night: bool = False
    max_plays: int = 100


def due_hours(every_hours: int, tz: ZoneInfo, since: datetime,
              until: datetime) -> Iterator[datetime]:
    """Each top of the hour whose local hour is a multiple of ``every_hours``, in UTC, from
    ``since`` (included) to ``until`` (excluded)."""
    day = since.astimezone(tz).date()
    while datetime.combine(day, time.min, tz) < until:
        for hour in range(0, 24, every_hours):
            at = datetime.combine(day, time(hour), tz).astimezone(UTC)
            if since <= at < until:
                yield at
        day += timedelta(days=1)


def _window_at(windows: list[Window], tz: ZoneInfo,
               at: datetime) -> tuple[datetime, datetime] | None:
    """The window occurrence open at ``at`` (start ≤ at < end), or None: off air."""
    for w_start, w_end in occurrences(windows, tz, at, at + timedelta(seconds=1)):
        if w_start <= at < w_end:
            return w_start, w_end
    return None


def _shift_after(
    movable: list[OnAir], fixed: list[OnAir], cursor: datetime, w_end: datetime,
    gap: timedelta, placement: Placement,
) -> list[OnAir]:
    """Shift ``movable`` (in start order) so each starts clear of ``fixed`` and of the one
    before, from ``cursor``; those that would end past ``w_end`` go to ``placement.unfit``."""
    kept: list[OnAir] = []
    for item in sorted(movable, key=lambda i: (i.start, i.ref)):
        if item.start < cursor:
            moved = item.at(_clear_of(cursor, item.end - item.start, [*fixed, *kept], gap))
            if moved.end > w_end:
                placement.unfit.append(moved)
                placement.moved.pop(item.ref, None)
                continue
            placement.moved[item.ref] = moved.start
            item = moved
        kept.append(item)
        cursor = item.end + gap
    return kept


def place_on_the_hour(
    request: HourlyRequest,
    windows: list[Window],
    tz: ZoneInfo,
    items: list[OnAir],
    not_before: datetime,
    *,
    gap: timedelta,
) -> tuple[Placement, list[OnAir]]:
    """Where each on-the-hour play of a bulletin goes on one station, and its air after.

    Cases: the plays are due at the ``due_hours`` from ``valid_from`` (never before
    ``not_before``) to ``valid_until``, at most ``max_plays``; an hour outside every
    window plays only with ``night`` (otherwise it is no play at all, not a drop).
    Busy air is respected: a play waits for an item already under way at the hour
    (and for other priority plays), keeping ``gap``. Inside a window a priority play
    takes the hour and shifts the window's later airings and normal slots after it
    (those pushed past the window's end are ``unfit``, for the caller to move); a
    normal play shifts nothing and waits for the items there. A play that cannot start
    before the next hour is due, would end after ``valid_until``, or (without
    ``night``) past its window, is dropped.
    """
    placement = Placement()
    air = list(items)
    every = timedelta(hours=request.every_hours)
    since = max(request.valid_from, not_before)
    for k, hour in enumerate(due_hours(request.every_hours, tz, since, request.valid_until)):
        if len(placement.starts) >= request.max_plays:
            break
        window = _window_at(windows, tz, hour)
        if window is None and not request.night:
            continue
        movable = [] if window is None or request.kind is not Kind.priority else [
            i for i in air
            if i.kind is not Kind.priority and hour <= i.start < window[1]]
        moving = {i.ref for i in movable}
        fixed = [i for i in air if i.ref not in moving]
        start = _clear_of(hour, request.duration, fixed, gap)
        end = start + request.duration
        late = start >= hour + every or end > request.valid_until
        if late or (window is not None and not request.night and end > window[1]):
            placement.dropped += 1
            continue
        new = OnAir(("new", k), request.kind, start, end)
        if movable:
            shifted = _shift_after(movable, [*fixed, new], end + gap, window[1], gap, placement)
            air = [*fixed, *shifted]
        air.append(new)
        placement.starts.append(start)
    return placement, air
