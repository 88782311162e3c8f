"""Relay slots as busy air: every planner reads them as it reads bulletin slots.

``scheduler.bulletin_air.slot_busy`` (the month's plan, make-ups, an operator's
edits, the outlook) and ``station_air`` (placing a bulletin) add what is here, so
a relay is planned around exactly like a bulletin slot, and a priority bulletin
never shifts a relay (it is ``Kind.relay``: fixed). Adding a relay slot frees its
air: airings still to come that it overlaps are cancelled and the planner makes
them up in their month.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.playlists.models import STILL_TO_AIR, Airing, AiringStatus, Programme
from loa.playlists.relay_models import RelaySlot
from loa.playlists.relays import relay_spans
from loa.scheduler.bulletin_placement import Kind, OnAir
from loa.scheduler.planning import Busy
from loa.stations.models import Player, Station
from loa.stations.push import notify_after_commit
from loa.stations.tree import UnitTree

_CHUNK = 5000  # ids per IN list: well below SQLite's and PostgreSQL's parameter limits


def relay_busy(session: Session, start: datetime, end: datetime,
               station_ids: Collection[int] | None = None) -> dict[int, list[Busy]]:
    """The air relay slots hold in [start, end), per station id."""
    return {sid: [Busy(s.start, s.end) for s in spans]
            for sid, spans in relay_spans(session, start, end, station_ids).items()}


def relay_on_air(session: Session, station_ids: Collection[int], start: datetime,
                 end: datetime) -> dict[int, list[OnAir]]:
    """Relay occurrences as fixed items of each station's air (placing bulletins)."""
    return {sid: [OnAir(("relay", s.slot_id), Kind.relay, s.start, s.end) for s in spans]
            for sid, spans in relay_spans(session, start, end, station_ids).items()}


def make_room(session: Session, slot: RelaySlot, now: datetime, gap: timedelta) -> int:
    """Cancel the airings still to come that a new relay slot overlaps (within ``gap``), have
    the planner make them up in their months, and tell the stations' players after commit.
    Returns how many airings were moved."""
    from loa.scheduler.service import plan

    horizon = now + timedelta(days=62)
    spans = relay_spans(session, now, horizon)
    mine = {sid: [s for s in items if s.slot_id == slot.id] for sid, items in spans.items()}
    mine = {sid: items for sid, items in mine.items() if items}
    months: dict[str, set[int]] = {}
    moved = 0
    ids = sorted(mine)
    for n in range(0, len(ids), _CHUNK):  # a few queries for a province-wide slot
        rows = session.execute(
            select(Airing, Programme.air_ms, Station.timezone).join(Programme)
            .join(Station, Station.id == Airing.station_id)
            .where(Airing.station_id.in_(ids[n : n + _CHUNK]),
                   Airing.status.in_(STILL_TO_AIR),
                   Airing.starts_at > now, Airing.starts_at < horizon))
        for airing, air_ms, zone in rows:
            end = airing.starts_at + timedelta(milliseconds=air_ms or 0)
            if any(airing.starts_at < s.end + gap and s.start < end + gap
                   for s in mine[airing.station_id]):
                airing.status = AiringStatus.cancelled
                moved += 1
                month = airing.starts_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m")
                months.setdefault(month, set()).add(airing.station_id)
    session.flush()
    for month, ids in sorted(months.items()):
        plan(session, month, now, gap, ids)
    notify_stations(session, list(mine))
    return moved


def reached_stations(session: Session, slot_id: int) -> list[int]:
    """The stations a relay slot is on: its station, or every station below its unit."""
    slot = session.get(RelaySlot, slot_id)
    if slot is None:
        return []
    if slot.station_id is not None:
        return [slot.station_id]
    tree = UnitTree.load(session)
    rows = session.execute(select(Station.id, Station.unit_id))
    return [sid for sid, uid in rows if tree.is_under(uid, slot.unit_id or 0)]


def notify_stations(session: Session, station_ids: list[int]) -> None:
    """Their players fetch the schedule again once the caller commits."""
    if station_ids:
        notify_after_commit(session, session.scalars(select(Player.id).where(
            Player.station_id.in_(station_ids), Player.revoked.is_(False))))
