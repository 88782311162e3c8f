"""Planning a month for every station: load, call plan_month, store airings, notify players.

Every path that changes the schedule (``loa plan``, approving in the CLI or the
web, the scheduler's jobs) comes through here: it takes the schedule lock
first, and players are told only once the change has committed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from loa.compliance.close import check_month_open
from loa.playlists.models import HOLDING, Airing, AiringStatus, Campaign, Programme
from loa.playlists.programmes import approve
from loa.scheduler.bulletin_air import month_slot_busy
from loa.scheduler.locks import lock_schedule
from loa.scheduler.month_data import Approved, Held, MonthData, StationFacts, load_month
from loa.scheduler.planning import plan_month
from loa.scheduler.settle import SettleReport, settle_airings
from loa.stations.models import Player
from loa.stations.push import notify_after_commit


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


def _plan_station(
    data: MonthData,
    campaign: Campaign,
    station: StationFacts,
    now: datetime,
    gap: timedelta,
    cancel: list[int],
) -> tuple[StationPlan, Approved | None, list[datetime]]:
    """Plan one station from memory: (its report row, the programme, the new start times).

    Replaced airings are marked cancelled in ``station.held`` and their ids added to ``cancel``.
    """
    row = StationPlan(station=station.code, campaign=campaign.code, programme_id=None)
    programme = data.applicable(campaign.id, station.unit_id)
    for airing in station.held:
        # A newer programme of the same campaign replaces a relayed one: drop its future airings.
        replaced = airing.campaign_id == campaign.id and (
            programme is None or airing.programme_id != programme.id
        )
        if replaced and airing.starts_at > now and airing.status is not AiringStatus.aired:
            airing.status = AiringStatus.cancelled
            if airing.id is not None:
                cancel.append(airing.id)
            row.cancelled += 1
    station.held = [a for a in station.held if a.status in HOLDING]
    if programme is None:
        row.warning = "chưa có chương trình được duyệt (no approved programme)"
        return row, None, []
    row.programme_id = programme.id
    # Airings of a replaced programme that started before it was replaced keep their place.
    mine = [a for a in station.held if a.campaign_id == campaign.id]
    missing = campaign.min_airings - len(mine)
    starts = plan_month(
        data.month,
        station.windows,
        station.tz,
        round((programme.air_ms or 0) / 1000),
        missing,
        [a.busy for a in station.held] + station.other_busy,
        now,
        gap=gap,
    )
    row.planned, row.total = len(starts), len(mine) + len(starts)
    if row.total < campaign.min_airings:
        row.warning = (
            f"chỉ xếp được {row.total}/{campaign.min_airings} lượt trong khung giờ "
            f"(only {row.total} of {campaign.min_airings} fit)"
        )
    return row, programme, starts


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
    whose schedule changed are told after the caller commits. Set-based: a few
    queries read the month (``month_data``), the pure rules plan it in memory,
    and the changes are written in bulk.
    """
    lock_schedule(session)
    check_month_open(session, month, "xếp lịch (plan)")
    report = PlanReport(month=month)
    campaigns = [
        c for c in session.scalars(select(Campaign).order_by(Campaign.code)) if c.runs_in(month)
    ]
    data = load_month(session, month, campaigns, station_ids)
    # Bulletin slots hold their air too (scheduler.bulletin_air): one query for the month.
    slots = month_slot_busy(session, month, station_ids)
    for station in data.stations:
        station.other_busy = slots.get(station.id, [])
    cancel: list[int] = []
    new: list[dict[str, object]] = []
    changed: set[int] = set()
    for campaign in campaigns:
        for station in data.stations_under(campaign.unit_id):
            row, programme, starts = _plan_station(data, campaign, station, now, gap, cancel)
            report.rows.append(row)
            if programme is not None and starts:
                _hold(station, programme, campaign, starts)
                new += (
                    {"programme_id": programme.id, "station_id": station.id, "starts_at": s}
                    for s in starts
                )
            if row.planned or row.cancelled:
                changed.add(station.id)
    _store(session, cancel, new)
    notify_after_commit(session, _players_of(session, changed))
    return report


def _hold(
    station: StationFacts, programme: Approved, campaign: Campaign, starts: list[datetime]
) -> None:
    """Keep what was just planned on the station's air: the next campaign plans around it."""
    station.held += (
        Held(None, programme.id, campaign.id, s, AiringStatus.planned, programme.air_ms or 0)
        for s in starts
    )
    station.held.sort(key=lambda a: a.starts_at)


_CHUNK = 5000  # ids per IN list: well below SQLite's and PostgreSQL's parameter limits


def _store(session: Session, cancel: list[int], new: list[dict[str, object]]) -> None:
    """Cancel and insert in bulk: one UPDATE per few thousand ids, one executemany."""
    for i in range(0, len(cancel), _CHUNK):
        session.execute(
            update(Airing)
            .where(Airing.id.in_(cancel[i : i + _CHUNK]))
            .values(status=AiringStatus.cancelled)
        )
    if new:
        for row in new:
            row["status"] = AiringStatus.planned
        # Core's executemany, not the ORM's bulk path: nothing needs these rows as objects.
        session.execute(insert(Airing.__table__), new)
    session.flush()


def _players_of(session: Session, station_ids: set[int]) -> list[int]:
    """The players (not revoked) of these stations, in one query."""
    if not station_ids:
        return []
    ids = list(station_ids)
    return [
        player_id
        for i in range(0, len(ids), _CHUNK)
        for player_id in session.scalars(
            select(Player.id).where(
                Player.station_id.in_(ids[i : i + _CHUNK]), Player.revoked.is_(False)
            )
        )
    ]


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
