"""Calendar months as "YYYY-MM", and where they begin and end in a zone.

Planning, the audit and the close all count by the station's local month, so the
bounds live here, below every room.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


def month_days(month: str) -> list[date]:
    """Every date of "YYYY-MM"."""
    year, mon = (int(p) for p in month.split("-"))
    return [date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1)]


@lru_cache(maxsize=1024)  # a country's report asks for the same few thousand times over
def month_bounds(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where ``month`` starts and ends in zone ``tz``."""
    days = month_days(month)
    start = datetime.combine(days[0], datetime.min.time(), tz)
    end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)
