"""place_bulletin: normal and priority bulletins land in the right windows, in order."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loa.clock import VN
from loa.scheduler.bulletin_placement import (
    Kind,
    OnAir,
    Placement,
    Request,
    occurrences,
    place_bulletin,
)
from loa.stations.windows import Window, parse_windows

WINDOWS = parse_windows("05:30-06:30,17:00-18:00")
GAP = timedelta(seconds=30)
DAY = date(2026, 12, 2)  # a Wednesday
EARLY = datetime(2000, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def at(hms: str, day: date = DAY) -> datetime:
    """A local Vietnam time on ``day``, in UTC."""
    return datetime.combine(day, time.fromisoformat(hms), VN).astimezone(UTC)


def shown(start: datetime) -> str:
    """A UTC start as the station reads it: "02 17:00:30"."""
    return start.astimezone(VN).strftime("%d %H:%M:%S")


def airing(n: int, start: str, minutes: float, day: date = DAY) -> OnAir:
    begin = at(start, day)
    return OnAir(("airing", n), Kind.airing, begin, begin + timedelta(minutes=minutes))


def normal(valid_from: datetime, seconds: int = 60, until: datetime | None = None,
           count: int = 1, every: timedelta = timedelta(0)) -> Request:
    return Request(Kind.normal, timedelta(seconds=seconds), valid_from, until, count, every)


def priority(valid_from: datetime, seconds: int = 60, until: datetime | None = None,
             count: int = 1, every: timedelta = timedelta(0)) -> Request:
    return Request(Kind.priority, timedelta(seconds=seconds), valid_from, until, count, every)


def place(request: Request, items: list[OnAir], windows: list[Window] = WINDOWS,
          not_before: datetime = EARLY, gap: timedelta = GAP) -> tuple[Placement, list[OnAir]]:
    return place_bulletin(request, windows, VN, items, not_before, gap=gap)


def order(air: list[OnAir], day: date = DAY, window: str = "17:00") -> list[str]:
    """The items of one day's window in the order they play: "airing 1", "new 0"..."""
    start = at(window, day)
    inside = [i for i in air if start <= i.start < start + timedelta(hours=1)]
    return [f"{i.ref[0]} {i.ref[1]}" for i in sorted(inside, key=lambda i: i.start)]


def assert_clear(air: list[OnAir], windows: list[Window] = WINDOWS, gap: timedelta = GAP) -> None:
    """No two items within ``gap`` of each other; each wholly inside one window on its day."""
    for a, b in itertools.combinations(sorted(air, key=lambda i: i.start), 2):
        assert a.end + gap <= b.start, f"{a} and {b} overlap"
    for item in air:
        local, end = item.start.astimezone(VN), item.end.astimezone(VN)
        assert any(
            local.weekday() in w.days and local.date() == end.date()
            and w.start <= local.time() and end.time() <= w.end
            for w in windows
        ), f"{item} is outside the windows"


# Normal bulletins


def test_a_normal_bulletin_goes_into_the_next_window_when_it_is_empty() -> None:
    placement, _ = place(normal(at("12:00")), [])
    assert [shown(s) for s in placement.starts] == ["02 17:00:00"]


def test_a_normal_bulletin_follows_the_campaign_airings_of_its_window() -> None:
    placement, _ = place(normal(at("12:00")), [airing(1, "17:00:00", 12)])
    assert [shown(s) for s in placement.starts] == ["02 17:12:30"]


def test_after_the_last_airing_even_with_room_before_it() -> None:
    # The operator moved the airing to 17:30: the notice still follows it.
    placement, _ = place(normal(at("12:00")), [airing(1, "17:30:00", 12)])
    assert [shown(s) for s in placement.starts] == ["02 17:42:30"]


