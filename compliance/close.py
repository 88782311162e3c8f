"""Closing a month: its verdicts frozen in a snapshot, and nothing may change it afterwards."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loa.clock import VN_ZONE_NAME
from loa.compliance.audit import (
    Reading,
    campaign_first_month,
    live_rows,
    reported_campaigns,
)
from loa.compliance.models import MonthClose, StationMonthSnapshot
from loa.compliance.periods import next_month
from loa.compliance.rules import local_month
from loa.errors import LoaError
from loa.months import month_bounds
from loa.playlists.models import Campaign
from loa.playlists.programmes import get_programme
from loa.stations.models import Station
from loa.stations.units import stations_under


class MonthClosed(LoaError):
    """A change to a month whose verdicts are already final."""


@dataclass(frozen=True)
class Closing:
    month: str
    closed_at: datetime
    station_months: int
    already: bool  # closed before: nothing was written


def station_zones(session: Session) -> set[str]:
    return set(session.scalars(select(Station.timezone).distinct())) or {VN_ZONE_NAME}


def month_end(zones: set[str], month: str) -> datetime:
    """When ``month`` has ended on every station: its end in the latest of their zones."""
    return max(month_bounds(month, ZoneInfo(z))[1] for z in zones)


def closed_at(session: Session, month: str) -> datetime | None:
    """When ``month`` was closed, or None while it is open."""
    found = session.get(MonthClose, month)
    return found.closed_at if found else None


def check_month_open(session: Session, month: str, action: str) -> None:
    """Refuse ``action`` (e.g. "duyệt chương trình (approve)") on a closed month."""
    when = closed_at(session, month)
    if when is not None:
        local = when.astimezone(ZoneInfo(VN_ZONE_NAME))
        raise MonthClosed(
            f"Tháng {month} đã khóa sổ lúc {local:%H:%M %d/%m/%Y}, không thể {action}; "
            "kết quả tháng đã chốt (month closed)"
        )


def check_programme_open(session: Session, programme_id: int, action: str) -> None:
    """Refuse ``action`` on a programme whose month is closed (approving, rendering)."""
    check_month_open(session, get_programme(session, programme_id).month, action)


def _snapshots(session: Session, month: str, reading: Reading) -> list[StationMonthSnapshot]:
    rows = []
    for campaign in reported_campaigns(session, month):
        stations = stations_under(session, campaign.unit)
        for station, _, row in live_rows(session, stations, month, [campaign], reading):
            rows.append(
                StationMonthSnapshot(
                    month=month,
                    station_id=station.id,
                    campaign_id=campaign.id,
                    required=row.required,
                    counted=row.counted,
                    status=row.status,
                    programme_id=row.programme_id,
                    programme_sha256=row.programme_sha256,
                    programme_duration_ms=(
                        round(row.programme_duration_s * 1000)
                        if row.programme_duration_s is not None
                        else None
                    ),
                    chain_seq=row.chain_seq,
                    chain_head=row.chain_head,
                    zones=[asdict(z) for z in row.zones] or None,
                )
            )
    return rows


def _closed_before(session: Session, closed: MonthClose) -> Closing:
    count = session.scalar(select(func.count()).where(StationMonthSnapshot.month == closed.month))
    return Closing(closed.month, closed.closed_at, count or 0, already=True)


def close_month(session: Session, month: str, reading: Reading) -> Closing:
    """Freeze every station-month of ``month``: counts, verdict, programme sha256, chain head.

    Cases: closing again changes nothing (idempotent); a month that has not ended
    on every station cannot close.
    """
    existing = session.get(MonthClose, month)
    if existing is not None:
        return _closed_before(session, existing)
    ended = month < local_month(reading.now, ZoneInfo(VN_ZONE_NAME))  # and later ones are not
    if not ended or reading.now < month_end(station_zones(session), month):
        raise LoaError(f"Tháng {month} chưa kết thúc, chưa thể khóa sổ (month not over yet)")
    session.add(MonthClose(month=month, closed_at=reading.now))
    try:
        session.flush()  # first: a second closer waits here, then finds the month taken
    except IntegrityError as err:
        raise LoaError(
            f"Tháng {month} vừa được một tiến trình khác khóa sổ (closed by another process)"
        ) from err
    snapshots = _snapshots(session, month, reading)
    session.add_all(snapshots)
    session.flush()
    return Closing(month, reading.now, len(snapshots), already=False)


def due_months(session: Session, now: datetime, grace: timedelta) -> list[str]:
    """Open months whose grace for late reports is over, oldest first.

    Cases: from the earliest month any campaign began; a month closes ``grace``
    after it ended on every station; closed months are skipped.
    """
    campaigns = list(session.scalars(select(Campaign)))
    if not campaigns:
        return []
    # A campaign with no known start adds the last month whose grace may be over.
    recent = local_month(now - grace - timedelta(days=31), ZoneInfo(VN_ZONE_NAME))
    month = min([recent, *filter(None, (campaign_first_month(session, c) for c in campaigns))])
    closed = set(session.scalars(select(MonthClose.month)))
    zones, due = station_zones(session), []
    while month_end(zones, month) + grace <= now:
        if month not in closed:
            due.append(month)
        month = next_month(month)
    return due
