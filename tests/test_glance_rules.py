"""The month at a glance as pure rules: outlook, make-ups, slots, plan-ahead day, online."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from loa.clock import VN
from loa.errors import LoaError
from loa.playlists.models import AiringStatus
from loa.scheduler.edits import check_slot
from loa.scheduler.outlook import Outlook, make_ups, month_outlook, room_left
from loa.scheduler.planning import Busy
from loa.scheduler.runtime import next_month
from loa.stations.health import is_online
from loa.stations.windows import parse_windows

GAP = timedelta(seconds=30)


@pytest.mark.parametrize(
    ("verdict", "ended", "counted", "required", "planned", "room", "expected"),
    [
        ("compliant", False, 3, 3, 0, 0, Outlook.met),  # reached early: đạt already
        ("compliant", True, 4, 3, 0, 0, Outlook.met),
        ("in_progress", False, 1, 3, 2, 0, Outlook.on_track),  # the plan reaches it
        ("in_progress", False, 1, 3, 1, 1, Outlook.on_track),  # a make-up still fits
        ("in_progress", False, 1, 3, 1, 0, Outlook.at_risk),  # no window left for the third
        ("in_progress", False, 0, 3, 0, 0, Outlook.at_risk),
        # Room but nothing planned (a station added after planning): at risk, never on track.
        ("in_progress", False, 0, 3, 0, 3, Outlook.at_risk),
        ("in_progress", False, 2, 3, 0, 5, Outlook.at_risk),
        ("no_programme", False, 0, 3, 0, 3, Outlook.at_risk),
        ("short", True, 2, 3, 0, 0, Outlook.failed),
        ("no_programme", True, 0, 3, 0, 0, Outlook.failed),
        ("too_long", True, 0, 3, 0, 0, Outlook.failed),
        ("evidence_broken", True, 3, 3, 0, 0, Outlook.failed),
        # A month not yet ended is never a failure, even with a broken log: at risk at worst.
        ("evidence_broken", False, 0, 3, 0, 0, Outlook.at_risk),
    ],
)
def test_month_outlook(
    verdict: str, ended: bool, counted: int, required: int, planned: int, room: int,
    expected: Outlook,
) -> None:
    assert month_outlook(verdict, ended, counted, required, planned, room) is expected


def test_a_month_not_yet_due_to_be_planned_is_judged_by_its_room() -> None:
    assert month_outlook("in_progress", False, 0, 3, 0, 3, due=False) is Outlook.on_track
    assert month_outlook("in_progress", False, 0, 3, 0, 2, due=False) is Outlook.at_risk


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VN).astimezone(UTC)


def test_room_left_counts_only_what_fits_in_the_windows_left() -> None:
    sundays = parse_windows("CN 17:00-17:15")  # 6, 13, 20, 27 December 2026
    busy = [Busy(_at(27, 17), _at(27, 17, 12))]
    assert room_left("2026-12", sundays, VN, 720, 3, [], _at(1, 8), GAP) == 3
    assert room_left("2026-12", sundays, VN, 720, 3, [], _at(21, 8), GAP) == 1
    assert room_left("2026-12", sundays, VN, 720, 3, busy, _at(21, 8), GAP) == 0
    assert room_left("2026-12", sundays, VN, 20 * 60, 3, [], _at(1, 8), GAP) == 0  # too long


P, A, M, F, C = (
    AiringStatus.planned, AiringStatus.aired, AiringStatus.missed, AiringStatus.failed,
    AiringStatus.cancelled,
)


@pytest.mark.parametrize(
    ("airings", "expected"),
    [
        ([(1, P), (2, P), (3, P)], set()),
        ([(1, M), (2, A), (3, P), (4, P)], {4}),  # planned after the missed one
        ([(1, F), (2, M), (3, A), (4, P), (5, P)], {4, 5}),
        ([(4, P), (2, P), (1, M), (3, P)], {4}),  # by creation, not by the order given
        ([(1, A), (2, C), (3, C), (4, P), (5, P)], set()),  # a newer programme replaced two
        ([], set()),
    ],
)
def test_make_ups(airings: list[tuple[int, AiringStatus]], expected: set[int]) -> None:
    assert make_ups(airings, 3) == expected


WINDOWS = parse_windows("05:30-06:30,T2-T6 17:00-18:00")
NOW = _at(1, 8)
BUSY = [Busy(_at(10, 17), _at(10, 17, 12))]


@pytest.mark.parametrize(
    ("start", "refusal"),
    [
        (_at(10, 5, 30), None),  # a window's first minute
        (_at(10, 6, 18), None),  # ends at 06:30 exactly
        (_at(10, 6, 19), "khung giờ"),  # spills past the window
        (_at(10, 12), "khung giờ"),
        (_at(13, 17, 10), "khung giờ"),  # Sunday: no evening window
        (_at(10, 17, 12), "trùng"),  # right after another airing, no gap
        (_at(10, 16, 59) + timedelta(seconds=1), "khung giờ"),
        (_at(10, 17, 13), None),  # the gap of clear air kept
        (_at(10, 17), "trùng"),  # the same slot
        (_at(1, 6), "đã qua"),  # before now
        (NOW, "đã qua"),
    ],
)
def test_check_slot(start: datetime, refusal: str | None) -> None:
    length = timedelta(minutes=12)
    if refusal is None:
        check_slot(start, length, WINDOWS, VN, BUSY, NOW, GAP)
    else:
        with pytest.raises(LoaError, match=refusal):
            check_slot(start, length, WINDOWS, VN, BUSY, NOW, GAP)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 12, 19, 23, 59), None),
        (datetime(2026, 12, 20, 0, 0), "2027-01"),  # December plans January of the next year
        (datetime(2026, 12, 31, 23, 0), "2027-01"),
        (datetime(2027, 1, 5), None),
        (datetime(2027, 2, 18), None),
        (datetime(2027, 2, 19), "2027-03"),  # 28 days: the 19th leaves ten days before March
        (datetime(2028, 2, 19), None),  # 29 days: the 20th does
        (datetime(2028, 2, 20), "2028-03"),
        (datetime(2026, 4, 21), "2026-05"),
    ],
)
def test_next_month_is_planned_by_the_20th(local: datetime, expected: str | None) -> None:
    assert next_month(local.replace(tzinfo=VN)) == expected


@pytest.mark.parametrize(
    ("seen_ago", "expected"),
    [
        (None, False),
        (timedelta(seconds=10), True),
        (timedelta(seconds=600), True),  # two polls of 300 s
        (timedelta(seconds=601), False),
        (timedelta(days=3), False),
        (-timedelta(minutes=5), True),  # its clock is ahead, but it did talk to us
    ],
)
def test_player_online(seen_ago: timedelta | None, expected: bool) -> None:
    now = _at(5, 9)
    assert is_online(None if seen_ago is None else now - seen_ago, now, 300) is expected
