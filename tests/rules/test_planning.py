"""plan_month: airings land inside windows, spread over the month, in the station's zone."""

import itertools
from datetime import UTC, datetime, time, timedelta

import pytest

from loa.clock import VN
from loa.months import month_bounds, month_days
from loa.scheduler.planning import Busy, plan_month
from loa.stations.windows import parse_windows

WINDOWS = parse_windows("05:30-06:30,17:00-18:00")
EARLY = datetime(2000, 1, 1, tzinfo=UTC)
GAP = timedelta(seconds=30)


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
    starts = plan_month("2026-12", WINDOWS, VN, 720, 3, [], EARLY, gap=GAP)
    assert len(starts) == 3
    assert all(inside_a_window(s, 720) for s in starts)
    days = [local(s).day for s in starts]
    assert days == sorted(days)
    # one in each third of the month, not bunched at the start
    assert days[0] <= 10 < days[1] <= 21 < days[2]
    # both morning and evening listeners hear it
    assert {local(s).hour for s in starts} & {5, 6} and {local(s).hour for s in starts} & {17}


def test_times_are_stored_in_utc_and_read_in_vietnam_time() -> None:
    (first,) = plan_month("2026-12", WINDOWS, VN, 600, 1, [], EARLY, gap=GAP)
    assert first.tzinfo == UTC
    assert local(first).time() >= WINDOWS[0].start


def test_never_plans_before_now_late_in_the_month() -> None:
    now = datetime(2026, 12, 28, 12, 0, tzinfo=VN).astimezone(UTC)
    starts = plan_month("2026-12", WINDOWS, VN, 900, 3, [], now, gap=GAP)
    assert len(starts) == 3
    assert all(s >= now for s in starts)
    assert all(local(s).day >= 28 for s in starts)


def test_nothing_when_the_month_is_over() -> None:
    now = datetime(2027, 1, 2, tzinfo=UTC)
    assert plan_month("2026-12", WINDOWS, VN, 900, 3, [], now, gap=GAP) == []


def test_avoids_busy_air_time_and_packs_after_it() -> None:
    starts = plan_month("2026-12", WINDOWS, VN, 900, 1, [], EARLY, gap=GAP)
    taken = Busy(starts[0], starts[0] + timedelta(minutes=20))
    (moved,) = plan_month("2026-12", WINDOWS, VN, 900, 1, [taken], EARLY, gap=GAP)
    assert moved >= taken.end or moved + timedelta(seconds=900) <= taken.start
    assert inside_a_window(moved, 900)


def test_planned_airings_never_overlap_each_other() -> None:
    one_window = parse_windows("17:00-17:40")
    starts = plan_month("2026-02", one_window, VN, 600, 40, [], EARLY, gap=GAP)
    for a, b in itertools.pairwise(starts):
        assert b - a >= timedelta(seconds=600) + GAP
    # 28 days x 3 slots (three 10-minute airings and two 30-s gaps in 40 min) = 84: all 40 fit
    assert len(starts) == 40


def test_returns_fewer_when_windows_are_too_short() -> None:
    assert plan_month("2026-12", parse_windows("05:30-05:40"), VN, 900, 3, [], EARLY, gap=GAP) == []


def test_three_airings_fit_when_only_one_day_is_left() -> None:
    now = datetime(2026, 12, 31, 5, 0, tzinfo=VN).astimezone(UTC)
    starts = plan_month("2026-12", WINDOWS, VN, 900, 3, [], now, gap=GAP)
    assert len(starts) == 3
    assert all(local(s).day == 31 for s in starts)


def test_no_airing_on_a_day_the_station_is_off_air() -> None:
    weekdays = parse_windows("T2-T7 05:30-06:30,T2-T7 17:00-18:00")
    starts = plan_month("2026-12", weekdays, VN, 720, 12, [], EARLY, gap=GAP)
    assert len(starts) == 12
    assert all(local(s).weekday() != 6 for s in starts)  # never on Sunday (CN)


def test_a_sunday_only_window_is_used_only_on_sundays() -> None:
    (start,) = plan_month(
        "2026-12", parse_windows("CN 07:00-08:00"), VN, 900, 1, [], EARLY, gap=GAP
    )
    assert local(start).weekday() == 6 and local(start).hour == 7


LAST_DAY = datetime(2026, 12, 31, tzinfo=VN).astimezone(UTC)  # one day left: one day to fill


def on_last_day(hms: str) -> datetime:
    return datetime.combine(LAST_DAY.astimezone(VN).date(), time.fromisoformat(hms), VN).astimezone(
        UTC
    )


@pytest.mark.parametrize(
    "window,busy,count,gap_s,expected",
    [
        # back-to-back requests leave exactly the gap between them
        ("17:00-18:00", [], 3, 30, ["17:00:00", "17:10:30", "17:21:00"]),
        # no gap asked: packed end to end (the old behaviour, still possible by setting)
        ("17:00-18:00", [], 3, 0, ["17:00:00", "17:10:00", "17:20:00"]),
        # an airing already on air: the new one starts the gap after its end
        ("17:00-18:00", [("17:00:00", "17:09:50")], 1, 30, ["17:10:20"]),
        # the gap before an existing airing: fits exactly, so it stays first
        ("17:00-18:00", [("17:10:30", "17:20:30")], 1, 30, ["17:00:00"]),
        # the gap before an existing airing: 1 s short, so it goes after it
        ("17:00-18:00", [("17:10:29", "17:20:29")], 1, 30, ["17:20:59"]),
        # a hole between two airings too small once both gaps are counted
        ("17:00-18:00", [("17:00:00", "17:10:00"), ("17:20:30", "17:30:00")], 1, 30,
         ["17:30:30"]),
        # the window's end still binds: a third airing would end at 17:31
        ("17:00-17:30", [], 3, 30, ["17:00:00", "17:10:30"]),
        # no gap is needed at the window's end: ends exactly on it
        ("17:00-17:21", [], 2, 60, ["17:00:00", "17:11:00"]),
    ],
)
def test_a_gap_separates_airings_on_a_station(
    window: str, busy: list[tuple[str, str]], count: int, gap_s: int, expected: list[str]
) -> None:
    taken = [Busy(on_last_day(a), on_last_day(b)) for a, b in busy]
    starts = plan_month(
        "2026-12", parse_windows(window), VN, 600, count, taken, LAST_DAY,
        gap=timedelta(seconds=gap_s),
    )
    assert starts == [on_last_day(hms) for hms in expected]
