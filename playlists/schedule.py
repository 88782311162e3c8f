"""A station's playlist: the airings its players should hold and play."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.months import month_bounds
from loa.playlists.models import (
    STILL_TO_AIR,
    Airing,
    AiringStatus,
    AudioAsset,
    Bulletin,
    BulletinSlot,
    BulletinSlotStatus,
    BulletinStatus,
    Programme,
    ProgrammeStatus,
)
from loa.stations.models import Station


def station_airings(
    session: Session, station_id: int, start: datetime, end: datetime
) -> list[tuple[Airing, Programme, AudioAsset]]:
    """Airings of a station in [start, end) that a player can play: approved, with audio.

    Cases: one already under way at ``start`` is kept so a restarted agent still knows it.
    """
    rows = session.execute(
        select(Airing, Programme, AudioAsset)
        .join(Programme, Airing.programme_id == Programme.id)
        .join(AudioAsset, Programme.master_sha256 == AudioAsset.sha256)
        .where(
            Airing.station_id == station_id,
            Airing.starts_at >= start - timedelta(hours=2),
            Airing.starts_at < end,
            Airing.status.in_(STILL_TO_AIR),
            Programme.status == ProgrammeStatus.approved,
        )
        .order_by(Airing.starts_at, Airing.id)
    ).all()
    return [
        (a, p, asset)
        for a, p, asset in rows
        if a.starts_at + timedelta(milliseconds=asset.duration_ms) > start
    ]


def cancel_still_to_air(session: Session, station_id: int, since: datetime) -> int:
    """Cancel the station's airings still to air that start at or after ``since`` (a
    retired station's); returns how many."""
    later = session.scalars(select(Airing).where(
        Airing.station_id == station_id, Airing.status.in_(STILL_TO_AIR), Airing.starts_at >= since,
    )).all()
    for airing in later:
        airing.status = AiringStatus.cancelled
    session.flush()
    return len(later)


def month_airings(
    session: Session,
    station: Station,
    month: str,
    statuses: Collection[AiringStatus] | None = None,
) -> list[Airing]:
    """The station's airings scheduled in ``month`` (station zone), of any campaign, by time;
    only those in ``statuses`` when given."""
    start, end = month_bounds(month, ZoneInfo(station.timezone))
    query = select(Airing).where(
        Airing.station_id == station.id, Airing.starts_at >= start, Airing.starts_at < end
    )
    if statuses is not None:
        query = query.where(Airing.status.in_(statuses))
    return list(session.scalars(query.order_by(Airing.starts_at)))


def station_bulletin_slots(
    session: Session, station_id: int, start: datetime, end: datetime
) -> list[tuple[BulletinSlot, Bulletin, AudioAsset]]:
    """Bulletin slots of a station in [start, end) still to play, with their bulletin and audio.

    Cases: one under way at ``start`` is kept (as airings are); cancelled slots, and
    the slots of a cancelled bulletin, are left out.
    """
    rows = session.execute(
        select(BulletinSlot, Bulletin, AudioAsset)
        .join(Bulletin, Bulletin.id == BulletinSlot.bulletin_id)
        .join(AudioAsset, AudioAsset.sha256 == Bulletin.asset_sha256)
        .where(
            BulletinSlot.station_id == station_id,
            BulletinSlot.starts_at < end,
            BulletinSlot.ends_at > start,
            BulletinSlot.status.in_((BulletinSlotStatus.planned, BulletinSlotStatus.published)),
            Bulletin.status != BulletinStatus.cancelled,
        )
        .order_by(BulletinSlot.starts_at, BulletinSlot.id)
    ).all()
    return [(slot, bulletin, asset) for slot, bulletin, asset in rows]


def month_bulletin_slots(
    session: Session, station: Station, month: str
) -> list[tuple[BulletinSlot, Bulletin]]:
    """The station's bulletin slots in ``month`` (station zone), by time, but cancelled ones."""
    start, end = month_bounds(month, ZoneInfo(station.timezone))
    rows = session.execute(
        select(BulletinSlot, Bulletin)
        .join(Bulletin, Bulletin.id == BulletinSlot.bulletin_id)
        .where(
            BulletinSlot.station_id == station.id,
            BulletinSlot.starts_at >= start,
            BulletinSlot.starts_at < end,
            BulletinSlot.status != BulletinSlotStatus.cancelled,
        )
        .order_by(BulletinSlot.starts_at, BulletinSlot.id)
    ).all()
    return [(slot, bulletin) for slot, bulletin in rows]