@pytest.mark.parametrize(
    "airings,seconds,gap_s,expected",
    [
        # back to back: exactly the gap after the airing
        ([("17:00:00", 10)], 60, 30, "02 17:10:30"),
        # gap 0: packed end to end
        ([("17:00:00", 10)], 60, 0, "02 17:10:00"),
        # ends exactly at the window's end: fits
        ([("17:00:00", 58.5)], 60, 30, "02 17:59:00"),
        # one second too long: the next window (tomorrow morning)
        ([("17:00:00", 58.5)], 61, 30, "03 05:30:00"),
        # a full window: the next one
        ([("17:00:00", 60)], 60, 30, "03 05:30:00"),
    ],
)
def test_back_to_back_and_full_windows(
    airings: list[tuple[str, float]], seconds: int, gap_s: int, expected: str
) -> None:
    items = [airing(n, s, m) for n, (s, m) in enumerate(airings)]
    placement, air = place(normal(at("12:00"), seconds), items, gap=timedelta(seconds=gap_s))
    assert [shown(s) for s in placement.starts] == [expected]
    assert_clear(air, gap=timedelta(seconds=gap_s))


def test_two_normal_bulletins_play_in_the_order_they_were_sent() -> None:
    _, air = place(normal(at("12:00")), [airing(1, "17:00:00", 12)])
    air = [OnAir(("slot", 1), i.kind, i.start, i.end) if i.ref[0] == "new" else i for i in air]
    placement, air = place(normal(at("12:01")), air)
    assert [shown(s) for s in placement.starts] == ["02 17:14:00"]
    assert order(air) == ["airing 1", "slot 1", "new 0"]


def test_weekday_windows_skip_the_days_the_station_is_off_air() -> None:
    weekdays = parse_windows("T2-T6 17:00-18:00")
    friday_evening = at("18:30", date(2026, 12, 4))
    placement, _ = place(normal(friday_evening), [], weekdays)
    assert [s.astimezone(VN).strftime("%a %d %H:%M") for s in placement.starts] == [
        "Mon 07 17:00"
    ]


def test_a_window_under_way_takes_a_normal_bulletin_after_what_plays_now() -> None:
    now = at("17:05")
    placement, _ = place(normal(now), [airing(1, "17:00:00", 12)], not_before=now)
    assert [shown(s) for s in placement.starts] == ["02 17:12:30"]


def test_a_window_under_way_with_nothing_left_takes_it_at_once() -> None:
    now = at("17:20")
    placement, _ = place(normal(now), [airing(1, "17:00:00", 12)], not_before=now)
    assert [shown(s) for s in placement.starts] == ["02 17:20:00"]


def test_never_before_the_time_it_may_be_placed() -> None:
    placement, _ = place(normal(at("12:00")), [], not_before=at("17:59:30"))
    assert [shown(s) for s in placement.starts] == ["03 05:30:00"]


def test_the_meeting_notice_at_17_for_three_days() -> None:
    items = [airing(1, "17:00:00", 12, date(2026, 12, 3))]  # the campaign airs on day two
    request = normal(at("17:00"), count=3, every=timedelta(days=1))
    placement, air = place(request, items)
    assert [shown(s) for s in placement.starts] == ["02 17:00:00", "03 17:12:30", "04 17:00:00"]
    assert_clear(air)


def test_hourly_repeats_cross_into_the_next_days_morning() -> None:
    # 17:00, 18:00, 19:00 asked; the station is off air after 18:00: the 18:00 read would
    # wait for 05:30, by when the 19:00 one is due too, so one read carries both.
    request = normal(at("17:00"), count=3, every=timedelta(hours=1))
    placement, _ = place(request, [])
    assert [shown(s) for s in placement.starts] == ["02 17:00:00", "03 05:30:00"]
    assert placement.dropped == 1


def test_repeats_without_a_pause_follow_each_other() -> None:
    placement, _ = place(normal(at("12:00"), count=2), [])
    assert [shown(s) for s in placement.starts] == ["02 17:00:00", "02 17:01:30"]


def test_valid_until_cuts_the_repeats_that_would_fall_after_it() -> None:
    request = normal(at("17:00"), count=5, every=timedelta(days=1),
                     until=at("18:00", date(2026, 12, 3)))
    placement, _ = place(request, [])
    assert [shown(s) for s in placement.starts] == ["02 17:00:00", "03 17:00:00"]
    assert placement.dropped == 3


