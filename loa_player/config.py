"""The agent's settings: where the server is, who it is, where it keeps its files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VERSION = "loa-agent/0.1"


@dataclass(frozen=True)
class AgentConfig:
    server: str
    token: str
    home: Path
    output: str = "null"
    mqtt_url: str | None = None
    poll_s: float = 300.0
    heartbeat_s: float = 300.0
    # Check and if need be re-fetch an airing's audio this long before it starts.
    preroll_s: float = 600.0
    # An airing is still started this late (agent busy or just booted); later is a miss.
    late_grace_s: float = 60.0
    # Save how far an airing has played this often: after a crash, what the audience heard
    # is known to within this (never overstated), and a resume keeps to it.
    progress_s: float = 10.0
    batch_size: int = 200
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 300.0

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def db_path(self) -> Path:
        return self.home / "agent.sqlite3"

    @property
    def key_path(self) -> Path:
        return self.home / "player.key"

    @property
    def played_log(self) -> Path:
        return self.home / "played.jsonl"
