"""Reporting periods: the 6-month report before 1 June and the annual one before 1 December."""

import pytest

from loa.compliance.periods import period_months, range_period
from loa.errors import LoaError


def test_half_years_and_year() -> None:
    assert period_months("2026-H1") == [f"2026-{m:02d}" for m in range(1, 7)]
    assert period_months("2026-H2") == [f"2026-{m:02d}" for m in range(7, 13)]
    assert len(period_months("2026")) == 12 and period_months("2026")[-1] == "2026-12"
    assert period_months("2026-06") == ["2026-06"]


@pytest.mark.parametrize("bad", ["2026-H3", "2026-13", "26", "2026-6", "H1", ""])
def test_bad_periods_say_which_forms_work(bad: str) -> None:
    with pytest.raises(LoaError, match="YYYY-H1"):
        period_months(bad)


def test_a_range_of_months_crosses_the_year() -> None:
    assert period_months("2026-11..2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert period_months("2026-05..2026-05") == ["2026-05"]
    assert range_period("2026-01", "2026-05") == "2026-01..2026-05"


@pytest.mark.parametrize(
    "first,last,message",
    [
        ("2026-05", "2026-01", "--to before --from"),
        ("2026-13", "2027-01", "invalid month"),
        ("2026-1", "2026-02", "invalid month"),
        ("2016-01", "2026-01", "at most 120 months"),
        (None, "2026-01", "give both"),
    ],
)
def test_bad_ranges_are_refused(first: str | None, last: str, message: str) -> None:
    with pytest.raises(LoaError, match=message):
        range_period(first, last)
