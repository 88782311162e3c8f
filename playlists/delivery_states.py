"""What a bulletin's delivery reads, per player and per station, as pure functions
(DESIGN §6, bulletin delivery states).

Only a counted completion (the bulletin play rule: at least 95% of it, begun after
sending, received no earlier than it could have ended) reads "đã phát", and only those
count in the headline. A play begun and not completed reads "đang phát" while it can
still be playing, then "bị ngắt"; a play nobody heard (``bulletin.failed``, or a
completion through the ``null`` output after the real ones failed) reads "lỗi phát"
with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from loa.clock import CLOCK_SLACK


class DeliveryState(StrEnum):
    waiting = "waiting"  # no notice out, nothing fetched yet
    pushed = "pushed"  # the notice went out
    fetched = "fetched"  # the player has the audio
    playing = "playing"  # begun, and can still be playing
    cut = "cut"  # begun, and over without a counted completion
    failed = "failed"  # nobody heard it: every output failed, or only null kept time
    completed = "completed"  # a counted completion


# Which player's state a zone shows: the best news first (one of its players played it
# through), then a play still going, then the trouble, red before grey.
STATION_ORDER = (DeliveryState.completed, DeliveryState.playing, DeliveryState.failed,
                 DeliveryState.cut, DeliveryState.fetched, DeliveryState.pushed,
                 DeliveryState.waiting)


@dataclass(frozen=True)
class PlayerPlays:
    """One target player's delivery row as the states read it."""

    plays: int  # counted completions
    pushed_at: datetime | None = None
    fetched_at: datetime | None = None
    last_started_at: datetime | None = None  # the latest counted start
    failed_at: datetime | None = None  # the latest failed play
    failure: str | None = None  # ... and why
    not_counted: str | None = None  # why the latest play's completion did not count


def player_state(row: PlayerPlays, duration_ms: int,
                 now: datetime) -> tuple[DeliveryState, str | None]:
    """The player's delivery state and its reason (for "lỗi phát" and "bị ngắt"), at ``now``.

    Cases: a counted completion → completed, whatever came after; a failure at or
    after the latest start (or with no counted start) → failed with its reason; a
    start whose completion came and did not count → cut with the rule's reason; a
    start with no completion yet → playing until it could have ended (its length
    plus the clock slack), then cut; otherwise fetched, pushed or waiting by the
    latest step reached.
    """
    if row.plays > 0:
        return DeliveryState.completed, None
    started = row.last_started_at
    if row.failed_at is not None and (started is None or row.failed_at >= started):
        return DeliveryState.failed, row.failure
    if started is not None:
        could_end = started + timedelta(milliseconds=max(duration_ms, 0)) + CLOCK_SLACK
        if row.not_counted is None and now < could_end:
            return DeliveryState.playing, None
        return DeliveryState.cut, row.not_counted
    if row.fetched_at is not None:
        return DeliveryState.fetched, None
    if row.pushed_at is not None:
        return DeliveryState.pushed, None
    return DeliveryState.waiting, None


def station_state(rows: Iterable[PlayerPlays], duration_ms: int,
                  now: datetime) -> tuple[DeliveryState, str | None]:
    """The state of one zone's players (of a station of one zone: the station's): their
    best by ``STATION_ORDER`` (waiting with none).

    Cases: one player completed and another failed → completed (the zone played it);
    one failed and one still playing → playing; one failed and one cut → failed.
    """
    states = [player_state(row, duration_ms, now) for row in rows]
    return min(states, key=lambda s: STATION_ORDER.index(s[0]),
               default=(DeliveryState.waiting, None))


def zones_state(states: Sequence[tuple[DeliveryState, str | None]]
                ) -> tuple[DeliveryState, str | None]:
    """A station's state from those of the zones the bulletin reached (each its best
    player's, ``station_state``): played only once every zone played it, as a station's
    month counts by zone (DESIGN §6).

    Cases: no zone → waiting; one zone → its state; every zone completed → completed;
    otherwise the best by ``STATION_ORDER`` of the zones still short (one completed and
    one waiting → waiting; one completed and one failed → failed with its reason).
    """
    short = [s for s in states if s[0] is not DeliveryState.completed]
    if states and not short:
        return DeliveryState.completed, None
    return min(short, key=lambda s: STATION_ORDER.index(s[0]),
               default=(DeliveryState.waiting, None))
