"""DESIGN §6: what counts as aired, and the station-month verdict."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from compliance.rules import (
    LoggedEvent,
    ProgrammeFacts,
    Requirement,
    Status,
    counted_airings,
    station_month_status,
    why_not_counted,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SHA = "a" * 64
PROG = ProgrammeFacts(sha256=SHA, duration_ms=720_000)
REQ = Requirement(min_airings=3, min_s=600, max_s=900)
MID = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)


def done(airing_id: int, at: datetime = MID, **kw: object) -> LoggedEvent:
    fields = {"event": "airing.completed", "asset_sha256": SHA, "played_ms": 720_000}
    fields.update(kw)
    return LoggedEvent(airing_id=airing_id, at=at, **fields)  # type: ignore[arg-type]


def test_three_completed_airings_count_three() -> None:
    assert counted_airings([done(1), done(2), done(3)], PROG, "2026-12", VN) == 3


@pytest.mark.parametrize(
    "event",
    [
        done(1, event="airing.started"),
        done(1, event="airing.interrupted"),
        done(1, event="airing.failed"),
        done(1, asset_sha256="b" * 64),
        done(1, played_ms=683_999),
        done(1, played_ms=None),
        done(None),  # type: ignore[arg-type]
        done(1, at=datetime(2026, 11, 30, 16, 59, tzinfo=UTC)),  # 23:59 on 30/11 in Vietnam
        done(1, at=datetime(2026, 12, 31, 17, 0, tzinfo=UTC)),  # 00:00 on 1/1 in Vietnam
    ],
    ids=[
        "started",
        "interrupted",
        "failed",
        "other-audio",
        "partial",
        "no-played",
        "no-airing",
        "before-month-local",
        "after-month-local",
    ],
)
def test_events_that_do_not_count(event: LoggedEvent) -> None:
    assert counted_airings([event], PROG, "2026-12", VN) == 0


def test_exactly_95_percent_counts() -> None:
    assert counted_airings([done(1, played_ms=684_000)], PROG, "2026-12", VN) == 1


def test_month_edges_in_station_zone_count() -> None:
    first = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 00:00 on 1/12 in Vietnam
    last = datetime(2026, 12, 31, 16, 59, tzinfo=UTC)  # 23:59 on 31/12 in Vietnam
    assert counted_airings([done(1, at=first), done(2, at=last)], PROG, "2026-12", VN) == 2


def test_the_same_airing_completed_twice_counts_once() -> None:
    assert counted_airings([done(7), done(7)], PROG, "2026-12", VN) == 1


@pytest.mark.parametrize(
    "programme,counted,status",
    [
        (None, 5, Status.no_programme),
        (ProgrammeFacts(SHA, 599_999), 3, Status.too_short),
        (ProgrammeFacts(SHA, 900_001), 3, Status.too_long),
        (ProgrammeFacts(SHA, 600_000), 2, Status.short),
        (ProgrammeFacts(SHA, 600_000), 3, Status.compliant),
        (ProgrammeFacts(SHA, 900_000), 4, Status.compliant),
        (ProgrammeFacts(SHA, 720_000), 0, Status.short),
    ],
)
def test_station_month_status(
    programme: ProgrammeFacts | None, counted: int, status: Status
) -> None:
    assert station_month_status(programme, REQ, counted) is status


@pytest.mark.parametrize(
    "event,reason",
    [
        (done(1), None),
        (done(1, event="airing.started"), "not a completion"),
        (done(None), "no airing"),  # type: ignore[arg-type]
        (done(1, asset_sha256="b" * 64), "other audio"),
        (done(1, played_ms=360_000), "played 50% of 95%"),
        (done(1, at=datetime(2026, 12, 31, 17, 0, tzinfo=UTC)), "outside the month"),
    ],
)
def test_each_entry_says_why_it_does_not_count(event: LoggedEvent, reason: str | None) -> None:
    found = why_not_counted(event, PROG, "2026-12", VN)
    assert found is None if reason is None else reason in (found or "")
