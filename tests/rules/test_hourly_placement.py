"""place_on_the_hour: plays at the top of every N-th hour, at night only when asked, never over
busy air."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from loa.clock import VN
from loa.scheduler.bulletin_placement import Kind, OnAir, Placement
from loa.scheduler.hourly_placement import HourlyRequest, due_hours, place_on_the_hour
from loa.stations.windows import parse_windows

WINDOWS = parse_windows("05:30-06:30,17:00-18:00")
GAP = timedelta(seconds=30)
DAY = date(2026, 12, 2)
EARLY = datetime(2000, 1, 1, tzinfo=UTC)


def at(hms: str, day: date = DAY) -> datetime:
    """A local Vietnam time on ``day``, in UTC."""
    return datetime.combine(day, time.fromisoformat(hms), VN).astimezone(UTC)


def shown(start: datetime) -> str:
    return start.astimezone(VN).strftime("%d %H:%M:%S")


def request(valid_from: str, valid_until: str, every: int = 2, *, night: bool = False,
            kind: Kind = Kind.priority, seconds: int = 60, until_day: date = DAY,
            max_plays: int = 100) -> HourlyRequest:
    return HourlyRequest(kind, timedelta(seconds=seconds), at(valid_from),
                         at(valid_until, until_day), every, night, max_plays)


def item(ref: tuple[str, int], kind: Kind, start: str, minutes: float) -> OnAir:
    return OnAir(ref, kind, at(start), at(start) + timedelta(minutes=minutes))


def place(req: HourlyRequest, items: list[OnAir] | None = None,
          not_before: datetime = EARLY) -> tuple[Placement, list[OnAir]]:
    return place_on_the_hour(req, WINDOWS, VN, items or [], not_before, gap=GAP)


@pytest.mark.parametrize(("every", "since", "until", "hours"), [
    (2, "00:00", "07:00", ["00", "02", "04", "06"]),
    (2, "00:30", "06:00", ["02", "04"]),  # the end is excluded, the start rounded up
    (3, "01:00", "13:00", ["03", "06", "09", "12"]),
    (6, "00:00", "23:59", ["00", "06", "12", "18"]),
    (1, "21:59", "23:00", ["22"]),
])
def test_due_hours_are_local_multiples_of_the_interval(
        every: int, since: str, until: str, hours: list[str]) -> None:
    due = list(due_hours(every, VN, at(since), at(until)))
    assert [d.astimezone(VN).strftime("%H:%M") for d in due] == [f"{h}:00" for h in hours]


def test_due_hours_cross_midnight_in_station_time() -> None:
    """Vietnam midnight is 17:00 UTC: the hours follow the station's clock, not UTC's."""
    due = list(due_hours(4, VN, at("21:00"), at("05:00", DAY + timedelta(days=1))))
    assert [shown(d) for d in due] == ["03 00:00:00", "03 04:00:00"]


# (name, request, items, starts wanted, dropped)
CASES = [
    ("a night play lands at 02:00 outside the windows",
     request("01:00", "03:00", night=True), [], ["02 02:00:00"], 0),
    ("without night only the hours inside a window play",
     request("00:00", "23:59"), [], ["02 06:00:00"], 0),
    ("night plays every even hour, day and night",
     request("19:00", "05:00", night=True, until_day=DAY + timedelta(days=1)), [],
     ["02 20:00:00", "02 22:00:00", "03 00:00:00", "03 02:00:00", "03 04:00:00"], 0),
    ("every hour in the evening window: 17:00 only (18:00 is its end)",
     request("16:30", "19:00", every=1), [], ["02 17:00:00"], 0),
    ("a play waits for an airing under way at the hour, keeping the gap",
     request("05:00", "07:00"), [item(("airing", 1), Kind.airing, "05:55", 10)],
     ["02 06:05:30"], 0),
    ("a play waits for another priority play at the hour",
     request("01:00", "03:00", night=True), [item(("slot", 9), Kind.priority, "02:00", 3)],
     ["02 02:03:30"], 0),
    ("a play that would run past its window without night is dropped",
     request("05:00", "07:00", seconds=40 * 60), [], [], 1),
    ("a play that cannot start before the next hour is due is dropped",
     request("01:00", "03:00", night=True), [item(("slot", 9), Kind.priority, "01:59", 130)],
     [], 1),
    ("a play may not end after valid_until",
     request("01:00", "02:00:30", night=True), [], [], 1),
    ("at most max_plays",
     request("00:00", "23:00", night=True, max_plays=3), [],
     ["02 00:00:00", "02 02:00:00", "02 04:00:00"], 0),
    ("a normal play waits for the window's airing that starts at the hour",
     request("05:00", "07:00", kind=Kind.normal), [item(("airing", 1), Kind.airing, "06:00", 10)],
     ["02 06:10:30"], 0),
]


@pytest.mark.parametrize(("name", "req", "items", "starts", "dropped"), CASES,
                         ids=[c[0] for c in CASES])
def test_on_the_hour_cases(name: str, req: HourlyRequest, items: list[OnAir],
                           starts: list[str], dropped: int) -> None:
    placement, air = place(req, items)
    assert [shown(s) for s in placement.starts] == starts, name
    assert placement.dropped == dropped, name
    for a, b in itertools.combinations(sorted(air, key=lambda i: i.start), 2):
        assert a.end + GAP <= b.start, f"{a} and {b} overlap"


def test_not_before_skips_the_hours_already_past() -> None:
    placement, _ = place(request("00:00", "07:00", night=True), not_before=at("02:00:01"))
    assert [shown(s) for s in placement.starts] == ["02 04:00:00", "02 06:00:00"]


def test_a_priority_play_takes_the_hour_and_shifts_what_follows_in_the_window() -> None:
    """06:00: the airing planned at 06:00 and the normal slot after it move later; the
    airing under way since 05:40 keeps its place (the play waited for it)."""
    items = [item(("airing", 1), Kind.airing, "05:40", 5),
             item(("airing", 2), Kind.airing, "06:00", 10),
             item(("slot", 3), Kind.normal, "06:10:30", 2)]
    placement, _air = place(request("05:00", "07:00", seconds=120), items)
    assert [shown(s) for s in placement.starts] == ["02 06:00:00"]
    assert {ref: shown(s) for ref, s in placement.moved.items()} == {
        ("airing", 2): "02 06:02:30", ("slot", 3): "02 06:13:00"}
    assert not placement.unfit
    assert ("airing", 1) not in placement.moved


def test_what_is_pushed_past_the_window_is_unfit() -> None:
    items = [item(("airing", 2), Kind.airing, "06:00", 29)]
    placement, _ = place(request("05:00", "07:00", seconds=120), items)
    assert [shown(s) for s in placement.starts] == ["02 06:00:00"]
    assert [i.ref for i in placement.unfit] == [("airing", 2)]
