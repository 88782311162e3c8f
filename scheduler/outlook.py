"""The month at a glance: whether a station-month can still reach its count."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loa.compliance.audit import ReportRow
from loa.months import month_bounds
from loa.playlists.models import HOLDING, Airing, AiringStatus, Campaign
from loa.playlists.models import LOST as LOST  # web/stations_page.py reads it here
from loa.playlists.programmes import applicable_programme
from loa.playlists.schedule import month_airings
from loa.scheduler.bulletin_air import station_month_slot_busy
from loa.scheduler.plan_months import due_months
from loa.scheduler.planning import Busy, plan_month
from loa.stations.models import Station
from loa.stations.service import station_windows
from loa.stations.windows import Window


class Outlook(StrEnum):
    met = "met"  # đạt
    on_track = "on_track"  # đang thực hiện
    at_risk = "at_risk"  # có nguy cơ
    failed = "failed"  # không đạt


OUTLOOK_VI = {
    Outlook.met: "Đạt",
    Outlook.on_track: "Đang thực hiện",
    Outlook.at_risk: "Có nguy cơ",
    Outlook.failed: "Không đạt",
}


def month_outlook(
    verdict: str, ended: bool, counted: int, required: int, still_planned: int, room: int,
    due: bool = True,
) -> Outlook:
    """How a station-month reads at a glance.

    Cases: a compliant verdict → met; a month that has ended (or closed) and is
    not compliant → failed, and only then (a month in progress or to come is
    never a failure); short of the count with nothing planned in a month that is
    ``due`` (this one, or next from the 20th) → at_risk, whatever room is left (no
    airing happens by itself: a station added after the month was planned, no
    approved programme); otherwise (a month further ahead too) the airings
    counted, still planned, and the ``room`` left in the station's windows for
    more reach the count → on_track, else at_risk.
    """
    if verdict == "compliant":
        return Outlook.met
    if ended:
        return Outlook.failed
    if (still_planned or not due) and counted + still_planned + room >= required:
        return Outlook.on_track
    return Outlook.at_risk


def room_left(
    month: str,
    windows: list[Window],
    tz: ZoneInfo,
    duration_s: int,
    wanted: int,
    busy: list[Busy],
    now: datetime,
    gap: timedelta,
) -> int:
    """How many more airings of ``duration_s`` (up to ``wanted``) still fit in the month.

    The planner's own placement decides, so "fits" means what `loa plan` would do.
    """
    return len(plan_month(month, windows, tz, duration_s, wanted, busy, now, gap=gap))


def make_ups(airings: Sequence[tuple[int, AiringStatus]], required: int) -> set[int]:
    """Ids of the make-up airings among one campaign's airings of a station-month.

    Cases: airings are taken in the order they were created (their id); the
    planner places ``required`` at first and adds one only after an airing was
    lost, so every airing not cancelled beyond the first ``required`` is a
    make-up (one an operator added is one too); cancelled ones (replaced by a
    newer programme, or by the operator) hold no place.
    """
    standing = [i for i, status in sorted(airings) if status is not AiringStatus.cancelled]
    return set(standing[required:])


@dataclass(frozen=True)
class Glance:
    row: ReportRow
    outlook: Outlook
    room: int  # more airings that would still fit in the windows left


def busy_of(airings: Iterable[Airing]) -> list[Busy]:
    """The air ``airings`` take; lost and cancelled ones free theirs."""
    return [
        Busy(a.starts_at, a.starts_at + timedelta(milliseconds=a.programme.air_ms or 0))
        for a in airings
        if a.status in HOLDING
    ]


def station_glance(
    session: Session,
    row: ReportRow,
    station: Station,
    campaign: Campaign,
    now: datetime,
    gap: timedelta,
) -> Glance:
    """One report row with its outlook: what is left to air, and whether it still fits."""
    tz = ZoneInfo(station.timezone)
    ended = row.closed or now >= month_bounds(row.month, tz)[1]
    wanted = row.required - row.counted - row.still_planned
    room = 0
    if not ended and wanted > 0:
        programme = applicable_programme(session, station.unit, campaign.id, row.month)
        # Before the programme exists, its length is at least the campaign's minimum.
        duration_s = round(programme.air_ms / 1000) if programme and programme.air_ms \
            else campaign.min_s
        airings = month_airings(session, station, row.month)
        busy = busy_of(airings) + station_month_slot_busy(session, station.id, row.month)
        windows = station_windows(station)
        room = room_left(row.month, windows, tz, duration_s, wanted, busy, now, gap)
    outlook = month_outlook(
        row.status, ended, row.counted, row.required, row.still_planned, room,
        due=row.month in due_months(now, tz),
    )
    return Glance(row, outlook, room)
