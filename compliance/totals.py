"""The totals a report states up front: programmes, airings, minutes on air, stations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from loa.compliance.audit import ReportRow
from loa.playlists.models import Programme
from loa.stations.accounts import name_of
from loa.stations.models import AdminUnit
from loa.stations.units import subtree_ids


@dataclass(frozen=True)
class ProgrammeLine:
    """One programme the report's stations carried in the period."""

    title: str
    month: str
    producer: str  # the unit that made it
    own: bool  # made inside the reporting unit's subtree, not relayed from above
    approved_at: datetime | None
    approved_by: str | None


@dataclass(frozen=True)
class ReportTotals:
    programmes: list[ProgrammeLine]
    airings: int  # airings that counted (the rule of design §6)
    minutes: float  # minutes on air of those airings
    stations_aired: int  # stations with at least one counted airing
    stations: int

    @property
    def own(self) -> int:
        return sum(p.own for p in self.programmes)

    @property
    def relayed(self) -> int:
        return len(self.programmes) - self.own


def approver(programme: Programme) -> str | None:
    """Who approved the programme, by full name and title where the user has them.

    Cases: approved on the command line without a name: nobody; by "lanhdao" whose admin
    set "Nguyễn Văn A", "Phó Chủ tịch": "Nguyễn Văn A (Phó Chủ tịch)"; by a user with no
    full name: the username.
    """
    if programme.approved_by is None:
        return None
    session = object_session(programme)
    return name_of(session, programme.approved_by) if session else programme.approved_by


def report_totals(session: Session, unit: AdminUnit, rows: Sequence[ReportRow]) -> ReportTotals:
    """Totals over ``rows`` of ``unit``'s report.

    Cases: a programme of the unit or a unit below it is its own, one of a unit
    above is relayed; each counted airing is on air for its programme's length;
    a station takes part once one of its airings counted in the period.
    """
    ids = {r.programme_id for r in rows if r.programme_id is not None}
    mine = subtree_ids(session, unit)
    programmes = session.scalars(
        select(Programme).where(Programme.id.in_(ids)).order_by(Programme.month, Programme.title)
    ).all() if ids else []
    lines = [
        ProgrammeLine(p.title, p.month, p.unit.name, p.unit_id in mine, p.approved_at, approver(p))
        for p in programmes
    ]
    seconds = sum(r.counted * (r.programme_duration_s or 0) for r in rows)
    aired = {r.station for r in rows if r.counted}
    return ReportTotals(
        programmes=lines,
        airings=sum(r.counted for r in rows),
        minutes=round(seconds / 60, 1),
        stations_aired=len(aired),
        stations=len({r.station for r in rows}),
    )
