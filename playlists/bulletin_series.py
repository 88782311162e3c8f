"""Bulletin series: the latest warning about one event replaces the one before.

A series ("Bão số 3 năm 2026") is named within its owner unit. Sending a bulletin of
the series (at once, or when approved) supersedes the others still on: each becomes
cancelled with ``superseded_by`` set, its plays still to come are cancelled and its
players told after commit, so a storm's 04:00 bulletin is never read after the 05:00 one.
Also here: the on-the-hour and night rules a bulletin is checked against when written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.playlists.bulletin_delivery import stations_played
from loa.playlists.bulletin_limits import EVERY_HOURS
from loa.playlists.models import (
    Bulletin,
    BulletinDelivery,
    BulletinPriority,
    BulletinSeries,
    BulletinSlot,
    BulletinSlotStatus,
    BulletinStatus,
)
from loa.stations.models import AdminUnit, Player
from loa.stations.push import notify_after_commit, notify_bulletin_after_commit

MAX_SERIES_NAME = 200
SUPERSEDER = "series"  # cancelled_by of a superseded bulletin: no person cancelled it


def series_name(name: str) -> str:
    """A series name with its spaces tidied, checked: not empty, at most 200 characters."""
    name = " ".join(name.split())
    if not name:
        raise LoaError("Tên chuỗi thông báo trống (the series name is empty)")
    if len(name) > MAX_SERIES_NAME:
        raise LoaError(f"Tên chuỗi tối đa {MAX_SERIES_NAME} ký tự "
                       f"(series name at most {MAX_SERIES_NAME})")
    return name


def find_series(session: Session, unit: AdminUnit, name: str) -> BulletinSeries | None:
    """The unit's series of that name (spaces tidied), or None."""
    return session.scalar(select(BulletinSeries).where(
        BulletinSeries.unit_id == unit.id, BulletinSeries.name == series_name(name)))


def series_named(session: Session, unit: AdminUnit, name: str, *, by: str | None,
                 now: datetime) -> BulletinSeries:
    """The unit's series of that name, made if it is new."""
    found = find_series(session, unit, name)
    if found is None:
        found = BulletinSeries(unit=unit, name=series_name(name), created_by=by, created_at=now)
        session.add(found)
        session.flush()
    return found


def unit_series(session: Session, unit_ids: set[int]) -> list[BulletinSeries]:
    """The series of these units, newest first."""
    return list(session.scalars(
        select(BulletinSeries).where(BulletinSeries.unit_id.in_(unit_ids))
        .order_by(BulletinSeries.created_at.desc(), BulletinSeries.id.desc())))


def series_bulletins(session: Session, series: BulletinSeries) -> list[Bulletin]:
    """The series' bulletins in the order they were written."""
    return list(session.scalars(
        select(Bulletin).where(Bulletin.series_id == series.id)
        .order_by(Bulletin.created_at, Bulletin.id)))


@dataclass(frozen=True)
class SeriesEntry:
    """One bulletin of a series as its page and `loa bulletin series` show it."""

    bulletin: Bulletin
    stations: int  # target stations with a delivery row
    completed: int  # stations that played it (every zone reached: a counted completion)
    to_come: int  # plays still planned (all stations)
    next_play: datetime | None  # the earliest of those


def series_entries(session: Session, series: BulletinSeries, now: datetime) -> list[SeriesEntry]:
    """The series' bulletins in order, each with its delivery and the plays still to come."""
    bulletins = series_bulletins(session, series)
    ids = [b.id for b in bulletins]
    reach = {bulletin_id: (total, played)
             for bulletin_id, (played, total) in stations_played(session, ids).items()}
    coming = {row[0]: (row[1], row[2]) for row in session.execute(
        select(BulletinSlot.bulletin_id, func.count(BulletinSlot.id),
               func.min(BulletinSlot.starts_at))
        .where(BulletinSlot.bulletin_id.in_(ids), BulletinSlot.starts_at > now,
               BulletinSlot.status.in_((BulletinSlotStatus.planned,
                                        BulletinSlotStatus.published)))
        .group_by(BulletinSlot.bulletin_id))}
    return [SeriesEntry(b, *reach.get(b.id, (0, 0)), *coming.get(b.id, (0, None)))
            for b in bulletins]


