"""Planning a month for every station: load, call plan_month, store airings, notify players."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.close import check_month_open
from playlists.models import Airing, AiringStatus, Campaign
from playlists.programmes import applicable_programme
from scheduler.planning import Busy, month_bounds, plan_month
from stations.models import Station
from stations.push import Publisher
from stations.service import station_windows
from stations.units import stations_under

# An airing that has not failed still holds its place on air and in the count.
HOLDING = (AiringStatus.planned, AiringStatus.published, AiringStatus.aired)


@dataclass
class StationPlan:
    station: str
    campaign: str
    programme_id: int | None
    planned: int = 0
    total: int = 0
    cancelled: int = 0
    warning: str | None = None


@dataclass
class PlanReport:
    month: str
    rows: list[StationPlan] = field(default_factory=list)


def _month_airings(session: Session, station: Station, month: str) -> list[Airing]:
    start, end = month_bounds(month, ZoneInfo(station.timezone))
    return list(
        session.scalars(
            select(Airing)
            .where(
                Airing.station_id == station.id,
                Airing.starts_at >= start,
                Airing.starts_at < end,
                Airing.status.in_(HOLDING),
            )
            .order_by(Airing.starts_at)
        )
    )


def _busy(airings: list[Airing]) -> list[Busy]:
    return [
        Busy(a.starts_at, a.starts_at + timedelta(milliseconds=a.programme.duration_ms or 0))
        for a in airings
    ]


def _plan_station(
    session: Session, campaign: Campaign, station: Station, month: str, now: datetime
) -> StationPlan:
    row = StationPlan(station=station.code, campaign=campaign.code, programme_id=None)
    programme = applicable_programme(session, station.unit, campaign.id, month)
    existing = _month_airings(session, station, month)
    for airing in existing:
        # A newer programme of the same campaign replaces a relayed one: drop its future airings.
        replaced = airing.programme.campaign_id == campaign.id and airing.programme is not programme
        if replaced and airing.starts_at > now and airing.status is not AiringStatus.aired:
            airing.status = AiringStatus.cancelled
            row.cancelled += 1
    existing = [a for a in existing if a.status in HOLDING]
    if programme is None:
        row.warning = "chưa có chương trình được duyệt (no approved programme)"
        return row
    row.programme_id = programme.id
    # Airings of a replaced programme that started before it was replaced keep their place.
    mine = [a for a in existing if a.programme.campaign_id == campaign.id]
    missing = campaign.min_airings - len(mine)
    starts = plan_month(
        month,
        station_windows(station),
        ZoneInfo(station.timezone),
        round((programme.duration_ms or 0) / 1000),
        missing,
        _busy(existing),
        now,
    )
    session.add_all(Airing(programme=programme, station=station, starts_at=s) for s in starts)
    row.planned, row.total = len(starts), len(mine) + len(starts)
    if row.total < campaign.min_airings:
        row.warning = (
            f"chỉ xếp được {row.total}/{campaign.min_airings} lượt trong khung giờ "
            f"(only {row.total} of {campaign.min_airings} fit)"
        )
    return row


def plan(session: Session, month: str, now: datetime, publisher: Publisher) -> PlanReport:
    """Plan the required airings of every campaign running in ``month`` on every station.

    Planning twice adds nothing; it fills in what is missing and cancels future
    airings of a programme another one has replaced.
    """
    check_month_open(session, month, "xếp lịch (plan)")
    report = PlanReport(month=month)
    changed: set[Station] = set()
    for campaign in session.scalars(select(Campaign).order_by(Campaign.code)):
        if not campaign.runs_in(month):
            continue
        for station in stations_under(session, campaign.unit):
            row = _plan_station(session, campaign, station, month, now)
            report.rows.append(row)
            if row.planned or row.cancelled:
                changed.add(station)
    session.flush()
    publisher.schedule_changed(p.id for s in changed for p in s.players if not p.revoked)
    return report
