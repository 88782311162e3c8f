"""Planning a month for every station: load, call plan_month, store airings, notify players.

Every path that changes the schedule (``loa plan``, approving in the CLI or the
web, the scheduler's jobs) comes through here: it takes the schedule lock
first, and players are told only once the change has committed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.compliance.close import check_month_open
from loa.playlists.models import HOLDING, Airing, AiringStatus, Campaign, Programme
from loa.playlists.programmes import applicable_programme, approve
from loa.playlists.schedule import month_airings
from loa.scheduler.bulletin_air import month_slot_busy
from loa.scheduler.locks import lock_schedule
from loa.scheduler.planning import Busy, plan_month
from loa.scheduler.settle import SettleReport, settle_airings
from loa.stations.models import Station
from loa.stations.push import notify_after_commit
from loa.stations.service import station_windows
from loa.stations.units import stations_under


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


def _busy(airings: list[Airing]) -> list[Busy]:
    return [
        Busy(a.starts_at, a.starts_at + timedelta(milliseconds=a.programme.duration_ms or 0))
        for a in airings
    ]


def _plan_station(
    session: Session,
    campaign: Campaign,
    station: Station,
    month: str,
    now: datetime,
    gap: timedelta,
    slots: list[Busy],
) -> StationPlan:
    row = StationPlan(station=station.code, campaign=campaign.code, programme_id=None)
    programme = applicable_programme(session, station.unit, campaign.id, month)
    existing = month_airings(session, station, month, HOLDING)
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
        _busy(existing) + slots,  # bulletin slots hold their air too
        now,
        gap=gap,
    )
    session.add_all(Airing(programme=programme, station=station, starts_at=s) for s in starts)
    row.planned, row.total = len(starts), len(mine) + len(starts)
    if row.total < campaign.min_airings:
        row.warning = (
            f"chỉ xếp được {row.total}/{campaign.min_airings} lượt trong khung giờ "
            f"(only {row.total} of {campaign.min_airings} fit)"
        )
    return row


def plan(
    session: Session,
    month: str,
    now: datetime,
    gap: timedelta,
    station_ids: Collection[int] | None = None,
) -> PlanReport:
    """Plan the required airings of every campaign running in ``month`` on every station.

    Planning twice adds nothing, even at the same time from two processes: it
    fills in what is missing and cancels future airings of a programme another
    one has replaced. ``station_ids`` limits it to those stations. The players
    whose schedule changed are told after the caller commits.
    """
    lock_schedule(session)
    check_month_open(session, month, "xếp lịch (plan)")
    report = PlanReport(month=month)
    changed: set[Station] = set()
    slots = month_slot_busy(session, month, station_ids)
    for campaign in session.scalars(select(Campaign).order_by(Campaign.code)):
        if not campaign.runs_in(month):
            continue
        for station in stations_under(session, campaign.unit):
            if station_ids is not None and station.id not in station_ids:
                continue
            row = _plan_station(
                session, campaign, station, month, now, gap, slots.get(station.id, [])
            )
            report.rows.append(row)
            if row.planned or row.cancelled:
                changed.add(station)
    session.flush()
    notify_after_commit(session, (p.id for s in changed for p in s.players if not p.revoked))
    return report


def approve_and_plan(
    session: Session, programme_id: int, now: datetime, gap: timedelta
) -> tuple[Programme, PlanReport]:
    """Approve a programme and plan its month at once: its airings need not wait for the night."""
    programme = approve(session, programme_id, now)
    return programme, plan(session, programme.month, now, gap)


def settle_and_make_up(
    session: Session, now: datetime, gap: timedelta, tolerance: timedelta
) -> tuple[SettleReport, list[PlanReport]]:
    """Settle finished airings, then plan at once a make-up for each missed or failed one.

    Only the stations that lost an airing of a month still running are planned
    again, in the same transaction, so their players hear of it on commit.
    """
    # Before settling locks airing rows: a planner holding the lock may be waiting on them.
    lock_schedule(session)
    settled = settle_airings(session, now, tolerance)
    plans = [
        plan(session, month, now, gap, station_ids)
        for month, station_ids in sorted(settled.to_make_up.items())
    ]
    return settled, plans
