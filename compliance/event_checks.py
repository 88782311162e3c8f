"""Checks on one player event before anything reaches the database: every field's
type and range, the id's spelling, the time, the signature (DESIGN §5)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from loa.canonical import canonical_json, nesting_depth
from loa.compliance.signatures import signature_matches
from loa.errors import LoaError

AIRING_EVENTS = {"airing.started", "airing.completed", "airing.failed", "airing.interrupted"}
# bulletin.failed: a play nobody heard through (every output failed, or only null kept time).
BULLETIN_EVENTS = {"bulletin.started", "bulletin.completed", "bulletin.failed"}
# A live relay's play (DESIGN §5 "Relays"): no airing, no bulletin; detail.slot_id names
# the relay slot.
RELAY_EVENTS = {"relay.started", "relay.dropout", "relay.completed", "relay.failed"}
EVENT_TYPES = AIRING_EVENTS | BULLETIN_EVENTS | RELAY_EVENTS | {"heartbeat"}
SHA256 = re.compile(r"[0-9a-f]{64}")

# Limits on what one event may carry (DESIGN §5). A value past them is a broken or
# hostile device: that event is rejected with the reason, the rest of the batch stands.
MAX_PLAYED_MS = 24 * 3600 * 1000  # no airing plays a day long; more is a broken counter
MAX_ROW_ID = 2**63 - 1  # the largest id a 64-bit column can hold
MAX_BULLETIN_ID = 2**31 - 1  # bulletin ids are INTEGER columns
# A box whose clock battery died boots at 1970 and is still a clock; year 1 or 9999 is not.
AT_REACH = timedelta(days=100 * 365)
MAX_CLOCK_OFFSET_MS = int(AT_REACH.total_seconds() * 1000)
MAX_EVENT_BYTES = 16 * 1024
MAX_DETAIL_BYTES = 8 * 1024
MAX_DETAIL_DEPTH = 8


class EventRejected(LoaError):
    """One event the log will not take; the message is the reason sent back."""


def canonical_event_id(event: Any) -> str:
    """The event's id, which must already be the canonical lower-case hyphenated UUID.

    Rewriting another spelling would store an id the player never signed, so verify
    would later flag the genuine entry; such an id is refused instead.
    """
    if not isinstance(event, dict):
        raise EventRejected("sự kiện phải là một đối tượng JSON (event must be an object)")
    raw = event.get("id")
    try:
        canonical = isinstance(raw, str) and str(uuid.UUID(raw)) == raw
    except ValueError:
        canonical = False
    if not canonical:
        raise EventRejected(
            "id phải là UUID chữ thường có gạch nối, ví dụ 3f2b0c1e-8d4a-4c8e-9b1a-2f6d5e7c9a10 "
            "(id must be a canonical lower-case UUID)"
        )
    return str(raw)


def signed_body(event: dict[str, Any]) -> str:
    """What a player signs: the event without ``sig``, as canonical JSON (DESIGN §5)."""
    return canonical_json({k: v for k, v in event.items() if k != "sig"})


def _plain_json(value: Any, what: str, limit: int) -> str:
    """``value`` as canonical JSON, refusing NaN, Infinity, text UTF-8 cannot carry, and
    more than ``limit`` bytes."""
    try:
        text = canonical_json(value, strict=True)
        size = len(text.encode())
    except ValueError as exc:  # NaN/Infinity, or a lone surrogate (UnicodeEncodeError)
        raise EventRejected(
            f"{what} chứa NaN/Infinity hoặc chuỗi không phải UTF-8 ({what} is not plain JSON)"
        ) from exc
    if size > limit:
        raise EventRejected(f"{what} quá lớn, tối đa {limit} byte ({what} too large)")
    return text


def verify_signature(event: dict[str, Any], keys: list[bytes], body: str | None = None) -> None:
    """Raise EventRejected unless ``sig`` is a valid Ed25519 signature by one of ``keys``.

    ``body`` is the event's signed body when the caller has made it already.
    """
    body = signed_body(event) if body is None else body
    if not signature_matches(str(event.get("sig", "")), body, keys):
        raise EventRejected("chữ ký không hợp lệ với khóa đã đăng ký (bad signature)")


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_at(value: Any, received_at: datetime) -> datetime:
    """The event's ``at`` in UTC; within a century of the server's time, else rejected.

    Cases: no offset, not ISO 8601, or an instant UTC cannot hold (year 1 at +07:00,
    year 9999 at -05:00) are rejected; a clock a month or years off is kept as sent.
    """
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None:
        raise EventRejected("at phải là thời điểm ISO 8601 (at must be ISO 8601)")
    if at.tzinfo is None:
        raise EventRejected("at cần múi giờ, ví dụ +07:00 (at needs a UTC offset)")
    try:
        at = at.astimezone(UTC)
    except OverflowError:
        at = None
    if at is None or abs(at - received_at) > AT_REACH:
        raise EventRejected(
            "at cách giờ máy chủ quá 100 năm (at is more than a century from server time)"
        )
    return at


def _check_detail(detail: Any) -> None:
    if not isinstance(detail, dict | None):
        raise EventRejected("detail phải là đối tượng JSON (detail must be an object)")
    if nesting_depth(detail) > MAX_DETAIL_DEPTH:
        raise EventRejected(
            f"detail lồng quá {MAX_DETAIL_DEPTH} tầng (detail nested too deep)"
        )
    _plain_json(detail, "detail", MAX_DETAIL_BYTES)


def _of_type(value: Any, kinds: tuple[type, ...]) -> bool:
    """``value`` is JSON of one of ``kinds`` (a boolean is no number: JSON tells them apart)."""
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds)


NUMBER = (int, float)
# Every field of an event with its JSON type (null: not given; ``id`` and ``type`` are
# checked for their values, which only a string can have).
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "airing_id": (int,), "bulletin_id": (int,), "played_ms": (int,), "sha256": (str,),
    "at": (str,), "detail": (dict,), "sig": (str,),
}
# The detail fields the server reads or shows, with their JSON types; the rest of
# ``detail`` is the device's own record, kept as signed.
DETAIL_TYPES: dict[str, dict[str, tuple[type, ...]]] = {
    "heartbeat": {  # stored as the player's health and shown on the pages
        "version": (str,), "state": (str,), "disk_free_mb": NUMBER, "volume": NUMBER,
        "signal": NUMBER, "cached_files": (int,), "outbox": (int,),
        "clock_offset_age_s": NUMBER, "outputs": (list,), "problems": (dict,),
    },
    "bulletin.started": {"slot_id": (int,), "repeat": (int,)},
    "bulletin.completed": {"slot_id": (int,), "repeat": (int,)},
    "bulletin.failed": {"slot_id": (int,), "repeat": (int,), "reason": (str,)},
    "relay.started": {"slot_id": (int,), "starts_at": (str,), "late_ms": (int,)},
    "relay.dropout": {"slot_id": (int,), "starts_at": (str,), "from": (str,), "to": (str,),
                      "reason": (str,)},
    "relay.completed": {"slot_id": (int,), "starts_at": (str,), "relayed_ms": (int,),
                        "fallback_ms": (int,), "silence_ms": (int,), "dropouts": (int,)},
    "relay.failed": {"slot_id": (int,), "starts_at": (str,), "reason": (str,)},
}
JSON_NAMES = {str: ("chuỗi", "a string"), int: ("số nguyên", "a whole number"),
              float: ("số", "a number"), list: ("danh sách", "a list"),
              dict: ("đối tượng", "an object")}


def _check_types(fields: dict[str, Any], types: dict[str, tuple[type, ...]],
                 prefix: str = "") -> None:
    """Each of ``types``' fields present in ``fields`` has its JSON type (null: not given)."""
    for name, kinds in types.items():
        value = fields.get(name)
        if value is not None and not _of_type(value, kinds):
            vi = " hoặc ".join(JSON_NAMES[k][0] for k in kinds)
            en = " or ".join(JSON_NAMES[k][1] for k in kinds)
            raise EventRejected(f"{prefix}{name} phải là {vi} ({prefix}{name} must be {en})")


