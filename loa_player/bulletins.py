"""Bulletins as the agent holds them: emergencies from /player/bulletins, placed plays from the
schedule, the one on air, and the rule for which repeat of an emergency is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Audio:
    sha256: str
    url: str
    size: int | None
    duration_ms: int


def parse_audio(body: dict[str, Any]) -> Audio:
    return Audio(body["sha256"], body["url"], body.get("bytes"), int(body["duration_ms"]))


@dataclass(frozen=True)
class Emergency:
    """An emergency bulletin from ``GET /player/bulletins``."""

    id: int
    title: str
    status: str  # active | cancelled (stop at once, drop the repeats) | ended (no more repeats)
    sent_at: datetime
    valid_until: datetime | None
    repeat_count: int
    repeat_every_s: int
    audio: Audio

    @property
    def active(self) -> bool:
        return self.status == "active"


def parse_emergencies(body: dict[str, Any] | None) -> list[Emergency]:
    """The emergency bulletins of an answer, earliest sent first."""
    found = [
        Emergency(id=int(b["id"]), title=str(b.get("title", "")),
                  status=str(b.get("status", "active")),
                  sent_at=datetime.fromisoformat(b["sent_at"]),
                  valid_until=(datetime.fromisoformat(b["valid_until"])
                               if b.get("valid_until") else None),
                  repeat_count=max(int(b.get("repeat_count") or 1), 1),
                  repeat_every_s=max(int(b.get("repeat_every_s") or 0), 0),
                  audio=parse_audio(b["audio"]))
        for b in (body or {}).get("bulletins", [])
        if b.get("priority", "emergency") == "emergency" and b.get("sent_at")
    ]
    return sorted(found, key=lambda e: (e.sent_at, e.id))


def next_repeat(bulletin: Emergency, first_unplayed: int, now: datetime) -> int | None:
    """The repeat (0-based) of ``bulletin`` to play at ``now``, or None.

    Repeat k is due at sent_at + k * repeat_every_s, for k < repeat_count.

    Cases: nothing once cancelled or ended, or from ``valid_until`` on; nothing
    before its time; repeats already played (below ``first_unplayed``) never
    again; a player that learns of it late (offline, restarted) plays the latest
    repeat due, not the missed ones one after another; with repeat_every_s 0 the
    repeats follow one another.
    """
    if not bulletin.active or first_unplayed >= bulletin.repeat_count:
        return None
    if bulletin.valid_until is not None and now >= bulletin.valid_until:
        return None
    if now < bulletin.sent_at:
        return None
    if bulletin.repeat_every_s == 0:
        return first_unplayed
    elapsed = (now - bulletin.sent_at).total_seconds()
    latest = min(int(elapsed // bulletin.repeat_every_s), bulletin.repeat_count - 1)
    return latest if latest >= first_unplayed else None


def next_repeat_at(bulletin: Emergency, first_unplayed: int) -> datetime | None:
    """When repeat ``first_unplayed`` falls due, or None if it never will."""
    if not bulletin.active or first_unplayed >= bulletin.repeat_count:
        return None
    at = bulletin.sent_at + timedelta(seconds=bulletin.repeat_every_s * first_unplayed)
    if bulletin.valid_until is not None and at >= bulletin.valid_until:
        return None
    return at


@dataclass(frozen=True)
class PlacedBulletin:
    """A normal or priority bulletin's placed play, from the schedule's ``bulletins``."""

    slot_id: int
    bulletin_id: int
    priority: str
    title: str
    starts_at: datetime
    audio: Audio

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(milliseconds=self.audio.duration_ms)


def parse_placed(body: dict[str, Any] | None) -> list[PlacedBulletin]:
    """The placed bulletin plays of a schedule answer, earliest first."""
    placed = [
        PlacedBulletin(slot_id=int(b["slot_id"]), bulletin_id=int(b["bulletin_id"]),
                       priority=str(b.get("priority", "normal")), title=str(b.get("title", "")),
                       starts_at=datetime.fromisoformat(b["starts_at"]),
                       audio=parse_audio(b["audio"]))
        for b in (body or {}).get("bulletins", [])
    ]
    return sorted(placed, key=lambda p: (p.starts_at, p.slot_id))


@dataclass
class BulletinOnAir:
    """A bulletin play on air: an emergency's repeat or a placed play (``slot_id``)."""

    bulletin_id: int
    audio: Audio
    detail: dict[str, Any]  # {"repeat": k} or {"slot_id": s}, copied into both events
    started_at: datetime
    emergency: bool = True

    @property
    def deadline(self) -> datetime:
        return self.started_at + timedelta(milliseconds=self.audio.duration_ms)

    def played_ms(self, now: datetime) -> int:
        part = round((now - self.started_at).total_seconds() * 1000)
        return max(min(part, self.audio.duration_ms), 0)

