"""Placing a normal or priority bulletin's plays on its stations, and settling them.

The DB edge of ``scheduler.bulletin_placement``: it takes the schedule lock like every
planner, reads each target station's air, calls the pure rule, stores the slots
and the shifts, has the planner make up any airing a priority bulletin pushed
out of its window, and tells the players once the change has committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from loa.compliance.bulletin_rules import (
    BulletinPlay,
    SlotFacts,
    bulletin_facts,
    why_play_not_counted,
)
from loa.compliance.models import AiringLogEntry
from loa.playlists.bulletin_limits import MAX_REPEATS
from loa.playlists.bulletin_offers import placeable
from loa.playlists.bulletins import PlaceSlots, target_stations
from loa.playlists.models import (
    Airing,
    AiringStatus,
    AudioAsset,
    Bulletin,
    BulletinDelivery,
    BulletinPriority,
    BulletinSlot,
    BulletinSlotStatus,
    BulletinStatus,
)
from loa.scheduler.bulletin_air import SLOT_OPEN, station_air
from loa.scheduler.bulletin_placement import (
    Kind,
    OnAir,
    Placement,
    Ref,
    Request,
    place_bulletin,
)
from loa.scheduler.hourly_placement import HourlyRequest, place_on_the_hour
from loa.scheduler.locks import lock_schedule
from loa.scheduler.service import plan
from loa.scheduler.settle import GRACE
from loa.stations.models import Player, Station
from loa.stations.push import notify_after_commit
from loa.stations.service import station_windows

logger = logging.getLogger(__name__)

# A new slot starts at least this long after it is placed: the players hear of it, fetch the
# schedule and the audio (a push takes a second; the file is small).
LEAD = timedelta(minutes=1)
PLACED = (BulletinPriority.normal, BulletinPriority.priority)
# An emergency plays at once; its on-the-hour repeats begin no sooner than this after, so a
# warning sent at 05:50 is not read again at 06:00.
EMERGENCY_REPEATS_AFTER = timedelta(minutes=30)
_CHUNK = 5000  # ids per IN list: well below SQLite's and PostgreSQL's parameter limits


@dataclass
class SlotReport:
    """What placing did: the slots made and what it shifted or pushed out, per station."""

    slots: list[BulletinSlot] = field(default_factory=list)
    moved: int = 0  # airings and slots shifted later in their window
    made_up: int = 0  # airings pushed out of their window and planned again
    dropped: int = 0  # plays that found no room before valid_until


def request_of(bulletin: Bulletin) -> Request:
    """What ``bulletin`` asks the placement rule for."""
    return Request(
        Kind.priority if bulletin.priority == BulletinPriority.priority else Kind.normal,
        timedelta(milliseconds=bulletin.air_ms),
        bulletin.valid_from,
        bulletin.valid_until,
        bulletin.repeat_count,
        timedelta(seconds=bulletin.repeat_every_s),
    )


def hourly_request_of(bulletin: Bulletin) -> HourlyRequest:
    """What an on-the-hour ``bulletin`` asks the on-the-hour rule for (emergencies and
    priority bulletins take the hour; normal ones wait for what is there)."""
    return HourlyRequest(
        Kind.normal if bulletin.priority == BulletinPriority.normal else Kind.priority,
        timedelta(milliseconds=bulletin.air_ms), bulletin.valid_from,
        bulletin.valid_until, bulletin.repeat_every_s // 3600, bulletin.night,
        min(bulletin.repeat_count, MAX_REPEATS),
    )


def _place_on(bulletin: Bulletin, station: Station, air: list[OnAir], not_before: datetime,
              gap: timedelta) -> tuple[Placement, list[OnAir]]:
    """One station's plays of ``bulletin``: on the hour, or by the window rule."""
    windows, tz = station_windows(station), ZoneInfo(station.timezone)
    if bulletin.on_the_hour:
        if bulletin.priority == BulletinPriority.emergency and bulletin.sent_at is not None:
            not_before = max(not_before, bulletin.sent_at + EMERGENCY_REPEATS_AFTER)
        return place_on_the_hour(hourly_request_of(bulletin), windows, tz, air, not_before,
                                 gap=gap)
    return place_bulletin(request_of(bulletin), windows, tz, air, not_before, gap=gap)


