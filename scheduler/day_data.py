"""What a station's day plan reads: its relay slots, and the airings and bulletin plays on
its air in a span, in a handful of queries (``scheduler.day_plan`` lays them out)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.playlists.models import (
    Airing,
    AiringStatus,
    Bulletin,
    BulletinDelivery,
    BulletinPriority,
    BulletinSlot,
    BulletinSlotStatus,
    BulletinStatus,
    Programme,
)
from loa.playlists.relays import station_slots, window_of
from loa.scheduler.bulletin_air import LONGEST_ITEM
from loa.scheduler.day_plan import (
    Block,
    DayPlan,
    Item,
    Kind,
    RelayRule,
    day_bounds,
    day_plan,
    emergency_plays,
    on_air,
)
from loa.stations.models import Station

# How far ahead "next" looks: past a month's end, as the calendar does.
HORIZON = timedelta(days=32)


def relay_rules(session: Session, station: Station) -> list[RelayRule]:
    """The relay slots ``station`` carries (its own and its units'), with their source's name."""
    return [RelayRule(slot.id, slot.source.name, window_of(slot).days,
                      time.fromisoformat(slot.at), slot.minutes, slot.required,
                      slot.created_at)
            for slot in station_slots(session, station)]


def _airings(session: Session, station_id: int, start: datetime, end: datetime) -> list[Item]:
    rows = session.execute(
        select(Airing.id, Airing.starts_at, Airing.status, Programme.title, Programme.air_ms)
        .join(Programme, Programme.id == Airing.programme_id)
        .where(Airing.station_id == station_id, Airing.status != AiringStatus.cancelled,
               Airing.starts_at >= start - LONGEST_ITEM, Airing.starts_at < end))
    return [Item(Kind.airing, at, at + timedelta(milliseconds=ms or 0), title, airing_id,
                 status.value) for airing_id, at, status, title, ms in rows]


def _slots(session: Session, station_id: int, start: datetime, end: datetime) -> list[Item]:
    """Placed bulletin plays; an emergency's on-the-hour repeats are emergencies."""
    rows = session.execute(
        select(BulletinSlot.id, BulletinSlot.starts_at, BulletinSlot.ends_at, BulletinSlot.status,
               Bulletin.title, Bulletin.priority)
        .join(Bulletin, Bulletin.id == BulletinSlot.bulletin_id)
        .where(BulletinSlot.station_id == station_id,
               BulletinSlot.status != BulletinSlotStatus.cancelled,
               BulletinSlot.starts_at < end, BulletinSlot.ends_at > start))
    return [Item(Kind.emergency if priority is BulletinPriority.emergency else Kind.bulletin,
                 s, e, title, slot_id, status.value)
            for slot_id, s, e, status, title, priority in rows]


def _emergencies(session: Session, station_id: int, start: datetime,
                 end: datetime) -> list[Item]:
    """Emergencies sent to the station: each play at once and its repeats (the players'
    list, not slots)."""
    sent_here = select(BulletinDelivery.bulletin_id).where(
        BulletinDelivery.station_id == station_id)
    rows = session.execute(
        select(Bulletin.id, Bulletin.title, Bulletin.status, Bulletin.sent_at,
               Bulletin.duration_ms, Bulletin.repeat_count, Bulletin.repeat_every_s,
               Bulletin.on_the_hour, Bulletin.valid_until, Bulletin.cancelled_at)
        .where(Bulletin.id.in_(sent_here), Bulletin.priority == BulletinPriority.emergency,
               Bulletin.sent_at.is_not(None), Bulletin.sent_at < end,
               Bulletin.valid_until > start - LONGEST_ITEM))
    items = []
    for r in rows:
        # On the hour, the repeats are placed slots (``_slots``); the list plays it once.
        count = 1 if r.on_the_hour else r.repeat_count
        stopped = r.cancelled_at if r.status is BulletinStatus.cancelled else None
        for s, e in emergency_plays(r.sent_at, r.duration_ms, count, r.repeat_every_s,
                                    r.valid_until, stopped):
            items.append(Item(Kind.emergency, s, e, r.title, r.id, r.status.value))
    return items


def station_items(session: Session, station: Station, start: datetime,
                  end: datetime) -> list[Item]:
    """Airings, placed bulletin plays and emergency plays on the station's air in
    [start, end); cancelled ones are not on air."""
    return [*_airings(session, station.id, start, end), *_slots(session, station.id, start, end),
            *_emergencies(session, station.id, start, end)]


def station_day(session: Session, station: Station, day: date,
                relays: list[RelayRule]) -> DayPlan:
    """``day`` on the station, 00:00 to 24:00 in its zone."""
    tz = ZoneInfo(station.timezone)
    start, end = day_bounds(day, tz)
    return day_plan(day, tz, relays, station_items(session, station, start, end))


def station_on_air(session: Session, station: Station, now: datetime,
                   relays: list[RelayRule]) -> tuple[Block | None, Block | None]:
    """What the station carries at ``now`` and what comes next."""
    items = station_items(session, station, now, now + HORIZON)
    return on_air(relays, items, ZoneInfo(station.timezone), now, HORIZON)
