"""plan_month: airings land inside windows, spread over the month, in the station's zone."""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.planning import Busy, month_bounds, month_days, plan_month
from stations.windows import parse_windows

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WINDOWS = parse_windows("05:30-06:30,17:00-18:00")
EARLY = datetime(2000, 1, 1, tzinfo=UTC)


def local(dt: datetime) -> datetime:
    return dt.astimezone(VN)


def inside_a_window(start: datetime, seconds: int) -> bool:
    s, e = local(start), local(start + timedelta(seconds=seconds))
    return any(w.start <= s.time() and e.time() <= w.end and s.date() == e.date() for w in WINDOWS)


@pytest.mark.parametrize(
    "month,days", [("2026-02", 28), ("2028-02", 29), ("2026-12", 31), ("2026-04", 30)]
)
def test_month_lengths(month: str, days: int) -> None:
    assert len(month_days(month)) == days


def test_month_bounds_are_local_midnights_in_utc() -> None:
    start, end = month_bounds("2027-01", VN)
    assert start == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert end == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)


def test_three_airings_spread_over_the_month_inside_windows() -> None:
    starts = plan_month("2026-12", WINDOWS, VN, 720, 3, [], EARLY)
    assert len(starts) == 3
    assert all(inside_a_window(s, 720) for s in starts)
    days = [local(s).day for s in starts]
    assert days == sorted(days)
    # one in each third of the month, not bunched at the start
    assert days[0] <= 10 < days[1] <= 21 < days[2]
    # both morning and evening listeners hear it
    assert {local(s).hour for s in starts} & {5, 6} and {local(s).hour for s in starts} & {17}


def test_times_are_stored_in_utc_and_read_in_vietnam_time() -> None:
    (first,) = plan_month("2026-12", WINDOWS, VN, 600, 1, [], EARLY)
    assert first.tzinfo == UTC
    assert local(first).time() >= WINDOWS[0].start


def test_never_plans_before_now_late_in_the_month() -> None:
    now = datetime(2026, 12, 28, 12, 0, tzinfo=VN).astimezone(UTC)
    starts = plan_month("2026-12", WINDOWS, VN, 900, 3, [], now)
    assert len(starts) == 3
    assert all(s >= now for s in starts)
    assert all(local(s).day >= 28 for s in starts)


def test_nothing_when_the_month_is_over() -> None:
    now = datetime(2027, 1, 2, tzinfo=UTC)
    assert plan_month("2026-12", WINDOWS, VN, 900, 3, [], now) == []


def test_avoids_busy_air_time_and_packs_after_it() -> None:
    starts = plan_month("2026-12", WINDOWS, VN, 900, 1, [], EARLY)
    taken = Busy(starts[0], starts[0] + timedelta(minutes=20))
    (moved,) = plan_month("2026-12", WINDOWS, VN, 900, 1, [taken], EARLY)
    assert moved >= taken.end or moved + timedelta(seconds=900) <= taken.start
    assert inside_a_window(moved, 900)


def test_planned_airings_never_overlap_each_other() -> None:
    one_window = parse_windows("17:00-17:40")
    starts = plan_month("2026-02", one_window, VN, 600, 40, [], EARLY)
    for a, b in itertools.pairwise(starts):
        assert b - a >= timedelta(seconds=600)
    # 28 days x (40 min // 10 min) = 112 slots: all 40 fit
    assert len(starts) == 40


def test_returns_fewer_when_windows_are_too_short() -> None:
    assert plan_month("2026-12", parse_windows("05:30-05:40"), VN, 900, 3, [], EARLY) == []


def test_three_airings_fit_when_only_one_day_is_left() -> None:
    now = datetime(2026, 12, 31, 5, 0, tzinfo=VN).astimezone(UTC)
    starts = plan_month("2026-12", WINDOWS, VN, 900, 3, [], now)
    assert len(starts) == 3
    assert all(local(s).day == 31 for s in starts)


def test_no_airing_on_a_day_the_station_is_off_air() -> None:
    weekdays = parse_windows("T2-T7 05:30-06:30,T2-T7 17:00-18:00")
    starts = plan_month("2026-12", weekdays, VN, 720, 12, [], EARLY)
    assert len(starts) == 12
    assert all(local(s).weekday() != 6 for s in starts)  # never on Sunday (CN)


def test_a_sunday_only_window_is_used_only_on_sundays() -> None:
    (start,) = plan_month("2026-12", parse_windows("CN 07:00-08:00"), VN, 900, 1, [], EARLY)
    assert local(start).weekday() == 6 and local(start).hour == 7
