"""The relays of the schedule, as the agent holds them (one per slot occurrence)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loa.player.bulletins import Audio, parse_audio


@dataclass(frozen=True)
class Relay:
    """One occurrence of a relay slot, as the schedule lists it."""

    slot_id: int
    starts_at: datetime
    ends_at: datetime
    source: str
    name: str
    url: str
    fallback: Audio | None
    required: bool = False

    @property
    def key(self) -> str:
        return f"{self.slot_id}@{self.starts_at.isoformat()}"


def parse_relays(body: dict[str, Any] | None) -> list[Relay]:
    """The relays of a schedule answer, earliest first."""
    found = [
        Relay(int(r["slot_id"]), datetime.fromisoformat(r["starts_at"]),
              datetime.fromisoformat(r["ends_at"]), str(r["source"]["code"]),
              str(r["source"].get("name", "")), str(r["source"]["url"]),
              parse_audio(r["fallback"]) if r.get("fallback") else None,
              bool(r.get("required", False)))
        for r in (body or {}).get("relays", [])
    ]
    return sorted(found, key=lambda r: (r.starts_at, r.slot_id))
