"""Reporting periods: a month, a half-year (6-month report) or a year (annual report)."""

from __future__ import annotations

import re

from loa.errors import LoaError
from playlists.campaigns import check_month

_PERIOD = re.compile(r"(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|H(?P<half>[12])))?")


def period_months(period: str) -> list[str]:
    """The "YYYY-MM" months a period covers.

    Cases: "2026-06" is one month; "2026-H1" is January to June (the report due
    before 1 June covers the half-year); "2026-H2" is July to December; "2026"
    is the whole year (the annual report due before 1 December).
    """
    found = _PERIOD.fullmatch(period.strip())
    if not found:
        raise LoaError(
            f"Kỳ báo cáo không hợp lệ {period!r}: dùng YYYY-MM, YYYY-H1, YYYY-H2 hoặc YYYY "
            "(invalid period)"
        )
    year = found["year"]
    if found["month"]:
        return [check_month(f"{year}-{found['month']}")]
    first, last = {"1": (1, 6), "2": (7, 12), None: (1, 12)}[found["half"]]
    return [check_month(f"{year}-{m:02d}") for m in range(first, last + 1)]
