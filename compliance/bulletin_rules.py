"""When a bulletin play counts (DESIGN §6, the airings' rules for bulletins), as pure
functions. Ingest (the delivery rows, so the delivery page and `loa bulletin show`) and
the settle job (a slot is `aired`) both ask ``why_play_not_counted``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from loa.clock import CLOCK_SLACK
from loa.compliance.rules import COMPLETE_SHARE
from loa.playlists.models import MAX_REASON_CHARS, AudioAsset, Bulletin, BulletinPriority

CUT_KEYS = ("cancelled", "reason", "error")  # a play stopped short says why in its detail
FAILED_WITHOUT_REASON = "thiết bị báo lỗi phát (the player reported a failed play)"


@dataclass(frozen=True)
class BulletinFacts:
    """A bulletin as the rule sees it for one player: the audio that player is given (its
    zone's language variant, or the bulletin's own), when it was live, how often it plays."""

    sha256: str
    duration_ms: int
    sent_at: datetime | None
    over_at: datetime  # cancelled_at if cancelled, else valid_until
    repeat_count: int
    placed: bool  # normal or priority: its plays are its slots


@dataclass(frozen=True)
class SlotFacts:
    """A placed play of the bulletin on the player's station."""

    slot_id: int
    starts_at: datetime


@dataclass(frozen=True)
class BulletinPlay:
    """One ``bulletin.started`` or ``bulletin.completed`` entry of the station's log."""

    event: str
    at: datetime
    played_ms: int | None
    sha256: str | None
    received_at: datetime
    offset_ms: int = 0  # the player's signed detail.clock_offset_ms
    slot_id: int | None = None
    cut: bool = False  # stopped short: cancelled, pre-empted, an output error

    @classmethod
    def of(cls, event: str, at: datetime, played_ms: int | None, sha256: str | None,
           received_at: datetime, detail: Any) -> BulletinPlay:
        """The play of a log entry's columns (a detail the player made up reads as none)."""
        detail = detail if isinstance(detail, dict) else {}
        return cls(event, at, played_ms, sha256, received_at,
                   _whole(detail.get("clock_offset_ms")) or 0, _whole(detail.get("slot_id")),
                   any(detail.get(key) for key in CUT_KEYS))


def play_failure(event: str, detail: Any) -> str | None:
    """Why a bulletin play was not heard, as its event says, or None if it was not a failure.

    Cases: ``bulletin.failed`` (the agent found every output failed, or only ``null``
    kept time) → its ``detail.reason``, or a generic reason when it gives none; a
    ``bulletin.completed`` carrying ``detail.error`` (agents before ``bulletin.failed``)
    → that error; a completion whose ``output`` is ``null`` after the real outputs
    failed (``output_errors``) → nobody heard it; any other event → None. A box set up
    with only the ``null`` output (a simulation) fell back from nothing: not a failure.
    """
    detail = detail if isinstance(detail, dict) else {}
    reason: str | None = None
    if event == "bulletin.failed":
        reason = _text(detail.get("reason")) or FAILED_WITHOUT_REASON
    elif event == "bulletin.completed":
        if _text(detail.get("error")):
            reason = _text(detail.get("error"))
        elif detail.get("output") == "null" and detail.get("output_errors"):
            errors = detail["output_errors"]
            said = "; ".join(str(e) for e in errors) if isinstance(errors, list) else str(errors)
            reason = f"no real output played: {said}"
    return None if reason is None else reason[:MAX_REASON_CHARS]


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def bulletin_facts(bulletin: Bulletin, heard: AudioAsset | None = None) -> BulletinFacts:
    """The rule's view of a stored bulletin, for a player given ``heard`` (the variant of
    its zone's language; None: the bulletin's own audio)."""
    over = bulletin.valid_until
    if bulletin.cancelled_at is not None:
        over = min(over, bulletin.cancelled_at)
    sha, duration = ((heard.sha256, heard.duration_ms) if heard is not None
                     else (bulletin.asset_sha256 or "", bulletin.duration_ms or 0))
    return BulletinFacts(sha, duration, bulletin.sent_at, over, bulletin.repeat_count,
                         bulletin.priority is not BulletinPriority.emergency)


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def play_began(play: BulletinPlay) -> datetime | None:
    """When the play began on the server's clock (None outside the calendar)."""
    try:
        return play.at - timedelta(milliseconds=(play.played_ms or 0) + play.offset_ms)
    except OverflowError:
        return None


