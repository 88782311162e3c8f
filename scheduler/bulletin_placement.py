"""Placing normal and priority bulletins into a station's broadcast windows (pure rules).

A station's air is a list of ``OnAir`` items (campaign airings and bulletin
slots). A *normal* bulletin is appended to a window, after what the window
already carries; a *priority* bulletin is the first item of a window, and what
it would overlap shifts later. Either way no two items of a station ever come
within ``gap`` of each other, and every item stays inside its window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from loa.stations.windows import Window

# How far ahead a bulletin is placed when it has no valid_until (a little over a month).
HORIZON = timedelta(days=62)


class Kind(StrEnum):
    """What an item on air is; the order is the order inside one window."""

    priority = "priority"
    airing = "airing"
    normal = "normal"
    relay = "relay"  # a relay slot (scheduler.relay_air): fixed, never shifted or pushed out


Ref = tuple[str, int]  # ("airing", id), ("slot", id), ("relay", id): what a move refers to


@dataclass(frozen=True)
class OnAir:
    """An item already on a station's air, in UTC."""

    ref: Ref
    kind: Kind
    start: datetime
    end: datetime

    def at(self, start: datetime) -> OnAir:
        """The same item moved to ``start``, keeping its length."""
        return replace(self, start=start, end=start + (self.end - self.start))


@dataclass(frozen=True)
class Request:
    """What a bulletin asks for: its length, validity and repeats."""

    kind: Kind  # normal or priority
    duration: timedelta
    valid_from: datetime
    valid_until: datetime | None
    repeat_count: int = 1
    repeat_every: timedelta = timedelta(0)


@dataclass
class Placement:
    """Where a bulletin's plays go, and what a priority bulletin pushed aside."""

    starts: list[datetime] = field(default_factory=list)  # one per repeat placed, in order
    moved: dict[Ref, datetime] = field(default_factory=dict)  # items shifted later
    unfit: list[OnAir] = field(default_factory=list)  # items pushed out of their window
    dropped: int = 0  # repeats that found no room before valid_until (or the horizon)


