"""The compliance rule of DESIGN §6, as pure functions from log facts to a verdict."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

COMPLETE_SHARE = 0.95


class Status(StrEnum):
    compliant = "compliant"
    short = "short"
    in_progress = "in_progress"
    no_programme = "no_programme"
    too_short = "too_short"
    too_long = "too_long"
    evidence_broken = "evidence_broken"  # the station's log fails `loa audit verify`


@dataclass(frozen=True)
class ProgrammeFacts:
    """A programme as the rule sees it: its master audio and length."""

    sha256: str
    duration_ms: int


@dataclass(frozen=True)
class Requirement:
    min_airings: int
    min_s: int
    max_s: int


@dataclass(frozen=True)
class AiringFacts:
    """One airing planned on the station, with the audio it carries."""

    airing_id: int
    campaign_id: int
    starts_at: datetime
    cancelled: bool
    programme: ProgrammeFacts | None
    # (language, audio) of the programme's recorded variants (design §4, zones)
    variants: tuple[tuple[str, ProgrammeFacts], ...] = ()


@dataclass(frozen=True)
class LoggedEvent:
    """One log entry of the station's chain (reported by a player of that station).

    ``offset_ms`` is how far the player's clock ran ahead of the server's when it
    stamped ``at`` (DESIGN §6: the event's signed ``detail.clock_offset_ms``, else 0).
    """

    event: str
    airing_id: int | None
    at: datetime
    asset_sha256: str | None
    played_ms: int | None
    received_at: datetime | None = None
    offset_ms: int = 0
    zone: str | None = None  # the zone of the player that logged it (None: the default one)
    language: str | None = None  # that zone's language


@dataclass(frozen=True)
class CountingRule:
    """What one station-month's completions are held against."""

    campaign_id: int
    month: str
    tz: ZoneInfo
    requirement: Requirement
    tolerance: timedelta


def local_month(at: datetime, tz: ZoneInfo) -> str:
    """The "YYYY-MM" an instant falls in, in the station's zone."""
    local = at.astimezone(tz)
    return f"{local.year}-{local.month:02d}"  # strftime("%Y-%m"), at a third of its cost


def _hhmm(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%H:%M:%S %d/%m")


def play_start(event: LoggedEvent) -> datetime | None:
    """When the play began on the server's clock: ``at`` minus what played, minus the offset.

    None when that falls outside the calendar (a device's nonsense must not crash a report).
    """
    try:
        return event.at - timedelta(milliseconds=(event.played_ms or 0) + event.offset_ms)
    except OverflowError:
        return None


def _airing_problem(airing: AiringFacts, rule: CountingRule) -> str | None:
    if airing.campaign_id != rule.campaign_id:
        return "lượt phát của chiến dịch khác (airing of another campaign)"
    if airing.cancelled:
        return "lượt phát đã bị hủy trước giờ phát (airing cancelled before it started)"
    if local_month(airing.starts_at, rule.tz) != rule.month:
        return "lượt phát xếp ngoài tháng theo giờ của đài (airing scheduled outside the month)"
    programme = airing.programme
    if programme is None:
        return "lượt phát chưa có âm thanh (airing has no audio)"
    bounds = rule.requirement
    if not bounds.min_s * 1000 <= programme.duration_ms <= bounds.max_s * 1000:
        return "độ dài chương trình ngoài giới hạn (programme length out of bounds)"
    return None


def _play_problem(
    event: LoggedEvent, airing: AiringFacts, programme: ProgrammeFacts, rule: CountingRule
) -> str | None:
    if event.asset_sha256 != programme.sha256:
        return "âm thanh khác với lượt phát (other audio than the airing carries)"
    played = event.played_ms or 0
    if played < programme.duration_ms * COMPLETE_SHARE:
        # Rounded down, so 94.99% never reads as the 95% it falls short of.
        share = math.floor(played * 1000 / max(programme.duration_ms, 1)) / 10
        return f"chỉ phát {share:.1f}%, cần 95% (played {share:.1f}% of 95%)"
    if played > programme.duration_ms + rule.tolerance.total_seconds() * 1000:
        return "phát lâu hơn độ dài chương trình (played longer than the programme lasts)"
    started = play_start(event)
    if started is None:
        return "thời điểm không thể có (impossible time)"
    if abs(started - airing.starts_at) > rule.tolerance:
        minutes = round(rule.tolerance.total_seconds() / 60)
        return (
            f"bắt đầu {_hhmm(started, rule.tz)}, lịch {_hhmm(airing.starts_at, rule.tz)}: "
            f"lệch quá {minutes} phút (start off schedule by more than {minutes} min)"
        )
    ended = airing.starts_at + timedelta(milliseconds=played)
    if event.received_at is not None and event.received_at < ended - rule.tolerance:
        return (
            "máy chủ nhận trước khi lượt phát có thể kết thúc "
            "(received before the airing could have ended)"
        )
    return None


def why_not_counted(
    event: LoggedEvent, airings: Mapping[int, AiringFacts], rule: CountingRule
) -> str | None:
    """Why one log entry does not count as an airing of the station-month, or None.

    Cases: only airing.completed counts; it must name an airing planned on this
    station, of this campaign, not cancelled (a cancelled airing was cancelled
    before it started, so no play of it is legitimate), scheduled in the month in
    the station's zone, whose programme is within the length bounds; the audio
    must be the one that airing carries (same sha256; in a zone whose language
    the programme has a variant in, that variant too: ``heard_audio``); at least
    95% of it must have played, and no more than it lasts (plus the tolerance); the play's
    start (``at`` − played − clock offset) must lie within the tolerance of the
    scheduled start; and the server must not have received it before the airing
    could have ended (the server's own clock, which no device sets).
    """
    if event.event != "airing.completed":
        return "không phải sự kiện phát xong (not a completion)"
    airing = airings.get(event.airing_id) if event.airing_id is not None else None
    if airing is None:
        return "không phải lượt phát đã xếp cho đài này (not an airing planned on this station)"
    problem = _airing_problem(airing, rule)
    if problem is not None or airing.programme is None:
        return problem
    return _play_problem(event, airing, heard_audio(event, airing, airing.programme), rule)


def heard_audio(event: LoggedEvent, airing: AiringFacts, master: ProgrammeFacts) -> ProgrammeFacts:
    """The audio a play is held against: the variant of its zone's language when it played
    that, else the master.

    Cases: a zone whose language has a variant may play the variant or the master
    (a schedule fetched before the variant was added); another language's variant
    is other audio.
    """
    if event.language is None:
        return master
    variant = dict(airing.variants).get(event.language)
    return variant if variant is not None and event.asset_sha256 == variant.sha256 else master


def counted_airings(
    events: Iterable[LoggedEvent], airings: Mapping[int, AiringFacts], rule: CountingRule
) -> int:
    """How many distinct airings of the station-month completed as the rule asks.

    Cases: each entry must pass ``why_not_counted``; two completions of the
    same airing count once.
    """
    return len({e.airing_id for e in events if why_not_counted(e, airings, rule) is None})


def station_month_status(
    programme: ProgrammeFacts | None, requirement: Requirement, counted: int, ended: bool
) -> Status:
    """The verdict for one station-month.

    Cases: counted airings ≥ required → compliant, whatever was approved since
    (earned airings stay earned; each counted airing's programme was within the
    length bounds); otherwise a month not yet ended → in_progress; no approved
    programme → no_programme; the programme that applies outside the campaign's
    length bounds → too_short / too_long; else short.
    """
    if counted >= requirement.min_airings:
        return Status.compliant
    if not ended:
        return Status.in_progress
    if programme is None:
        return Status.no_programme
    if programme.duration_ms < requirement.min_s * 1000:
        return Status.too_short
    if programme.duration_ms > requirement.max_s * 1000:
        return Status.too_long
    return Status.short


@dataclass(frozen=True)
class ZoneVerdict:
    """One zone's share of a station-month verdict (design §6, "Counting by zone")."""

    code: str
    counted: int
    required: int
    status: Status


def counted_by_zone(
    events: Iterable[LoggedEvent],
    airings: Mapping[int, AiringFacts],
    rule: CountingRule,
    default_zone: str,
) -> dict[str, int]:
    """Per zone code, the distinct airings its players completed as the rule asks.

    Cases: a completion counts for the zone of the player that logged it (no zone:
    ``default_zone``); the same airing completed in two zones counts once in each;
    twice in one zone, once.
    """
    return counted_airings_by_zone(events, airings, rule, default_zone)[1]


def counted_airings_by_zone(
    events: Iterable[LoggedEvent],
    airings: Mapping[int, AiringFacts],
    rule: CountingRule,
    default_zone: str,
) -> tuple[int, dict[str, int]]:
    """``counted_airings`` and ``counted_by_zone`` at once, each entry judged once (a
    country's report judges some ten thousand)."""
    done: dict[str, set[int | None]] = {}
    for e in events:
        if why_not_counted(e, airings, rule) is None:
            done.setdefault(e.zone or default_zone, set()).add(e.airing_id)
    return len(set().union(*done.values())), {code: len(ids) for code, ids in done.items()}


def counts_by_zone(playing: Collection[str]) -> bool:
    """Whether a station's month is judged zone by zone: two or more zones have a player in use.

    Cases: one zone (or none) with an enrolled, unrevoked player → the station
    reads as one, exactly as before zones existed.
    """
    return len(playing) > 1


def station_counted(total: int, by_zone: Mapping[str, int], playing: Collection[str]) -> int:
    """The count the station-month's verdict rests on.

    Cases: judged as one (``counts_by_zone`` false) → every counted airing of the
    station, whichever player logged it; judged by zone → the least count among
    the zones with a player in use (a zone without one is not waited for).
    """
    if not counts_by_zone(playing):
        return total
    return min(by_zone.get(code, 0) for code in playing)


def zone_verdicts(
    programme: ProgrammeFacts | None,
    requirement: Requirement,
    by_zone: Mapping[str, int],
    playing: Collection[str],
    ended: bool,
) -> list[ZoneVerdict]:
    """Each zone with a player in use, with its count and verdict, in ``playing``'s order.

    Cases: empty when the station is judged as one; otherwise each zone's status
    is ``station_month_status`` of its own count.
    """
    if not counts_by_zone(playing):
        return []
    return [
        ZoneVerdict(
            code,
            by_zone.get(code, 0),
            requirement.min_airings,
            station_month_status(programme, requirement, by_zone.get(code, 0), ended),
        )
        for code in playing
    ]
