"""The schedule as the agent holds it, what is on air, and where a cut airing resumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loa.player.bulletins import PlacedBulletin, parse_placed
from loa.player.relay_schedule import Relay, parse_relays


@dataclass(frozen=True)
class Slot:
    """One airing of the schedule, as the agent keeps it."""

    airing_id: int
    starts_at: datetime
    duration_ms: int
    sha256: str
    url: str
    size: int | None
    # The campaign lets a restarted agent play the rest of this airing.
    resume: bool = False

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(milliseconds=self.duration_ms)


def parse_schedule(body: dict[str, Any] | None) -> list[Slot]:
    """The slots of a schedule answer, earliest first."""
    slots = [
        Slot(airing_id=int(a["id"]), starts_at=datetime.fromisoformat(a["starts_at"]),
             duration_ms=int(a["programme"]["duration_ms"]), sha256=a["audio"]["sha256"],
             url=a["audio"]["url"], size=a["audio"].get("bytes"),
             resume=bool(a.get("resume", False)))
        for a in (body or {}).get("airings", [])
    ]
    return sorted(slots, key=lambda s: (s.starts_at, s.airing_id))


def ms(delta: timedelta) -> int:
    """A duration in whole milliseconds, as events report them."""
    return round(delta.total_seconds() * 1000)


@dataclass
class Schedule:
    """The schedule as last fetched: its airings, placed bulletin plays, the player's id and mode.

    One object, replaced in place by the sync side and read by playout.
    """

    slots: list[Slot] = field(default_factory=list)
    placed: list[PlacedBulletin] = field(default_factory=list)
    relays: list[Relay] = field(default_factory=list)
    player_id: int | None = None
    mode: str | None = None

    def take(self, body: dict[str, Any] | None) -> None:
        """Hold what a schedule answer (or the copy kept on disk) says."""
        player = (body or {}).get("player", {})
        self.slots, self.placed = parse_schedule(body), parse_placed(body)
        self.relays = parse_relays(body)
        self.player_id, self.mode = player.get("id"), player.get("mode")


@dataclass
class NowPlaying:
    """The airing on air (``OnAir`` plays it); a resumed one is a second part, after
    ``before_ms`` already heard.

    It ends at ``deadline`` whatever the output says: the start of this part plus
    what was left of the audio, so an on-time airing ends at its scheduled end and
    a resumed part keeps the first part's end (the overrun cannot grow).
    """

    slot: Slot
    started_at: datetime
    from_ms: int = 0  # where in the audio this part began
    before_ms: int = 0  # played by the earlier part, before a restart
    saved_at: datetime | None = None  # when progress was last written to disk

    @property
    def length_ms(self) -> int:
        """How long this part plays at most: what was left of the audio."""
        return self.slot.duration_ms - self.from_ms

    @property
    def deadline(self) -> datetime:
        return self.started_at + timedelta(milliseconds=self.length_ms)

    def played_ms(self, now: datetime) -> int:
        """What the audience has heard of this airing by ``now``, over all its parts."""
        part = min(ms(now - self.started_at), self.slot.duration_ms - self.from_ms)
        return self.before_ms + max(part, 0)

    def note(self, heard_at: datetime) -> dict[str, Any]:
        """The on-disk record a restarted agent recovers from: heard up to ``heard_at``."""
        slot = self.slot
        return {"airing_id": slot.airing_id, "sha256": slot.sha256,
                "starts_at": slot.starts_at.isoformat(), "duration_ms": slot.duration_ms,
                "resume": slot.resume, "started_at": self.started_at.isoformat(),
                "from_ms": self.from_ms, "before_ms": self.before_ms,
                "heard_at": heard_at.isoformat()}


def resume_plan(note: dict[str, Any], slot: Slot, now: datetime) -> tuple[int, int | None]:
    """(ms heard before the stop, where in the audio to resume or None) for a cut airing.

    Cases: heard counts only up to the last saved progress (``heard_at``), so a
    crash never overstates it; no resume unless the slot allows it and its
    scheduled end is still ahead; the resume point is where the airing would be
    now had it never stopped, so it keeps to the schedule, never runs into the
    next airing, and the gap is simply not played (it counts against the 95% rule).
    """
    started = datetime.fromisoformat(note["started_at"])
    from_ms, before_ms = note.get("from_ms", 0), note.get("before_ms", 0)
    heard_at = datetime.fromisoformat(note.get("heard_at", note["started_at"]))
    heard = before_ms + max(min(ms(heard_at - started), note["duration_ms"] - from_ms), 0)
    position = from_ms + ms(now - started)
    if not slot.resume or now >= slot.ends_at or not 0 <= position < slot.duration_ms:
        return heard, None
    return heard, position
