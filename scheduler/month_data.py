"""What planning a month reads, for every station at once, in a few queries.

One query each for the unit tree, the stations, the approved programmes and the
airings already in the month: the planner then works from memory, so planning
the country costs the same handful of queries as planning one commune.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.months import month_bounds
from loa.playlists.models import HOLDING, Airing, AiringStatus, Campaign, Programme, ProgrammeStatus
from loa.playlists.programmes import Candidate, nearest_programme
from loa.scheduler.planning import Busy
from loa.stations.models import Station
from loa.stations.tree import UnitTree
from loa.stations.windows import Window, parse_windows


@dataclass
class Held:
    """An airing on a station's air in the month, as the planner sees it."""

    id: int | None  # None: planned by this run, not stored yet
    programme_id: int
    campaign_id: int
    starts_at: datetime
    status: AiringStatus
    air_ms: int  # its programme's longest recording (``Programme.air_ms``)

    @property
    def busy(self) -> Busy:
        return Busy(self.starts_at, self.starts_at + timedelta(milliseconds=self.air_ms))


@dataclass
class StationFacts:
    """A station as the planner needs it: its place in the tree, zone and windows."""

    id: int
    code: str
    unit_id: int
    tz: ZoneInfo
    windows: list[Window]
    held: list[Held] = field(default_factory=list)  # by start, any campaign
    # Other time already taken on the station's air (e.g. bulletins), planned around too.
    other_busy: list[Busy] = field(default_factory=list)


@dataclass(frozen=True)
class Approved:
    """An approved programme of the month: whose it is and the air each airing holds (its
    longest recording: a language variant may be longer than the master)."""

    id: int
    unit_id: int
    air_ms: int | None


@dataclass
class MonthData:
    month: str
    tree: UnitTree
    stations: list[StationFacts]  # by code
    # Approved programmes of the month per campaign, oldest version first.
    programmes: dict[int, list[Approved]]
    _chosen: dict[tuple[int, int], Approved | None] = field(default_factory=dict)

    def stations_under(self, unit_id: int) -> list[StationFacts]:
        return [s for s in self.stations if self.tree.is_under(s.unit_id, unit_id)]

    def applicable(self, campaign_id: int, unit_id: int) -> Approved | None:
        """What ``playlists.programmes.applicable_programme`` answers, from memory."""
        key = (campaign_id, unit_id)
        if key not in self._chosen:
            found = self.programmes.get(campaign_id, [])
            by_id = {p.id: p for p in found}
            chosen = nearest_programme(
                self.tree.chain(unit_id), [Candidate(p.unit_id, p.id) for p in found]
            )
            self._chosen[key] = by_id[chosen] if chosen is not None else None
        return self._chosen[key]


@cache
def _windows(texts: tuple[str, ...]) -> list[Window]:
    # Stations mostly share a few window sets: parse each set once.
    return parse_windows(",".join(texts))


def load_month(
    session: Session,
    month: str,
    campaigns: list[Campaign],
    station_ids: Collection[int] | None = None,
) -> MonthData:
    """Everything planning ``month`` for ``campaigns`` reads (only ``station_ids`` when given)."""
    tree = UnitTree.load(session)
    roots = {c.unit_id for c in campaigns}
    query = select(
        Station.id, Station.code, Station.unit_id, Station.timezone, Station.windows
    ).where(Station.retired_at.is_(None)).order_by(Station.code)  # retired: never planned
    if station_ids is not None:
        query = query.where(Station.id.in_(list(station_ids)))
    stations = [
        StationFacts(r.id, r.code, r.unit_id, ZoneInfo(r.timezone), _windows(tuple(r.windows)))
        for r in session.execute(query)
        if roots & set(tree.chain(r.unit_id))
    ]
    _load_held(session, month, stations, station_ids is not None)
    return MonthData(month, tree, stations, _approved(session, month, campaigns))


def _approved(
    session: Session, month: str, campaigns: Iterable[Campaign]
) -> dict[int, list[Approved]]:
    ids = [c.id for c in campaigns]
    rows = session.execute(
        select(Programme.id, Programme.campaign_id, Programme.unit_id, Programme.air_ms)
        .where(
            Programme.campaign_id.in_(ids),
            Programme.month == month,
            Programme.status == ProgrammeStatus.approved,
        )
        .order_by(Programme.version, Programme.id)  # a unit's latest approved version wins
    )
    found: dict[int, list[Approved]] = {}
    for r in rows:
        found.setdefault(r.campaign_id, []).append(Approved(r.id, r.unit_id, r.air_ms))
    return found


def _load_held(
    session: Session, month: str, stations: list[StationFacts], only_these: bool
) -> None:
    """Fill each station's ``held``: its airings that hold their place, in its own month."""
    if not stations:
        return
    bounds = {s.id: month_bounds(month, s.tz) for s in stations}
    first = min(b[0] for b in bounds.values())
    last = max(b[1] for b in bounds.values())
    query = (
        select(
            Airing.id,
            Airing.station_id,
            Airing.programme_id,
            Airing.starts_at,
            Airing.status,
            Programme.campaign_id,
            Programme.air_ms,
        )
        .join(Programme, Programme.id == Airing.programme_id)
        .where(Airing.starts_at >= first, Airing.starts_at < last, Airing.status.in_(HOLDING))
        .order_by(Airing.starts_at, Airing.id)
    )
    if only_these:  # a few stations (make-ups): not the whole country's month
        query = query.where(Airing.station_id.in_([s.id for s in stations]))
    by_id = {s.id: s for s in stations}
    for r in session.execute(query):
        station = by_id.get(r.station_id)
        if station is None or not bounds[r.station_id][0] <= r.starts_at < bounds[r.station_id][1]:
            continue
        station.held.append(
            Held(r.id, r.programme_id, r.campaign_id, r.starts_at, r.status, r.air_ms or 0)
        )