def why_start_not_counted(play: BulletinPlay, bulletin: BulletinFacts,
                          fetched_at: datetime | None) -> str | None:
    """Why a play (started or completed) did not begin while the bulletin was live, on
    audio the player had, or None.

    Cases: the player never fetched the audio; a time outside the calendar; it began
    before the bulletin was sent, or before the player fetched it, or after the bulletin
    was cancelled or ended (each within the clock slack of a minute).
    """
    if play.sha256 != bulletin.sha256:
        return "âm thanh khác với thông báo (other audio than the bulletin's)"
    if fetched_at is None:
        return "thiết bị chưa từng tải âm thanh này (the player never fetched this audio)"
    began = play_began(play)
    if began is None:
        return "thời điểm không thể có (impossible time)"
    if bulletin.sent_at is None or began < bulletin.sent_at - CLOCK_SLACK:
        return "bắt đầu trước khi thông báo được gửi (began before the bulletin was sent)"
    if began < fetched_at - CLOCK_SLACK:
        return "bắt đầu trước khi thiết bị tải âm thanh (began before the player fetched it)"
    if began > bulletin.over_at + CLOCK_SLACK:
        return ("bắt đầu sau khi thông báo bị hủy hoặc hết hạn "
                "(began after it was cancelled or ended)")
    return None


def why_play_not_counted(
    play: BulletinPlay, bulletin: BulletinFacts, fetched_at: datetime | None,
    slot: SlotFacts | None, counted_before: int, tolerance: timedelta,
) -> str | None:
    """Why one bulletin play does not count for its target player, or None.

    Cases: only a completion counts, of the bulletin's own audio, not cut short, at
    least 95% of it and no more than it lasts plus ``tolerance``; it began while the
    bulletin was live on audio the player had (``why_start_not_counted``); a normal or
    priority bulletin's play names one of its slots on the station and began within
    ``tolerance`` of it; the server received it no earlier than it could have ended
    (sent, fetched or the slot's start, whichever is last, plus what played: the
    server's clock); and the player has not already had the bulletin's plays counted
    (more are logged, not counted).
    """
    if play.event != "bulletin.completed":
        return "không phải sự kiện phát xong (not a completion)"
    problem = why_start_not_counted(play, bulletin, fetched_at)
    if problem is not None:
        return problem
    played = play.played_ms or 0
    if play.cut:
        return "lượt phát bị dừng giữa chừng (the play was cut short)"
    if played < bulletin.duration_ms * COMPLETE_SHARE:
        share = math.floor(played * 1000 / max(bulletin.duration_ms, 1)) / 10
        return f"chỉ phát {share:.1f}%, cần 95% (played {share:.1f}% of 95%)"
    if played > bulletin.duration_ms + tolerance.total_seconds() * 1000:
        return "phát lâu hơn độ dài thông báo (played longer than the bulletin lasts)"
    if bulletin.placed:
        problem = _slot_problem(play, slot, tolerance)
        if problem is not None:
            return problem
    known = (bulletin.sent_at, fetched_at, slot.starts_at - tolerance if slot else None)
    earliest = max(t for t in known if t is not None)
    if play.received_at < earliest + timedelta(milliseconds=played):
        return ("máy chủ nhận trước khi lượt phát có thể kết thúc "
                "(received before the play could have ended)")
    if counted_before >= bulletin.repeat_count:
        return (f"đã đủ {bulletin.repeat_count} lượt phát, lượt này chỉ được ghi lại "
                f"(beyond the bulletin's {bulletin.repeat_count} plays: logged, not counted)")
    return None


def _slot_problem(play: BulletinPlay, slot: SlotFacts | None,
                  tolerance: timedelta) -> str | None:
    if slot is None or slot.slot_id != play.slot_id:
        return ("không ứng với lượt xếp nào của thông báo ở đài này "
                "(names no slot of this bulletin on this station)")
    began = play_began(play)
    if began is None or abs(began - slot.starts_at) > tolerance:
        minutes = round(tolerance.total_seconds() / 60)
        return f"lệch giờ xếp quá {minutes} phút (start off its slot by more than {minutes} min)"
    return None
