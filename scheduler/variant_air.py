"""A language variant longer than the air its programme's airings hold.

An airing holds its programme's longest recording (``Programme.air_ms``), so the
planner places around a variant from the start. One added once the month is
planned lengthens airings already placed: those still to come that no longer fit
(past their window's end, or within the gap of the next item) are cancelled and
the planner makes them up in their months, as adding a relay slot does
(``scheduler.relay_air.make_room``). The rest keep their place.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.audio.store import AudioStore
from loa.compliance.close import check_programme_open
from loa.errors import LoaError
from loa.playlists.models import STILL_TO_AIR, Airing, AiringStatus, Programme, ProgrammeVariant
from loa.playlists.variants import add_variant
from loa.scheduler.bulletin_air import station_air
from loa.scheduler.edits import check_slot
from loa.scheduler.locks import lock_schedule
from loa.scheduler.planning import Busy
from loa.scheduler.relay_air import notify_stations
from loa.scheduler.service import plan
from loa.stations.models import Station
from loa.stations.service import station_windows


def add_programme_variant(
    session: Session, store: AudioStore, programme_id: int, language: str, path: Path,
    now: datetime, gap: timedelta,
) -> tuple[ProgrammeVariant, int]:
    """Keep a recorded variant of the programme (its month open) and move the airings its
    length no longer fits: the variant, and how many airings moved (`loa programme variant
    add` and the programme page alike)."""
    check_programme_open(session, programme_id, "thêm bản ngôn ngữ (add a variant)")
    added = add_variant(session, store, programme_id, language, path, now)
    return added, make_room_for_variant(session, programme_id, now, gap)


def make_room_for_variant(session: Session, programme_id: int, now: datetime,
                          gap: timedelta) -> int:
    """Move the programme's airings still to come that its air no longer fits; returns how
    many moved.

    Cases: an airing that still fits its window with ``gap`` clear of every other
    item (airings, bulletin plays, relays) stays; one that now runs past its window's
    end or into another item is cancelled and made up in its month (the make-up holds
    the longer air); the stations of those moved are told after commit.
    """
    lock_schedule(session)
    air_ms = session.scalar(select(Programme.air_ms).where(Programme.id == programme_id))
    length = timedelta(milliseconds=air_ms or 0)
    mine = list(session.scalars(select(Airing).where(
        Airing.programme_id == programme_id, Airing.status.in_(STILL_TO_AIR),
        Airing.starts_at > now).order_by(Airing.starts_at)))
    if not mine:
        return 0
    stations = {s.id: s for s in session.scalars(select(Station).where(
        Station.id.in_({a.station_id for a in mine})))}
    air = station_air(session, stations, mine[0].starts_at, mine[-1].starts_at + length + gap)
    months: dict[str, set[int]] = {}
    moved = 0
    for airing in mine:
        station = stations[airing.station_id]
        tz = ZoneInfo(station.timezone)
        others = [Busy(item.start, item.end) for item in air[station.id]
                  if item.ref != ("airing", airing.id)]
        try:
            check_slot(airing.starts_at, length, station_windows(station), tz, others, now, gap)
        except LoaError:
            airing.status = AiringStatus.cancelled
            moved += 1
            months.setdefault(airing.starts_at.astimezone(tz).strftime("%Y-%m"),
                              set()).add(station.id)
    session.flush()
    for month, ids in sorted(months.items()):
        plan(session, month, now, gap, ids)
    notify_stations(session, sorted({sid for ids in months.values() for sid in ids}))
    return moved
