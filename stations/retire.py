"""Deleting or retiring a station: one without history goes, one with history stays retired.

A station's history is any row that names it (players, airings, log entries, bulletin
slots, offers, chain marks…): found from the schema's foreign keys rather than a list,
so a table added later counts without anyone remembering to add it here.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from loa.db import Base
from loa.errors import LoaError
from loa.stations.models import Station
from loa.stations.units import StationRef

# Rows that are part of the station itself, not its history: deleted with it.
PARTS = {"zone"}


def history_tables(session: Session, station: Station) -> list[str]:
    """The tables holding rows that name ``station`` (empty: it may be deleted)."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name in PARTS:
            continue
        for fk in table.foreign_keys:
            names_station = fk.column.table.name == "station" and fk.column.name == "id"
            if names_station and session.scalar(select(exists().where(fk.parent == station.id))):
                found.append(table.name)
                break
    return found


def delete_station(session: Session, station: Station) -> None:
    """Delete a station nothing names yet (added by mistake); one with history is refused."""
    if history_tables(session, station):
        raise LoaError(f"Đài {station.code} đã có dữ liệu, chỉ có thể ngừng hoạt động "
                       "(the station has history: retire it instead)")
    for part in PARTS:
        session.execute(Base.metadata.tables[part].delete().where(
            Base.metadata.tables[part].c.station_id == station.id))
    session.delete(station)
    session.flush()


def retire_station(session: Session, station: Station, now: datetime) -> None:
    """Mark ``station`` retired from ``now``.

    Its past airings and log stay for the reports of past months; planning and bulletin
    targets skip it from now on. Cancelling what it still had to air
    (``playlists.schedule.cancel_still_to_air``) and revoking its players (through the key
    log, so the chain records it) are the caller's: both rooms sit above this one.
    """
    if station.retired_at is not None:
        raise LoaError(f"Đài {station.code} đã ngừng hoạt động (station already retired)")
    station.retired_at = now
    session.flush()


def reported_in(station: Station | StationRef, month: str) -> bool:
    """Whether reports of ``month`` ("YYYY-MM") still list ``station``.

    Cases: a station never retired, always; one retired on 15 March (its local time),
    in March and before, never from April: a month it could not air is no failure.
    """
    if station.retired_at is None:
        return True
    return station.retired_at.astimezone(ZoneInfo(station.timezone)).strftime("%Y-%m") >= month
