"""Reporting periods: a month, a half-year (6-month report), a year (annual report), a range."""

from __future__ import annotations

import re

from loa.errors import LoaError
from loa.playlists.campaigns import check_month

_PERIOD = re.compile(r"(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|H(?P<half>[12])))?")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
MAX_RANGE_MONTHS = 120


def next_month(month: str) -> str:
    """The "YYYY-MM" after ``month``."""
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """The months from ``first`` to ``last`` inclusive, both "YYYY-MM".

    Cases: a range made in May for the 6-month report ("2026-01" to "2026-05");
    a bad month, ``last`` before ``first``, or more than ten years is refused.
    """
    for month in (first, last):
        if not _MONTH.fullmatch(month):
            raise LoaError(f"Tháng không hợp lệ {month!r}, cần dạng YYYY-MM (invalid month)")
    if last < first:
        raise LoaError(f"Tháng cuối {last} trước tháng đầu {first} (--to before --from)")
    months = [first]
    while months[-1] != last:
        if len(months) == MAX_RANGE_MONTHS:
            raise LoaError(
                f"Kỳ báo cáo tối đa {MAX_RANGE_MONTHS} tháng "
                f"(a range is at most {MAX_RANGE_MONTHS} months)"
            )
        months.append(next_month(months[-1]))
    return months


def range_period(first: str | None, last: str | None) -> str:
    """The period name of a range of months: "2026-01..2026-05"; both ends are needed."""
    if not first or not last:
        raise LoaError("cần cả tháng đầu và tháng cuối (give both --from and --to)")
    month_range(first, last)
    return f"{first}..{last}"


def period_months(period: str) -> list[str]:
    """The "YYYY-MM" months a period covers.

    Cases: "2026-06" is one month; "2026-H1" is January to June (the report due
    before 1 June covers the half-year); "2026-H2" is July to December; "2026"
    is the whole year (the annual report due before 1 December);
    "2026-01..2026-05" is any range of months.
    """
    if ".." in period:
        first, _, last = period.strip().partition("..")
        return month_range(first, last)
    found = _PERIOD.fullmatch(period.strip())
    if not found:
        raise LoaError(
            f"Kỳ báo cáo không hợp lệ {period!r}: dùng YYYY-MM, YYYY-H1, YYYY-H2, YYYY "
            "hoặc YYYY-MM..YYYY-MM (invalid period)"
        )
    year = found["year"]
    if found["month"]:
        return [check_month(f"{year}-{found['month']}")]
    first, last = {"1": (1, 6), "2": (7, 12), None: (1, 12)}[found["half"]]
    return [check_month(f"{year}-{m:02d}") for m in range(first, last + 1)]
