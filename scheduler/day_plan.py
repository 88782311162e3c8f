"""A station's day at a glance: what holds its air from 00:00 to 24:00, local time.

Pure: the station's recurring relay slots and the items placed on its air (airings,
bulletin plays, emergency plays) become ordered, non-overlapping blocks with the free
time between them, as the station page draws them (issue 17 §5). Where two items
meet, the block shows the one the loudspeakers carry: an emergency cuts anything, a
relay is fixed air, airings and placed bulletins fill the rest.
``scheduler.day_data`` reads the inputs.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from loa.errors import LoaError


class Kind(StrEnum):
    relay = "relay"
    airing = "airing"
    bulletin = "bulletin"  # a normal or priority play placed in a window
    emergency = "emergency"
    free = "free"


# Who holds the air where items overlap, as the agent decides it: an emergency cuts a
# relay or an airing; a relay is fixed air the planner never places into.
RANK = {Kind.free: 0, Kind.airing: 1, Kind.bulletin: 1, Kind.relay: 2, Kind.emergency: 3}


@dataclass(frozen=True)
class RelayRule:
    """A recurring relay slot as the day reads it: on ``days`` (0 = Monday) at local ``at``."""

    slot_id: int
    source: str  # the source's name: "VOV1"
    days: frozenset[int]
    at: time
    minutes: int
    required: bool = False
    since: datetime | None = None  # when it was set: no occurrence starts before


@dataclass(frozen=True)
class Item:
    """One thing placed on the station's air, in UTC or any zone."""

    kind: Kind
    start: datetime
    end: datetime
    title: str
    ref: int  # the airing, bulletin slot, bulletin or relay slot it is
    status: str = ""  # the airing's or slot's status; "required" for a required relay


@dataclass(frozen=True)
class Block:
    """A stretch of the day: one item (or the part of it on air), or free time."""

    kind: Kind
    start: datetime  # in the station's zone, inside the span laid out
    end: datetime
    title: str = ""
    ref: int | None = None
    status: str = ""
    before: bool = False  # the item began before the span (the day before)
    after: bool = False  # it runs on past the span (into the next day)
    resumed: bool = False  # it goes on after something above it (an emergency) cut it
    interrupted: bool = False  # something above it cuts it here; it may resume after

    @property
    def minutes(self) -> int:
        return round((self.end - self.start).total_seconds() / 60)

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class DayPlan:
    day: date
    start: datetime  # the day's 00:00 and the next day's, in the station's zone
    end: datetime
    blocks: list[Block]

    def percent(self, at: datetime) -> float:
        """Where ``at`` falls along the day, 0 to 100 (the timeline's bar)."""
        return round(100 * (at - self.start) / (self.end - self.start), 3)

    def width(self, block: Block) -> float:
        """How much of the day ``block`` takes, 0 to 100."""
        return round(100 * (block.end - block.start) / (self.end - self.start), 3)


_DAY = re.compile(r"(19[7-9]\d|2\d{3})-\d{2}-\d{2}")