def check_hourly(priority: BulletinPriority, on_the_hour: bool, night: bool,
                 repeat_every_s: int) -> None:
    """Refuse what the on-the-hour and night rules forbid.

    Cases: night is for priority and emergency bulletins only, and only with plays on
    the hour (a night play needs a time to play at); on the hour, the interval is whole
    hours that divide a day (1, 2, 3, 4, 6, 8, 12 or 24).
    """
    if night and priority is BulletinPriority.normal:
        raise LoaError("Thông báo thông thường không phát ban đêm, chỉ ưu tiên và khẩn cấp "
                       "(only priority and emergency bulletins play at night)")
    if night and not on_the_hour:
        raise LoaError("Phát ban đêm cần phát lại đúng giờ tròn (--night needs --on-the-hour)")
    if on_the_hour and (repeat_every_s % 3600 or repeat_every_s // 3600 not in EVERY_HOURS):
        hours = ", ".join(str(h) for h in EVERY_HOURS)
        raise LoaError(f"Phát đúng giờ tròn cách nhau {hours} giờ "
                       f"(on the hour every {hours} hours)")


def check_series_owner(series: BulletinSeries, unit: AdminUnit) -> None:
    """A series holds only its own unit's bulletins."""
    if series.unit_id != unit.id:
        raise LoaError(f"Chuỗi “{series.name}” thuộc đơn vị khác "
                       "(the series belongs to another unit)")


def supersede_in_series(session: Session, series: BulletinSeries, bulletin: Bulletin,
                        now: datetime) -> list[int]:
    """``bulletin``, sent now in ``series``, replaces the others still on; their ids.

    Cases: every other active bulletin of the series, and every pending one written
    before it (an older text must not go out after this one), becomes cancelled with
    ``superseded_by`` = ``bulletin``; a pending one written after it stays pending (it
    is newer); their plays still to come are cancelled and the players told after
    commit (``schedule.changed``; ``bulletin.cancelled`` for an emergency); plays
    already begun keep their record.
    """
    bulletin.series_id = series.id
    older = list(session.scalars(select(Bulletin).where(
        Bulletin.series_id == series.id, Bulletin.id != bulletin.id,
        (Bulletin.status == BulletinStatus.active)
        | ((Bulletin.status == BulletinStatus.pending) & (Bulletin.id < bulletin.id)),
    ).order_by(Bulletin.id)))
    for old in older:
        was_sent = old.status is BulletinStatus.active
        old.status, old.superseded_by_id = BulletinStatus.cancelled, bulletin.id
        old.cancelled_by, old.cancelled_at, old.updated_at = SUPERSEDER, now, now
        if was_sent:
            stop_plays(session, old, now)
    session.flush()
    return [old.id for old in older]


def stop_plays(session: Session, bulletin: Bulletin, now: datetime) -> None:
    """Cancel the bulletin's plays still to come and tell its players after commit."""
    stations = set(session.scalars(
        update(BulletinSlot)
        .where(BulletinSlot.bulletin_id == bulletin.id, BulletinSlot.starts_at > now,
               BulletinSlot.status.in_((BulletinSlotStatus.planned,
                                        BulletinSlotStatus.published)))
        .values(status=BulletinSlotStatus.cancelled)
        .returning(BulletinSlot.station_id)
    ))
    if stations:
        notify_after_commit(session, session.scalars(
            select(Player.id).where(Player.station_id.in_(stations))))
    if bulletin.priority is BulletinPriority.emergency:
        players = session.scalars(select(BulletinDelivery.player_id).where(
            BulletinDelivery.bulletin_id == bulletin.id)).all()
        notify_bulletin_after_commit(session, "bulletin.cancelled", bulletin.id, players)