def test_a_late_approval_drops_the_repeats_already_overtaken() -> None:
    # Three evenings asked from the 2nd, approved on the 3rd at noon: the 2nd's is gone,
    # the 3rd's and the 4th's remain.
    request = normal(at("17:00"), count=3, every=timedelta(days=1),
                     until=at("18:00", date(2026, 12, 4)))
    placement, _ = place(request, [], not_before=at("12:00", date(2026, 12, 3)))
    assert [shown(s) for s in placement.starts] == ["03 17:00:00", "04 17:00:00"]
    assert placement.dropped == 1


def test_repeats_due_before_the_window_opens_are_read_once() -> None:
    request = normal(at("16:00"), count=4, every=timedelta(minutes=30))
    placement, _ = place(request, [], not_before=at("16:10"))
    # 16:00, 16:30 and 17:00 all come due by 17:00: one read; 17:30 its own
    assert [shown(s) for s in placement.starts] == ["02 17:00:00", "02 17:30:00"]
    assert placement.dropped == 2


def test_repeats_minutes_apart_play_inside_one_window() -> None:
    request = normal(at("17:00"), count=3, every=timedelta(minutes=10))
    placement, _ = place(request, [])
    assert [shown(s) for s in placement.starts] == ["02 17:00:00", "02 17:10:00", "02 17:20:00"]


def test_a_repeat_an_airing_delays_past_the_next_ones_time_is_carried_by_it() -> None:
    request = normal(at("17:00"), count=3, every=timedelta(minutes=10))
    placement, _ = place(request, [airing(1, "17:00:00", 12)])
    # the 17:00 read waits for the airing until 17:12:30, when the 17:10 one is due too
    assert [shown(s) for s in placement.starts] == ["02 17:12:30", "02 17:20:00"]
    assert placement.dropped == 1


def test_a_play_must_end_before_valid_until() -> None:
    request = normal(at("12:00"), seconds=120, until=at("17:01"))
    placement, _ = place(request, [])
    assert placement.starts == [] and placement.dropped == 1


def test_nothing_when_the_windows_never_open() -> None:
    placement, _ = place(normal(at("12:00")), [], [])
    assert placement.starts == [] and placement.dropped == 1


# Priority bulletins


def test_a_priority_bulletin_is_the_first_item_of_the_next_window() -> None:
    items = [airing(1, "17:00:00", 12)]
    placement, air = place(priority(at("12:00")), items)
    assert [shown(s) for s in placement.starts] == ["02 17:00:00"]
    assert placement.moved == {("airing", 1): at("17:01:30")}
    assert order(air) == ["new 0", "airing 1"]
    assert_clear(air)


def test_only_what_it_would_overlap_shifts() -> None:
    items = [airing(1, "17:00:00", 12), airing(2, "17:30:00", 12)]
    placement, air = place(priority(at("12:00")), items)
    assert placement.moved == {("airing", 1): at("17:01:30")}
    assert [shown(i.start) for i in air if i.ref == ("airing", 2)] == ["02 17:30:00"]


def test_shifted_items_push_the_next_ones_keeping_the_gap() -> None:
    items = [airing(1, "17:00:00", 10), airing(2, "17:10:30", 10)]
    placement, air = place(priority(at("12:00")), items)
    assert placement.moved == {("airing", 1): at("17:01:30"), ("airing", 2): at("17:12:00")}
    assert_clear(air)


def test_a_window_under_way_is_not_a_priority_bulletins_window() -> None:
    now = at("17:05")
    placement, _ = place(priority(now), [airing(1, "17:00:00", 12)], not_before=now)
    assert [shown(s) for s in placement.starts] == ["03 05:30:00"]
    assert placement.moved == {}


def test_a_priority_bulletin_in_a_window_full_of_airings() -> None:
    window = parse_windows("17:00-17:40")
    items = [airing(1, "17:00:00", 12), airing(2, "17:12:30", 12), airing(3, "17:25:00", 12)]
    placement, air = place(priority(at("12:00"), seconds=180), items, window)
    assert [shown(s) for s in placement.starts] == ["02 17:00:00"]
    assert placement.moved == {("airing", 1): at("17:03:30"), ("airing", 2): at("17:16:00")}
    # the third would end at 17:40:30: it leaves the window, for the planner to place again
    assert [(i.ref, shown(i.start)) for i in placement.unfit] == [(("airing", 3), "02 17:28:30")]
    assert ("airing", 3) not in {i.ref for i in air}
    assert_clear(air, window)


