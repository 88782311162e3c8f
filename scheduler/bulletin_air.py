"""What a station's air holds, read from the database: airings and bulletin slots.

Every planner (the month's plan, make-ups, an operator's edits, the outlook)
treats bulletin slots as busy through ``slot_busy``; placing a bulletin reads
the whole air (``station_air``) so it can shift what a priority bulletin overlaps.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.months import month_bounds
from loa.playlists.models import (
    HOLDING,
    Airing,
    Bulletin,
    BulletinPriority,
    BulletinSlot,
    BulletinSlotStatus,
    Programme,
)
from loa.scheduler.bulletin_placement import Kind, OnAir
from loa.scheduler.planning import Busy
from loa.scheduler.relay_air import relay_busy, relay_on_air

# A slot still to play, or played: it holds its place on air (missed and cancelled free it).
SLOT_HOLDING = (BulletinSlotStatus.planned, BulletinSlotStatus.published, BulletinSlotStatus.aired)
SLOT_OPEN = (BulletinSlotStatus.planned, BulletinSlotStatus.published)
# Airings are stored by their start; none is longer than this (a programme is 10-15 min).
LONGEST_ITEM = timedelta(hours=6)


def slot_busy(
    session: Session, start: datetime, end: datetime, station_ids: Collection[int] | None = None
) -> dict[int, list[Busy]]:
    """The air bulletin slots and relay slots hold in [start, end), per station id."""
    query = select(BulletinSlot.station_id, BulletinSlot.starts_at, BulletinSlot.ends_at).where(
        BulletinSlot.status.in_(SLOT_HOLDING),
        BulletinSlot.starts_at < end,
        BulletinSlot.ends_at > start,
    )
    if station_ids is not None:
        query = query.where(BulletinSlot.station_id.in_(list(station_ids)))
    busy: dict[int, list[Busy]] = {}
    for station_id, starts_at, ends_at in session.execute(query):
        busy.setdefault(station_id, []).append(Busy(starts_at, ends_at))
    for station_id, relays in relay_busy(session, start, end, station_ids).items():
        busy.setdefault(station_id, []).extend(relays)  # relays are busy air alike
    return busy


_CHUNK = 5000  # ids per IN list: well below SQLite's and PostgreSQL's parameter limits


def station_air(
    session: Session, station_ids: Collection[int], start: datetime, end: datetime
) -> dict[int, list[OnAir]]:
    """Every airing and bulletin slot holding air in [start, end), per station, in a few
    queries however many stations (a province-wide notice)."""
    ids = sorted(set(station_ids))
    air: dict[int, list[OnAir]] = {i: [] for i in ids}
    for n in range(0, len(ids), _CHUNK):
        chunk = ids[n : n + _CHUNK]
        airings = session.execute(
            select(Airing.id, Airing.station_id, Airing.starts_at, Programme.air_ms)
            .join(Programme, Programme.id == Airing.programme_id)
            .where(
                Airing.station_id.in_(chunk),
                Airing.status.in_(HOLDING),
                Airing.starts_at >= start - LONGEST_ITEM,
                Airing.starts_at < end,
            )
        )
        for i, station_id, s, ms in airings:
            air[station_id].append(
                OnAir(("airing", i), Kind.airing, s, s + timedelta(milliseconds=ms or 0))
            )
        slots = session.execute(
            select(BulletinSlot.id, BulletinSlot.station_id, BulletinSlot.starts_at,
                   BulletinSlot.ends_at, Bulletin.priority)
            .join(Bulletin, Bulletin.id == BulletinSlot.bulletin_id)
            .where(
                BulletinSlot.station_id.in_(chunk),
                BulletinSlot.status.in_(SLOT_HOLDING),
                BulletinSlot.starts_at < end,
                BulletinSlot.ends_at > start,
            )
        )
        for i, station_id, s, e, p in slots:
            kind = Kind.normal if p == BulletinPriority.normal else Kind.priority  # emergency too
            air[station_id].append(OnAir(("slot", i), kind, s, e))
    for station_id, relays in relay_on_air(session, ids, start, end).items():
        air[station_id].extend(relays)  # fixed: a priority bulletin never shifts a relay
    return {i: [item for item in items if item.end > start] for i, items in air.items()}


def month_slot_busy(
    session: Session, month: str, station_ids: Collection[int] | None = None
) -> dict[int, list[Busy]]:
    """``slot_busy`` over "YYYY-MM" in any station's zone (a day either side of UTC's month)."""
    start, end = month_bounds(month, ZoneInfo("UTC"))
    return slot_busy(session, start - timedelta(days=1), end + timedelta(days=1), station_ids)


def station_month_slot_busy(session: Session, station_id: int, month: str) -> list[Busy]:
    """The air bulletin slots hold on one station around "YYYY-MM"."""
    return month_slot_busy(session, month, [station_id]).get(station_id, [])
