"""What the month overview reads beyond the report rows: outlooks, players online, the chart,
the relay shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.compliance.audit import Reading, ReportRow, station_month_report
from loa.compliance.relay_audit import RelayVerdict, relay_verdicts
from loa.playlists.models import Campaign
from loa.scheduler.outlook import Glance, station_glance
from loa.stations.health import is_online
from loa.stations.models import AdminUnit, Station

CHART_MONTHS = 12


def glances(
    session: Session, rows: list[ReportRow], now: datetime, gap: timedelta
) -> list[Glance]:
    """Each row with its outlook (đạt, đang thực hiện, có nguy cơ, không đạt)."""
    stations = {s.code: s for s in session.scalars(
        select(Station).where(Station.code.in_({r.station for r in rows})))}
    campaigns = {c.code: c for c in session.scalars(
        select(Campaign).where(Campaign.code.in_({r.campaign for r in rows})))}
    return [
        station_glance(session, r, stations[r.station], campaigns[r.campaign], now, gap)
        for r in rows
    ]


def players_online(
    session: Session, codes: set[str], now: datetime, poll_s: int
) -> dict[str, tuple[int, int]]:
    """Per station code: (players online, players not revoked)."""
    found: dict[str, tuple[int, int]] = {}
    for station in session.scalars(select(Station).where(Station.code.in_(codes))):
        live = [p for p in station.players if not p.revoked]
        found[station.code] = (sum(is_online(p.last_seen, now, poll_s) for p in live), len(live))
    return found


def relay_shares(session: Session, unit: AdminUnit, month: str, now: datetime,
                 min_share: float) -> dict[str, list[RelayVerdict]]:
    """Per station code, the month's verdict of each required relay slot it carries (every
    station of the page in one set of queries)."""
    found: dict[str, list[RelayVerdict]] = {}
    for verdict in relay_verdicts(session, unit, month, now, min_share):
        found.setdefault(verdict.station, []).append(verdict)
    return found


@dataclass(frozen=True)
class RelayOnly:
    """A station carrying required relays but no campaign this month: the overview gives it
    a row of its own, so its relay share is seen."""

    station: str
    station_name: str
    unit: str


def relay_only(session: Session, relays: dict[str, list[RelayVerdict]],
               rows: list[ReportRow]) -> list[RelayOnly]:
    """The stations of ``relays`` that no campaign row names, by code (one query)."""
    missing = set(relays) - {r.station for r in rows}
    if not missing:
        return []
    found = session.execute(
        select(Station.code, Station.name, AdminUnit.name)
        .join(AdminUnit, AdminUnit.id == Station.unit_id)
        .where(Station.code.in_(missing)).order_by(Station.code))
    return [RelayOnly(code, name, unit) for code, name, unit in found]


@dataclass(frozen=True)
class ChartBar:
    month: str
    compliant: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.compliant / self.total) if self.total else 0


def months_back(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    year, mon = (int(p) for p in month.split("-"))
    first = year * 12 + mon - 1 - (count - 1)
    return [f"{(first + i) // 12:04d}-{(first + i) % 12 + 1:02d}" for i in range(count)
            if first + i >= 1970 * 12]


def compliance_chart(
    session: Session, unit: AdminUnit, month: str, reading: Reading
) -> list[ChartBar]:
    """Stations compliant out of those reported, for the twelve months up to ``month``."""
    bars = []
    for m in months_back(month, CHART_MONTHS):
        rows = station_month_report(session, unit, m, reading)
        bars.append(ChartBar(m, sum(r.status == "compliant" for r in rows), len(rows)))
    return bars
