"""The order of the priority bulletins at the head of a station's window, set by its commune.

Priority bulletins from above take the head of the next window in sending order
(``scheduler.bulletin_placement``); the commune may put one of them, or one of its own,
ahead of the one before it in that window ("phát trước"). Moving one ahead swaps the two:
the one moved starts where the other started, the other follows it ``gap`` later, so
the pair ends no later than before and nothing else in the window moves.

``swapped`` and ``ahead_refused`` are the pure rules; ``move_ahead`` and ``movable`` the
database edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.playlists.models import (
    Bulletin,
    BulletinPriority,
    BulletinSlot,
    BulletinSlotStatus,
    BulletinStatus,
)
from loa.scheduler.bulletin_air import SLOT_OPEN
from loa.scheduler.bulletin_placement import occurrences
from loa.scheduler.bulletin_slots import LEAD
from loa.scheduler.locks import lock_schedule
from loa.stations.models import Player, Station
from loa.stations.push import notify_after_commit
from loa.stations.service import station_windows

Span = tuple[datetime, datetime]  # a play's start and end, UTC


def swapped(earlier: Span, later: Span, gap: timedelta) -> tuple[Span, Span]:
    """(the later play's new span, the earlier play's new span) once the later one goes
    first: it starts where the earlier one started, and the earlier one ``gap`` after it.

    The pair never ends later than it did (they kept at least ``gap`` apart before), so
    what follows them in the window keeps its place.
    """
    first_start = earlier[0]
    first_end = first_start + (later[1] - later[0])
    second_start = first_end + gap
    return (first_start, first_end), (second_start, second_start + (earlier[1] - earlier[0]))


def ahead_refused(priority: bool, open_: bool, before: datetime | None, now: datetime,
                  lead: timedelta = LEAD) -> str | None:
    """Why a play may not be moved ahead, or None.

    Cases: only a priority bulletin's play, still to air (planned or published); there
    must be a priority play before it in its window (``before``: that one's start); that
    one must not be under way or due within ``lead`` (the players refetch their schedule).
    """
    if not priority:
        return ("Chỉ thông báo ưu tiên được đổi thứ tự đầu khung giờ "
                "(only priority bulletins are reordered)")
    if not open_:
        return "Lượt phát này không còn chờ phát (this play is no longer to air)"
    if before is None:
        return ("Lượt phát này đã đứng đầu khung giờ "
                "(this play is already first in its window)")
    if before < now + lead:
        return ("Lượt phát trước đã sắp hoặc đang phát, không đổi được "
                "(the play before it is about to air)")
    return None


def _window_of(station: Station, at: datetime) -> tuple[datetime, datetime] | None:
    """The occurrence of the station's windows that holds ``at`` (UTC start and end)."""
    found = occurrences(station_windows(station), ZoneInfo(station.timezone), at,
                        at + timedelta(microseconds=1))
    return next(((s, e) for s, e in found if s <= at < e), None)


def _heads_before(session: Session, slot: BulletinSlot, station: Station) -> list[BulletinSlot]:
    """The priority plays still to air before ``slot`` in its window on its station."""
    window = _window_of(station, slot.starts_at)
    if window is None:
        return []
    return list(session.scalars(
        select(BulletinSlot).join(Bulletin, Bulletin.id == BulletinSlot.bulletin_id)
        .where(BulletinSlot.station_id == slot.station_id, BulletinSlot.id != slot.id,
               BulletinSlot.status.in_(SLOT_OPEN),
               Bulletin.priority == BulletinPriority.priority,
               BulletinSlot.starts_at >= window[0], BulletinSlot.starts_at < slot.starts_at)
        .order_by(BulletinSlot.starts_at)
    ))


def _is_open_priority(slot: BulletinSlot) -> tuple[bool, bool]:
    bulletin = slot.bulletin
    return (bulletin.priority is BulletinPriority.priority,
            slot.status in SLOT_OPEN and bulletin.status is BulletinStatus.active)


def move_ahead(session: Session, slot: BulletinSlot, now: datetime,
               gap: timedelta) -> BulletinSlot:
    """Put a priority play ahead of the priority play before it in its station's window;
    the play it passed. Both are planned again and the station's players told after commit.
    Errors (``ahead_refused``) are LoaError "Vietnamese (English)"."""
    lock_schedule(session)
    station = session.get_one(Station, slot.station_id)
    priority, open_ = _is_open_priority(slot)
    before = _heads_before(session, slot, station) if priority and open_ else []
    passed = before[-1] if before else None
    refused = ahead_refused(priority, open_, passed.starts_at if passed else None, now)
    if refused:
        raise LoaError(refused)
    assert passed is not None
    (first, second) = swapped((passed.starts_at, passed.ends_at), (slot.starts_at, slot.ends_at),
                              gap)
    slot.starts_at, slot.ends_at = first
    passed.starts_at, passed.ends_at = second
    slot.status = passed.status = BulletinSlotStatus.planned  # the players fetch them again
    session.flush()
    notify_after_commit(session, session.scalars(select(Player.id).where(
        Player.station_id == station.id, Player.revoked.is_(False))))
    return passed


def movable(session: Session, slots: Sequence[BulletinSlot], now: datetime) -> set[int]:
    """The ids of ``slots`` that ``move_ahead`` would take now (for the pages' buttons)."""
    found = set()
    stations: dict[int, Station] = {}
    for slot in slots:
        priority, open_ = _is_open_priority(slot)
        if not (priority and open_) or slot.starts_at < now:
            continue
        station = stations.get(slot.station_id) or session.get_one(Station, slot.station_id)
        stations[station.id] = station
        before = _heads_before(session, slot, station)
        if ahead_refused(True, True, before[-1].starts_at if before else None, now) is None:
            found.add(slot.id)
    return found