def occurrences(
    windows: list[Window], tz: ZoneInfo, since: datetime, until: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Each window on its weekdays as a UTC (start, end), in order, from the one open at
    ``since`` (or the next) to those starting before ``until``."""
    day = since.astimezone(tz).date()
    while datetime.combine(day, datetime.min.time(), tz) < until:
        for window in sorted(windows):
            if day.weekday() not in window.days:
                continue
            start = datetime.combine(day, window.start, tz).astimezone(UTC)
            end = datetime.combine(day, window.end, tz).astimezone(UTC)
            if end > since and start < until:
                yield start, end
        day += timedelta(days=1)


def _inside(items: list[OnAir], start: datetime, end: datetime) -> list[OnAir]:
    return sorted((i for i in items if start <= i.start < end), key=lambda i: (i.start, i.ref))


def _clear_of(start: datetime, length: timedelta, items: list[OnAir], gap: timedelta) -> datetime:
    """The earliest start at or after ``start`` that keeps ``gap`` from every item."""
    for item in sorted(items, key=lambda i: i.start):
        if start < item.end + gap and item.start < start + length + gap:
            start = item.end + gap
    return start


def _fits(end: datetime, window_end: datetime, request: Request) -> bool:
    return end <= window_end and (request.valid_until is None or end <= request.valid_until)


def _normal_start(
    request: Request, target: datetime, items: list[OnAir],
    windows: list[Window], tz: ZoneInfo, gap: timedelta,
) -> datetime | None:
    """The first window open at or after ``target`` with room after what it carries."""
    until = request.valid_until or target + HORIZON
    for w_start, w_end in occurrences(windows, tz, target, until):
        start = max(w_start, target)
        start = max([start, *(i.end + gap for i in _inside(items, w_start, w_end))])
        start = _clear_of(start, request.duration, items, gap)
        if _fits(start + request.duration, w_end, request):
            return start
    return None


def _priority_start(
    request: Request, target: datetime, items: list[OnAir],
    windows: list[Window], tz: ZoneInfo, gap: timedelta,
) -> tuple[datetime, datetime, datetime] | None:
    """The first window opening at or after ``target`` that can take the bulletin first,
    after the priority bulletins it already carries: (start, window start, window end)."""
    until = request.valid_until or target + HORIZON
    for w_start, w_end in occurrences(windows, tz, target, until):
        if w_start < target:
            continue  # under way: its first item is past
        heads = [i for i in _inside(items, w_start, w_end) if i.kind is Kind.priority]
        start = max([w_start, *(h.end + gap for h in heads)])
        # an item of the window just before may end right at this one's start
        start = _clear_of(start, request.duration, _outside(items, w_start, w_end), gap)
        if _fits(start + request.duration, w_end, request):
            return start, w_start, w_end
    return None


def _outside(items: list[OnAir], w_start: datetime, w_end: datetime) -> list[OnAir]:
    """What the window's shifting leaves where it is: items of other windows, and relays."""
    return [i for i in items if not w_start <= i.start < w_end or i.kind is Kind.relay]


def _clashes(item: OnAir, others: list[OnAir], gap: timedelta) -> bool:
    return any(item.start < o.end + gap and o.start < item.end + gap for o in others)


def _push_after(
    items: list[OnAir], cursor: datetime, w_start: datetime, w_end: datetime,
    gap: timedelta, placement: Placement,
) -> list[OnAir]:
    """Shift the window's non-priority items later so each starts ``gap`` after the one
    before; those that would end past the window (or within ``gap`` of what follows it)
    leave it (``placement.unfit``)."""
    outside = _outside(items, w_start, w_end)
    kept = [*outside, *(i for i in _inside(items, w_start, w_end) if i.kind is Kind.priority)]
    for item in (i for i in _inside(items, w_start, w_end)
                 if i.kind not in (Kind.priority, Kind.relay)):
        if item.start < cursor:
            item = item.at(cursor)
            if item.end > w_end or _clashes(item, outside, gap):
                placement.unfit.append(item)
                placement.moved.pop(item.ref, None)
                continue
            placement.moved[item.ref] = item.start
        kept.append(item)
        cursor = item.end + gap
    return kept


def _overtaken(request: Request, k: int, start: datetime) -> bool:
    """Repeat k starting at ``start`` is overtaken once the next repeat is due by then: the
    next one carries it (no reading the same notice back to back)."""
    following = request.valid_from + (k + 1) * request.repeat_every
    return request.repeat_every > timedelta(0) and k + 1 < request.repeat_count \
        and start >= following


def place_bulletin(
    request: Request,
    windows: list[Window],
    tz: ZoneInfo,
    items: list[OnAir],
    not_before: datetime,
    *,
    gap: timedelta,
) -> tuple[Placement, list[OnAir]]:
    """Where each repeat of a bulletin plays on one station, and the station's air after it.

    Cases: repeat k is due at ``valid_from + k*repeat_every`` (never before
    ``not_before``); a repeat that could start only once the next one is due is
    dropped, the next carries it (approved late, or due outside the windows: no
    reading the same notice back to back). Normal: it goes into the first window
    open at or after that time (a window under way too), ``gap`` after the last
    item the window already
    carries (campaign airings, earlier bulletins), never past the window's end
    (then the next window, weekdays respected) nor past ``valid_until`` (then the
    repeat is dropped); with ``repeat_every`` 0 the repeats follow each other.
    Priority: it is the first item of the first window *opening* at or after
    that time, after the priority bulletins already there (sent earlier); the
    window's other items that it would overlap shift later keeping ``gap``, and
    any that would end past the window are returned in ``unfit`` for the caller
    to move (airings: the planner; normal bulletins: their next window). Items
    returned never overlap and never come within ``gap`` of each other.
    """
    placement = Placement()
    air = list(items)
    for k in range(request.repeat_count):
        target = max(request.valid_from + k * request.repeat_every, not_before)
        if request.kind is Kind.priority:
            found = _priority_start(request, target, air, windows, tz, gap)
            if found is None:
                placement.dropped += 1
                continue
            start, w_start, w_end = found
            end = start + request.duration
            if _overtaken(request, k, start):
                placement.dropped += 1
                continue
            air = _push_after(air, end + gap, w_start, w_end, gap, placement)
        else:
            start_or_none = _normal_start(request, target, air, windows, tz, gap)
            if start_or_none is None or _overtaken(request, k, start_or_none):
                placement.dropped += 1
                continue
            start, end = start_or_none, start_or_none + request.duration
        placement.starts.append(start)
        air.append(OnAir(("new", k), request.kind, start, end))
    return placement, air
