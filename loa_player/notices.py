"""The push notices a player accepts from its MQTT topic, read strictly (§5 of the design).

Anything else on the topic — bytes that are not JSON, JSON that is not an
object, a known type with a field of the wrong type, a payload larger than any
notice — is not a notice: ``parse_notice`` answers why, and the listener logs
and drops it. A notice only asks the agent to look (fetch, or start an airing
that is due anyway): it is never trusted with more than that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# The server's notices are under 100 bytes; anything far larger is not one of them.
MAX_NOTICE_BYTES = 1024
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class ScheduleChanged:
    """``{"type": "schedule.changed"}``: fetch the schedule now."""

    def body(self) -> dict[str, object]:
        return {"type": "schedule.changed"}


@dataclass(frozen=True)
class PlayNow:
    """``{"type": "play.now", "airing_id": N}``: a live-mode player's slot has come."""

    airing_id: int

    def body(self) -> dict[str, object]:
        return {"type": "play.now", "airing_id": self.airing_id}


@dataclass(frozen=True)
class BulletinNotice:
    """``{"type": "bulletin" | "bulletin.cancelled", "bulletin_id": N}``: fetch the bulletins."""

    cancelled: bool
    bulletin_id: int

    def body(self) -> dict[str, object]:
        kind = "bulletin.cancelled" if self.cancelled else "bulletin"
        return {"type": kind, "bulletin_id": self.bulletin_id}


Notice = ScheduleChanged | PlayNow | BulletinNotice


class NotANotice(ValueError):
    """A payload that is none of the notices; the message says why (for the log)."""


def _row_id(body: dict[str, object], field: str) -> int:
    value = body.get(field)
    # bool is an int in Python; JSON true is not an id.
    if type(value) is not int or not 1 <= value <= MAX_ID:
        raise NotANotice(f"{field} must be a whole number 1…2⁶³−1, got {value!r:.40}")
    return value


def parse_notice(payload: bytes) -> Notice:
    """The notice ``payload`` carries, or NotANotice.

    Cases: over ``MAX_NOTICE_BYTES`` is refused unread; not UTF-8 JSON, nested
    past what the parser takes, or not an object is refused; an unknown
    ``type`` is refused (a newer server's notice: polling still brings it);
    a known type needs its id as a whole number (not a string, float or
    boolean); extra fields are ignored.
    """
    if len(payload) > MAX_NOTICE_BYTES:
        raise NotANotice(f"{len(payload)} bytes, more than any notice")
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise NotANotice(f"not JSON: {type(exc).__name__}") from exc
    if not isinstance(body, dict):
        raise NotANotice(f"not a JSON object but {type(body).__name__}")
    kind = body.get("type")
    if kind == "schedule.changed":
        return ScheduleChanged()
    if kind == "play.now":
        return PlayNow(_row_id(body, "airing_id"))
    if kind in ("bulletin", "bulletin.cancelled"):
        return BulletinNotice(kind == "bulletin.cancelled", _row_id(body, "bulletin_id"))
    raise NotANotice(f"unknown type {kind!r:.40}")
