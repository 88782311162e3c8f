"""DESIGN §6: what counts as aired, and the station-month verdict."""

from datetime import UTC, datetime, timedelta

import pytest

from loa.compliance.rules import (
    LoggedEvent,
    ProgrammeFacts,
    Status,
    counted_airings,
    station_month_status,
    why_not_counted,
)
from tests.helpers.counting import AIRINGS, MID, REQ, RULE, SHA, done


def test_three_completed_airings_count_three() -> None:
    assert counted_airings([done(1), done(2), done(3)], AIRINGS, RULE) == 3


@pytest.mark.parametrize(
    "event,reason",
    [
        (done(1), None),
        (done(1, event="airing.started"), "not a completion"),
        (done(1, event="airing.failed"), "not a completion"),
        (done(None), "not an airing planned on this station"),
        (done(99), "not an airing planned on this station"),
        (done(9), "airing of another campaign"),
        (done(8), "cancelled before it started"),
        (done(6), "scheduled outside the month"),
        (done(7), "scheduled outside the month"),
        (done(10), "length out of bounds"),
        (done(1, asset_sha256="b" * 64), "other audio"),
        (done(1, asset_sha256=None), "other audio"),
        (done(1, played_ms=360_000), "played 50.0% of 95%"),
        (done(1, played_ms=683_999), "played 94.9% of 95%"),
        (done(1, played_ms=None), "played 0.0%"),
    ],
)
def test_each_entry_says_why_it_does_not_count(event: LoggedEvent, reason: str | None) -> None:
    found = why_not_counted(event, AIRINGS, RULE)
    assert found is None if reason is None else reason in (found or "")
    assert found is None or (found[0] != "(" and "(" in found)  # Vietnamese first, English after


def test_a_play_of_94_9_percent_does_not_count_and_95_does() -> None:
    assert counted_airings([done(1, played_ms=683_280)], AIRINGS, RULE) == 0  # 94.9%
    assert counted_airings([done(1, played_ms=684_000)], AIRINGS, RULE) == 1  # 95%


@pytest.mark.parametrize(
    "late_by,counts",
    [
        (timedelta(0), True),
        (timedelta(minutes=5), True),
        (timedelta(minutes=-5), True),
        (timedelta(minutes=5, seconds=1), False),
        (timedelta(minutes=-5, seconds=-1), False),
    ],
)
def test_the_play_must_start_within_the_tolerance(late_by: timedelta, counts: bool) -> None:
    at = MID + late_by + timedelta(minutes=12)
    event = done(1, at=at, received_at=at)
    reason = why_not_counted(event, AIRINGS, RULE)
    assert (reason is None) is counts
    assert counts or "lệch quá 5 phút" in (reason or "")


def test_the_start_is_the_end_minus_what_played() -> None:
    """A 95% play that ended at the full length's end began 36 s late: still on time."""
    event = done(1, at=MID + timedelta(minutes=12), played_ms=684_000)
    assert why_not_counted(event, AIRINGS, RULE) is None
    rushed = done(1, at=MID + timedelta(minutes=12 + 6), played_ms=720_000)
    assert "lệch" in (why_not_counted(rushed, AIRINGS, RULE) or "")


def test_the_players_signed_clock_offset_corrects_its_times() -> None:
    """A clock 30 minutes fast stamps 10:42 for a play that ran 10:00-10:12 server time."""
    fast = timedelta(minutes=30)
    at = MID + timedelta(minutes=12) + fast
    received = MID + timedelta(minutes=13)
    assert why_not_counted(done(1, at=at, received_at=received), AIRINGS, RULE) is not None
    corrected = done(1, at=at, received_at=received, offset_ms=1_800_000)
    assert why_not_counted(corrected, AIRINGS, RULE) is None


def test_a_completion_received_before_the_airing_could_end_does_not_count() -> None:
    """Stamped correctly, but the server got it at 00:10 on the 1st: the play had not happened."""
    early = done(1, received_at=datetime(2026, 11, 30, 17, 10, tzinfo=UTC))
    assert "received before the airing could have ended" in (
        why_not_counted(early, AIRINGS, RULE) or ""
    )
    late_report = done(1, received_at=MID + timedelta(days=3))
    assert why_not_counted(late_report, AIRINGS, RULE) is None


def test_month_edges_in_station_zone_count() -> None:
    assert counted_airings([done(4), done(5)], AIRINGS, RULE) == 2
    assert counted_airings([done(6), done(7)], AIRINGS, RULE) == 0


def test_the_same_airing_completed_twice_counts_once() -> None:
    assert counted_airings([done(2), done(2)], AIRINGS, RULE) == 1


@pytest.mark.parametrize(
    "programme,counted,ended,status",
    [
        (None, 0, True, Status.no_programme),
        (None, 3, True, Status.compliant),  # earned on a programme no longer applying
        (ProgrammeFacts(SHA, 599_999), 2, True, Status.too_short),
        (ProgrammeFacts(SHA, 900_001), 2, True, Status.too_long),
        (ProgrammeFacts(SHA, 600_000), 2, True, Status.short),
        (ProgrammeFacts(SHA, 600_000), 3, True, Status.compliant),
        (ProgrammeFacts(SHA, 900_000), 4, True, Status.compliant),
        (ProgrammeFacts(SHA, 720_000), 0, True, Status.short),
        (ProgrammeFacts(SHA, 720_000), 1, False, Status.in_progress),
        (None, 0, False, Status.in_progress),
        (ProgrammeFacts(SHA, 720_000), 3, False, Status.compliant),
    ],
)
def test_station_month_status(
    programme: ProgrammeFacts | None, counted: int, ended: bool, status: Status
) -> None:
    assert station_month_status(programme, REQ, counted, ended) is status


@pytest.mark.parametrize(
    "event,reason",
    [
        (done(1, played_ms=720_000 + 300_001), "played longer than the programme lasts"),
        (done(1, played_ms=2**63, at=MID), "played longer than the programme lasts"),
        (done(1, offset_ms=10**18), "impossible time"),
        (done(1, at=datetime(1, 1, 1, 0, 5, tzinfo=UTC)), "impossible time"),
    ],
)
def test_a_devices_nonsense_gets_a_reason_not_a_crash(event: LoggedEvent, reason: str) -> None:
    assert reason in (why_not_counted(event, AIRINGS, RULE) or "")