def check_day(text: str) -> date:
    """``text`` as a day "YYYY-MM-DD" from 1970-01-01 to 2999-12-31, else a clear error.

    Cases: 2026-02-30 and 2026-13-01 are no days; 26-12-01 and 1.12.2026 are not the
    form; the years are check_month's (a zone pushes a day of year 1 or 9999 past
    what a datetime holds).
    """
    if _DAY.fullmatch(text):
        with contextlib.suppress(ValueError):  # the form, but no such day
            return date.fromisoformat(text)
    raise LoaError(f"Ngày không hợp lệ {text[:20]!r}: cần dạng YYYY-MM-DD, ví dụ 2026-12-01 "
                   "(invalid day: use YYYY-MM-DD, e.g. 2026-12-01)")


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The day's 00:00 and the next day's in ``tz``, as UTC."""
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def relay_items(relays: Iterable[RelayRule], tz: ZoneInfo, start: datetime,
                end: datetime) -> list[Item]:
    """Each occurrence of the relay slots overlapping [start, end), as items.

    Cases: an occurrence of the day before that runs past midnight is included; one
    starting before the slot was set is not (no player had it).
    """
    first, last = start.astimezone(tz).date() - timedelta(days=1), end.astimezone(tz).date()
    items = []
    for rule in relays:
        day = first
        while day <= last:
            if day.weekday() in rule.days:
                s = datetime.combine(day, rule.at, tz).astimezone(UTC)
                e = s + timedelta(minutes=rule.minutes)
                if s < end and e > start and (rule.since is None or s >= rule.since):
                    items.append(Item(Kind.relay, s, e, rule.source, rule.slot_id,
                                      "required" if rule.required else ""))
            day += timedelta(days=1)
    return items


def emergency_plays(sent_at: datetime, duration_ms: int, repeat_count: int,
                    repeat_every_s: int, valid_until: datetime | None,
                    stopped_at: datetime | None) -> list[tuple[datetime, datetime]]:
    """When an emergency plays on its stations: at once, then each repeat, as the agent
    plays it (``loa.player.bulletins.next_repeat_at``).

    Cases: repeat k at sent_at + k × repeat_every_s, one after another with 0; none at
    or after ``valid_until``; none once cancelled (``stopped_at``), and the one under
    way then is cut there.
    """
    length = timedelta(milliseconds=duration_ms)
    every = timedelta(seconds=repeat_every_s) if repeat_every_s else length
    plays = []
    for k in range(max(repeat_count, 1)):
        at = sent_at + k * every
        if (valid_until is not None and at >= valid_until) or (
                stopped_at is not None and at >= stopped_at):
            break
        end = at + length if stopped_at is None else min(at + length, stopped_at)
        plays.append((at, end))
    return plays


def _on_top(items: Sequence[Item], a: datetime, b: datetime) -> Item | None:
    """The item the loudspeakers carry over [a, b): the highest rank, then the one begun
    first (it keeps the air it holds)."""
    on = [i for i in items if i.start < b and i.end > a]
    return min(on, key=lambda i: (-RANK[i.kind], i.start, i.kind, i.ref), default=None)


def lay_out(start: datetime, end: datetime, tz: ZoneInfo, relays: Iterable[RelayRule],
            items: Iterable[Item]) -> list[Block]:
    """Ordered, non-overlapping blocks covering [start, end) exactly, free time included.

    Cases: items are clipped to the span (a relay of the day before shows from 00:00,
    marked ``before``; one running past midnight, ``after``); where items overlap the
    higher rank holds the air, and the item it cuts shows in parts (an emergency inside
    a relay: relay ``interrupted``, emergency, relay ``resumed``); at equal rank the one
    begun first keeps the air; items back to back stay two blocks; nothing: one free
    block.
    """
    placed = [i for i in (*relay_items(relays, tz, start, end), *items)
              if i.start < end and i.end > start and i.end > i.start]
    edges = sorted({start, end, *(max(i.start, start) for i in placed),
                    *(min(i.end, end) for i in placed)})
    pieces: list[tuple[datetime, datetime, Item | None]] = []
    for a, b in itertools.pairwise(edges):
        top = _on_top(placed, a, b)
        if pieces and pieces[-1][2] is top:
            pieces[-1] = (pieces[-1][0], b, top)
        else:
            pieces.append((a, b, top))
    return [_block(a, b, item, start, end, tz) for a, b, item in pieces]


def _block(a: datetime, b: datetime, item: Item | None, start: datetime, end: datetime,
           tz: ZoneInfo) -> Block:
    if item is None:
        return Block(Kind.free, a.astimezone(tz), b.astimezone(tz))
    return Block(item.kind, a.astimezone(tz), b.astimezone(tz), item.title, item.ref,
                 item.status, before=item.start < start, after=item.end > end,
                 resumed=a > max(item.start, start), interrupted=b < min(item.end, end))


def day_plan(day: date, tz: ZoneInfo, relays: Iterable[RelayRule],
             items: Iterable[Item]) -> DayPlan:
    """The station's ``day`` (its zone) as blocks from 00:00 to 24:00."""
    start, end = day_bounds(day, tz)
    return DayPlan(day, start.astimezone(tz), end.astimezone(tz),
                   lay_out(start, end, tz, relays, items))


def on_air(relays: Iterable[RelayRule], items: Iterable[Item], tz: ZoneInfo, now: datetime,
           horizon: timedelta) -> tuple[Block | None, Block | None]:
    """(what is on air at ``now``, what comes next within ``horizon``); None for nothing.

    Cases: the block on air ends where it ends or is cut; next is the first item after
    it, free time skipped (a relay's part after an emergency is next to that emergency).
    """
    blocks = lay_out(now, now + horizon, tz, relays, items)
    current = blocks[0] if blocks and blocks[0].kind is not Kind.free else None
    later = (b for b in blocks[1 if current else 0:] if b.kind is not Kind.free)
    return current, next(later, None)
