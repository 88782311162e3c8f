"""Which months are planned now, and planning them for new stations and at start-up.

A station added mid-month, or a server that was down over the 1st, must not wait
for the nightly job: its month is planned at once (``plan_due_months``).
"""

from __future__ import annotations

import calendar
from collections.abc import Collection
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loa.clock import VN
from loa.scheduler.service import PlanReport, plan

PLAN_AHEAD_DAY = 20  # the day of the month next month is planned on at the latest
LEAD_DAYS = 10  # players hold next month at least this many days before it starts


def next_month(now: datetime, tz: ZoneInfo = VN) -> str | None:
    """The month to plan ahead on ``now``'s day, or None when it is not yet time.

    Cases: from the 20th on (from the 19th in a 28-day February), next month
    (December's is January of the next year), so players hold at least ten days
    of it before it starts; earlier, nothing (approving a programme already
    plans its own month at once).
    """
    local = now.astimezone(tz)
    month_days = calendar.monthrange(local.year, local.month)[1]
    if local.day < min(PLAN_AHEAD_DAY, month_days + 1 - LEAD_DAYS):
        return None
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return f"{year:04d}-{month:02d}"


def due_months(now: datetime, tz: ZoneInfo = VN) -> list[str]:
    """The months that should be planned by ``now``: this one, and from the 20th the next.

    Cases: 5 December → ["2026-12"]; 20 December → ["2026-12", "2027-01"].
    """
    ahead = next_month(now, tz)
    return [now.astimezone(tz).strftime("%Y-%m"), *([ahead] if ahead else [])]


def plan_due_months(
    session: Session, now: datetime, gap: timedelta, station_ids: Collection[int] | None = None
) -> list[PlanReport]:
    """Plan every due month (of ``station_ids``, else every station); fills only what lacks."""
    return [plan(session, month, now, gap, station_ids) for month in due_months(now)]