def test_a_short_item_after_an_unfit_one_still_fits() -> None:
    window = parse_windows("17:00-17:30")
    items = [airing(1, "17:00:00", 15), airing(2, "17:15:30", 2)]
    placement, air = place(priority(at("12:00"), seconds=1200), items, window)
    assert [i.ref for i in placement.unfit] == [("airing", 1)]
    assert placement.moved == {("airing", 2): at("17:20:30")}
    assert_clear(air, window)


def test_two_priority_bulletins_at_once_keep_the_order_they_were_sent() -> None:
    _, air = place(priority(at("12:00")), [airing(1, "17:00:00", 12)])
    air = [OnAir(("slot", 1), i.kind, i.start, i.end) if i.ref[0] == "new" else i for i in air]
    placement, air = place(priority(at("12:00")), air)
    assert [shown(s) for s in placement.starts] == ["02 17:01:30"]
    assert order(air) == ["slot 1", "new 0", "airing 1"]
    assert [shown(i.start) for i in air if i.ref == ("airing", 1)] == ["02 17:03:00"]
    assert_clear(air)


def test_priority_before_airings_before_normal_then_by_send_time() -> None:
    air = [airing(1, "17:00:00", 12)]
    for n, request in enumerate([normal(at("12:00")), normal(at("12:01")),
                                 priority(at("12:02")), priority(at("12:03"))], start=1):
        _, air = place(request, air)
        air = [OnAir(("slot", n), i.kind, i.start, i.end) if i.ref[0] == "new" else i
               for i in air]
    assert order(air) == ["slot 3", "slot 4", "airing 1", "slot 1", "slot 2"]
    assert_clear(air)


def test_a_normal_bulletin_pushed_out_of_its_window_is_unfit() -> None:
    window = parse_windows("17:00-17:15")
    _, air = place(normal(at("12:00")), [airing(1, "17:00:00", 12)], window)
    placement, air = place(priority(at("12:00"), seconds=90), air, window)
    assert [i.ref for i in placement.unfit] == [("new", 0)]
    assert placement.moved == {("airing", 1): at("17:02:00")}


def test_back_to_back_windows_keep_the_gap_across_their_edge() -> None:
    windows = parse_windows("05:00-05:10,05:10-05:40")
    now = at("05:05")
    items = [airing(1, "05:00:00", 10), airing(2, "05:10:30", 29)]  # ends 05:10, then 05:39:30
    placement, air = place(priority(now), items, windows, not_before=now)
    # first in the 05:10 window, but the gap after the airing ending at 05:10
    assert [shown(s) for s in placement.starts] == ["02 05:10:30"]
    assert [i.ref for i in placement.unfit] == [("airing", 2)]
    assert_clear(air, windows)


def test_a_shifted_item_keeps_the_gap_before_the_next_windows_first() -> None:
    windows = parse_windows("17:00-17:14,17:14-17:30")
    items = [airing(1, "17:00:00", 12), airing(2, "17:14:00", 12)]
    placement, air = place(priority(at("12:00"), seconds=90), items, windows)
    # airing 1 would end 17:14:00, inside its window but with no gap before airing 2
    assert [i.ref for i in placement.unfit] == [("airing", 1)]
    assert_clear(air, windows)


def test_a_priority_bulletin_longer_than_the_first_window_takes_the_next_that_holds_it() -> None:
    windows = parse_windows("05:30-05:35,17:00-18:00")
    placement, _ = place(priority(at("01:00"), seconds=600), [], windows)
    assert [shown(s) for s in placement.starts] == ["02 17:00:00"]