def _check_numbers(event: dict[str, Any]) -> None:
    played = event.get("played_ms")
    if played is not None and not (_whole_number(played) and 0 <= played <= MAX_PLAYED_MS):
        raise EventRejected(
            f"played_ms phải là số nguyên từ 0 đến {MAX_PLAYED_MS} "
            f"(played_ms must be a whole number 0..{MAX_PLAYED_MS})"
        )
    offset = (event.get("detail") or {}).get("clock_offset_ms")
    if offset is not None and not (_whole_number(offset) and abs(offset) <= MAX_CLOCK_OFFSET_MS):
        raise EventRejected(
            "detail.clock_offset_ms phải là số nguyên trong ±100 năm "
            "(clock_offset_ms must be a whole number within a century)"
        )
    if event["type"] in RELAY_EVENTS:
        _check_relay_fields(event)
    if event["type"] in AIRING_EVENTS:
        airing_id = event.get("airing_id")
        if not (_whole_number(airing_id) and 1 <= airing_id <= MAX_ROW_ID):
            raise EventRejected(
                "airing_id phải là số nguyên dương (airing_id must be a positive whole number)"
            )
    _check_bulletin_fields(event)


def _check_bulletin_fields(event: dict[str, Any]) -> None:
    """A bulletin event names its bulletin and no airing; no other event names a bulletin."""
    bulletin_id = event.get("bulletin_id")
    if event["type"] not in BULLETIN_EVENTS:
        if bulletin_id is not None:
            raise EventRejected(
                "chỉ sự kiện bulletin.* mang bulletin_id (only bulletin events carry bulletin_id)"
            )
        return
    if not (_whole_number(bulletin_id) and 1 <= bulletin_id <= MAX_BULLETIN_ID):
        raise EventRejected(
            "bulletin_id phải là số nguyên dương (bulletin_id must be a positive whole number)"
        )
    if event.get("airing_id") is not None:
        raise EventRejected("sự kiện thông báo không có airing_id (bulletin events have no airing)")