def place_bulletin_slots(
    session: Session, bulletin: Bulletin, now: datetime, gap: timedelta,
    *, lead: timedelta = LEAD,
) -> SlotReport:
    """Place an active normal or priority bulletin's plays on every target station (and an
    emergency's on-the-hour repeats: ``scheduler.hourly_placement`` for any ``on_the_hour``).

    Cases: an emergency, a bulletin not active, or one already placed → nothing
    (placing twice adds nothing; a station already placed keeps its slots, and a normal
    bulletin from above goes only to the stations whose commune accepted it,
    ``playlists.bulletin_offers.placeable``); each station gets its plays by the rule of
    ``scheduler.bulletin_placement`` from ``now + lead``; airings and slots a priority
    bulletin shifts are stored at their new time (planned again, so players
    fetch them); an airing pushed out of its window is cancelled and the
    planner makes it up in its month; a normal slot pushed out moves to its next
    window (cancelled if none is left before its bulletin ends). ``gap`` is
    LOA_AIRING_GAP_SECONDS, the clear air between two items. Players are told after the
    caller commits.
    """
    report = SlotReport()
    if (bulletin.priority not in PLACED and not bulletin.on_the_hour) \
            or bulletin.status is not BulletinStatus.active:
        return report
    lock_schedule(session)
    # Per station: a normal bulletin from above is placed on each commune as it accepts it.
    placed_on = set(session.scalars(
        select(BulletinSlot.station_id).where(BulletinSlot.bulletin_id == bulletin.id)))
    stations = [st for st in placeable(session, bulletin, target_stations(session, bulletin))
                if st.id not in placed_on]
    if not stations:
        return report
    air = station_air(session, [s.id for s in stations], min(now, bulletin.valid_from),
                      bulletin.valid_until + timedelta(days=1))
    not_before = now + lead
    placed = {station.id: _place_on(bulletin, station, air[station.id], not_before, gap)
              for station in stations}
    length = timedelta(milliseconds=bulletin.air_ms)  # its longest language variant too
    report.slots = [
        BulletinSlot(bulletin_id=bulletin.id, station_id=station_id, starts_at=start,
                     ends_at=start + length, status=BulletinSlotStatus.planned)
        for station_id, (placement, _air) in placed.items()
        for start in placement.starts
    ]
    session.add_all(report.slots)
    moves = {ref: start for placement, _air in placed.values() for ref, start in
             placement.moved.items()}
    _store_moves(session, moves)
    report.moved = len(moves)
    report.dropped = sum(placement.dropped for placement, _air in placed.values())
    for station in stations:
        placement, after = placed[station.id]
        if placement.unfit:
            report.made_up += _make_room(session, station, placement.unfit, after, now,
                                         not_before, gap)
    session.flush()
    _notify(session, [i for i, (p, _a) in placed.items() if p.starts or p.moved or p.unfit])
    if report.dropped:
        logger.info("bulletin %s: %d play(s) found no room before it ends",
                    bulletin.id, report.dropped)
    return report


def _store_moves(session: Session, moves: dict[Ref, datetime]) -> None:
    """Store the shifts: each item plays later in its window, planned again so players fetch it."""
    for model, table in ((Airing, "airing"), (BulletinSlot, "slot")):
        ids = sorted(i for t, i in moves if t == table)
        for n in range(0, len(ids), _CHUNK):
            for row in session.scalars(select(model).where(model.id.in_(ids[n : n + _CHUNK]))):
                start = moves[(table, row.id)]
                if isinstance(row, Airing):
                    row.starts_at, row.status = start, AiringStatus.planned
                else:
                    row.starts_at, row.ends_at = start, start + (row.ends_at - row.starts_at)
                    row.status = BulletinSlotStatus.planned


def _make_room(
    session: Session, station: Station, unfit: list[OnAir], air: list[OnAir], now: datetime,
    not_before: datetime, gap: timedelta,
) -> int:
    """What a priority bulletin pushed out of a window: airings cancelled and made up by the
    planner in their month, normal slots moved to their next window; the airings made up."""
    windows, tz = station_windows(station), ZoneInfo(station.timezone)
    months = set()
    for item in unfit:
        if item.ref[0] == "airing":
            airing = session.get_one(Airing, item.ref[1])
            airing.status = AiringStatus.cancelled
            months.add(airing.starts_at.astimezone(tz).strftime("%Y-%m"))
        else:
            air = _replace_slot(session, item, air, windows, tz, not_before, gap)
    session.flush()
    made = 0
    for month in sorted(months):
        made += sum(r.planned for r in plan(session, month, now, gap, {station.id}).rows)
    return made


def _replace_slot(
    session: Session, item: OnAir, air: list[OnAir], windows: list, tz: ZoneInfo,
    not_before: datetime, gap: timedelta,
) -> list[OnAir]:
    """A normal slot a priority bulletin pushed out: the next window with room, or cancelled."""
    slot = session.get_one(BulletinSlot, item.ref[1])
    bulletin = session.get_one(Bulletin, slot.bulletin_id)
    again = Request(Kind.normal, slot.ends_at - slot.starts_at, max(item.start, not_before),
                    bulletin.valid_until)
    placement, air = place_bulletin(again, windows, tz, air, not_before, gap=gap)
    if not placement.starts:
        slot.status = BulletinSlotStatus.cancelled
        return air
    _store_moves(session, {item.ref: placement.starts[0]})
    return [OnAir(item.ref, i.kind, i.start, i.end) if i.ref[0] == "new" else i for i in air]