def test_priority_repeats_each_open_a_window() -> None:
    request = priority(at("12:00"), count=3, every=timedelta(hours=12))
    placement, _ = place(request, [airing(1, "05:30:00", 12, date(2026, 12, 3))])
    assert [shown(s) for s in placement.starts] == ["02 17:00:00", "03 05:30:00", "03 17:00:00"]
    assert placement.moved == {("airing", 1): at("05:31:30", date(2026, 12, 3))}


def test_valid_until_cuts_priority_repeats() -> None:
    request = priority(at("12:00"), count=3, every=timedelta(hours=12), until=at("20:00"))
    placement, _ = place(request, [])
    assert [shown(s) for s in placement.starts] == ["02 17:00:00"]
    assert placement.dropped == 2


def test_window_occurrences_follow_weekdays_and_start_with_the_one_open() -> None:
    windows = parse_windows("T2+T4 05:30-06:30,CN 17:00-18:00")
    found = list(occurrences(windows, VN, at("06:00"), at("06:00") + timedelta(days=7)))
    assert [s.astimezone(VN).strftime("%a %H:%M") for s, _ in found] == [
        "Wed 05:30", "Sun 17:00", "Mon 05:30", "Wed 05:30"
    ]


# Property: whatever is placed, a station's items never overlap.

WINDOW_SETS = ["05:30-06:30,17:00-18:00", "17:00-17:20", "T2-T6 06:00-06:45,CN 18:00-18:30",
               "05:00-05:10,05:10-05:40", "17:00-17:05,17:05-17:12,17:12-17:30"]


@st.composite
def requests(draw: st.DrawFn) -> Request:
    kind = draw(st.sampled_from([Kind.normal, Kind.priority]))
    # any minute of three days, and often one in the hours the windows open
    near_windows = st.builds(lambda d, h, m: d * 1440 + h * 60 + m, st.integers(0, 2),
                             st.sampled_from([5, 6, 17, 18]), st.integers(0, 59))
    offset = timedelta(minutes=draw(st.integers(0, 3 * 24 * 60) | near_windows))
    seconds = draw(st.integers(5, 900))
    count = draw(st.integers(1, 4))
    every = timedelta(minutes=draw(st.sampled_from([0, 1, 30, 60, 720, 1440])))
    until = draw(st.none() | st.integers(0, 5 * 24 * 60))
    valid_from = at("00:00") + offset
    return Request(kind, timedelta(seconds=seconds), valid_from,
                   None if until is None else valid_from + timedelta(minutes=until), count, every)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    windows_text=st.sampled_from(WINDOW_SETS),
    airing_minutes=st.lists(st.integers(1, 15), max_size=6),
    batch=st.lists(requests(), min_size=1, max_size=6),
    gap_s=st.sampled_from([0, 30]),
)
def test_no_two_items_of_a_station_ever_overlap(
    windows_text: str, airing_minutes: list[int], batch: list[Request], gap_s: int
) -> None:
    windows, gap = parse_windows(windows_text), timedelta(seconds=gap_s)
    air: list[OnAir] = []
    # campaign airings packed into the first windows, as the planner would
    for n, minutes in enumerate(airing_minutes):
        placement, _ = place(normal(at("00:00"), minutes * 60), air, windows, gap=gap)
        air += [OnAir(("airing", n), Kind.airing, s, s + timedelta(minutes=minutes))
                for s in placement.starts]
    for n, request in enumerate(batch):
        before = {i.ref: i.start for i in air}
        placement, air = place(request, air, windows, gap=gap)
        # items only ever shift later, and only those a priority bulletin pushed leave
        assert all(start > before[ref] for ref, start in placement.moved.items())
        assert {i.ref for i in air if i.ref[0] != "new"} == (
            before.keys() - {i.ref for i in placement.unfit}
        )
        air = [OnAir(("slot", n * 10 + i.ref[1]), i.kind, i.start, i.end)
               if i.ref[0] == "new" else i for i in air]
        assert len(placement.starts) + placement.dropped == request.repeat_count
        for start in placement.starts:
            assert start >= request.valid_from
            if request.valid_until is not None:
                assert start + request.duration <= request.valid_until
        assert_clear(air, windows, gap)