RELAY_REASONS = {"no_data", "silence", "error"}


def _check_relay_fields(event: dict[str, Any]) -> None:
    """A relay event names its slot and no airing; its times are whole milliseconds."""
    detail = event.get("detail") or {}
    slot_id = detail.get("slot_id")
    if not (_whole_number(slot_id) and 1 <= slot_id <= MAX_BULLETIN_ID):
        raise EventRejected("detail.slot_id của khung tiếp sóng phải là số nguyên dương "
                            "(relay events need detail.slot_id)")
    if event.get("airing_id") is not None:
        raise EventRejected("sự kiện tiếp sóng không có airing_id (relay events have no airing)")
    for name in ("relayed_ms", "fallback_ms", "silence_ms"):
        value = detail.get(name)
        if value is not None and not 0 <= value <= MAX_PLAYED_MS:
            raise EventRejected(f"detail.{name} phải từ 0 đến {MAX_PLAYED_MS} "
                                f"(detail.{name} out of range)")
    reason = detail.get("reason")
    if event["type"] == "relay.dropout" and reason not in RELAY_REASONS:
        raise EventRejected("detail.reason phải là no_data, silence hoặc error "
                            "(reason must be no_data, silence or error)")


def check_event(event: dict[str, Any], received_at: datetime) -> tuple[datetime, str]:
    """Range-check every field before anything reaches the database.

    Returns ``at`` in UTC and the signed body (the event without ``sig``, canonical).
    """
    body = _plain_json({k: v for k, v in event.items() if k != "sig"}, "sự kiện",
                       MAX_EVENT_BYTES)
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:  # a dict or list: no set member
        raise EventRejected(f"loại sự kiện không hợp lệ: {str(kind)[:60]!r} (unknown type)")
    _check_types(event, FIELD_TYPES)
    sha = event.get("sha256")
    if sha is not None and not (isinstance(sha, str) and SHA256.fullmatch(sha)):
        raise EventRejected("sha256 phải là 64 ký tự hex (sha256 must be 64 hex digits)")
    _check_detail(event.get("detail"))
    _check_types(event.get("detail") or {}, DETAIL_TYPES.get(kind, {}), "detail.")
    _check_numbers(event)
    return parse_at(event.get("at"), received_at), body