def _notify(session: Session, station_ids: list[int]) -> None:
    """Tell the players of these stations after commit (one query per few thousand)."""
    for n in range(0, len(station_ids), _CHUNK):
        notify_after_commit(session, session.scalars(select(Player.id).where(
            Player.station_id.in_(station_ids[n : n + _CHUNK]), Player.revoked.is_(False)
        )))


def settled_slot(ends_at: datetime, completed: bool, now: datetime) -> BulletinSlotStatus | None:
    """What a slot still open became, or None while it may still be reported.

    Cases: a ``bulletin.completed`` the bulletin play rule counts for the slot → aired,
    at any time; none once the grace after its end has passed (players on a bad link
    report late) → missed.
    """
    if completed:
        return BulletinSlotStatus.aired
    return BulletinSlotStatus.missed if now >= ends_at + GRACE else None


def settle_slots(session: Session, now: datetime,
                 tolerance: timedelta) -> dict[BulletinSlotStatus, int]:
    """Settle every open slot that has ended: aired on a counted play, else missed.

    ``tolerance``: how far a play may start from its slot (LOA_START_TOLERANCE_MINUTES).
    """
    slots = list(session.scalars(select(BulletinSlot).where(
        BulletinSlot.status.in_(SLOT_OPEN), BulletinSlot.ends_at <= now,
    )))
    if not slots:
        return {}
    done = _aired_slots(session, slots, tolerance)
    counts: dict[BulletinSlotStatus, int] = {}
    for slot in slots:
        status = settled_slot(slot.ends_at, slot.id in done, now)
        if status is not None:
            slot.status = status
            counts[status] = counts.get(status, 0) + 1
    session.flush()
    return counts


def _aired_slots(session: Session, slots: list[BulletinSlot], tolerance: timedelta) -> set[int]:
    """Ids of ``slots`` that a ``bulletin.completed`` naming them airs by the bulletin play
    rule (``why_play_not_counted``: the audio the player was given, in full, begun within
    ``tolerance`` of the slot, by a player of its station that had fetched the audio,
    received no earlier than it could have ended). One slot is one play: the rule's cap
    of plays per player is not what a slot asks, so none counted before is assumed."""
    by_id = {s.id: s for s in slots}
    rows = session.execute(
        select(AiringLogEntry, Bulletin, BulletinDelivery.fetched_at, AudioAsset)
        .join(Bulletin, Bulletin.id == AiringLogEntry.bulletin_id)
        .outerjoin(BulletinDelivery, and_(BulletinDelivery.bulletin_id == Bulletin.id,
                                          BulletinDelivery.player_id == AiringLogEntry.player_id))
        # the audio the player was given: its zone's language variant, or the bulletin's own
        .outerjoin(AudioAsset, AudioAsset.sha256 == BulletinDelivery.asset_sha256)
        .where(AiringLogEntry.event == "bulletin.completed",
               AiringLogEntry.bulletin_id.in_(sorted({s.bulletin_id for s in slots})))
    )
    aired = set()
    for entry, bulletin, fetched_at, heard in rows:
        play = BulletinPlay.of(entry.event, entry.at, entry.played_ms, entry.asset_sha256,
                               entry.received_at, entry.detail)
        slot = by_id.get(play.slot_id) if play.slot_id is not None else None
        if slot is None or (slot.bulletin_id, slot.station_id) != (bulletin.id, entry.station_id):
            continue  # a player vouches only for its own station's slots of that bulletin
        facts = SlotFacts(slot.id, slot.starts_at)
        if why_play_not_counted(play, bulletin_facts(bulletin, heard), fetched_at, facts, 0,
                                tolerance) is None:
            aired.add(slot.id)
    return aired


def slot_placer(gap: timedelta) -> PlaceSlots:
    """What sending a bulletin calls to place its plays (``create_bulletin``'s hook)."""
    return partial(place_bulletin_slots, gap=gap)


def place_unplaced(session: Session, now: datetime, gap: timedelta) -> int:
    """Place every active normal or priority bulletin that has no slot yet (a safety net
    for a path that sent one without placing it); how many were placed."""
    lock_schedule(session)
    placed = select(BulletinSlot.bulletin_id)
    waiting = session.scalars(select(Bulletin).where(
        Bulletin.status == BulletinStatus.active,
        Bulletin.priority.in_(PLACED) | Bulletin.on_the_hour,
        Bulletin.valid_until > now,
        Bulletin.id.not_in(placed),
    ).order_by(Bulletin.sent_at, Bulletin.id))
    count = 0
    for bulletin in waiting:
        count += bool(place_bulletin_slots(session, bulletin, now, gap).slots)
    return count
