"""The compliance rule of DESIGN §6, as pure functions from log facts to a verdict."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

COMPLETE_SHARE = 0.95


class Status(StrEnum):
    compliant = "compliant"
    short = "short"
    no_programme = "no_programme"
    too_short = "too_short"
    too_long = "too_long"
    evidence_broken = "evidence_broken"  # the station's log fails `loa audit verify`


@dataclass(frozen=True)
class ProgrammeFacts:
    """The month's approved programme as the rule sees it."""

    sha256: str
    duration_ms: int


@dataclass(frozen=True)
class Requirement:
    min_airings: int
    min_s: int
    max_s: int


@dataclass(frozen=True)
class LoggedEvent:
    """One log entry of the station's chain (reported by a player of that station)."""

    event: str
    airing_id: int | None
    at: datetime
    asset_sha256: str | None
    played_ms: int | None


def local_month(at: datetime, tz: ZoneInfo) -> str:
    """The "YYYY-MM" an instant falls in, in the station's zone."""
    return at.astimezone(tz).strftime("%Y-%m")


def why_not_counted(
    event: LoggedEvent, programme: ProgrammeFacts, month: str, tz: ZoneInfo
) -> str | None:
    """Why one log entry does not count as an airing of ``programme`` in ``month``, or None.

    Cases: only airing.completed counts, for an airing of the schedule; the
    audio must be the programme's (same sha256); at least 95% of its duration
    must have played; the event's time must fall inside the month in the
    station's zone.
    """
    if event.event != "airing.completed":
        return "không phải sự kiện phát xong (not a completion)"
    if event.airing_id is None:
        return "không gắn với lượt phát nào (no airing)"
    if event.asset_sha256 != programme.sha256:
        return "âm thanh khác chương trình của tháng (other audio)"
    if (event.played_ms or 0) < programme.duration_ms * COMPLETE_SHARE:
        share = (event.played_ms or 0) / programme.duration_ms if programme.duration_ms else 0
        return f"chỉ phát {share:.0%}, cần 95% (played {share:.0%} of 95%)"
    if local_month(event.at, tz) != month:
        return "ngoài tháng theo giờ của đài (outside the month)"
    return None


def counted_airings(
    events: Iterable[LoggedEvent], programme: ProgrammeFacts, month: str, tz: ZoneInfo
) -> int:
    """How many distinct airings of ``programme`` completed in ``month``.

    Cases: each entry must pass ``why_not_counted``; two completions of the
    same airing count once.
    """
    return len({e.airing_id for e in events if why_not_counted(e, programme, month, tz) is None})


def station_month_status(
    programme: ProgrammeFacts | None, requirement: Requirement, counted: int
) -> Status:
    """The verdict for one station-month.

    Cases: no approved programme → no_programme; a programme outside the
    campaign's length bounds → too_short / too_long whatever aired; fewer
    counted airings than required → short; otherwise compliant.
    """
    if programme is None:
        return Status.no_programme
    if programme.duration_ms < requirement.min_s * 1000:
        return Status.too_short
    if programme.duration_ms > requirement.max_s * 1000:
        return Status.too_long
    if counted < requirement.min_airings:
        return Status.short
    return Status.compliant
