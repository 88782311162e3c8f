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
    # Outputs in the order to try them; each is retried once before the next (see design §5).
    outputs: tuple[str, ...] = ("null",)
    alsa_device: str | None = None  # aplay -D; None: ALSA's default device
    output_tries: int = 2
    mqtt_url: str | None = None
    poll_s: float = 300.0
    # Emergency bulletins are fetched this often besides at each push notice (a 304 is cheap).
    bulletin_poll_s: float = 15.0
    heartbeat_s: float = 300.0
    # Check and if need be re-fetch an airing's audio this long before it starts.
    preroll_s: float = 600.0
    # An airing is still started this late (agent busy or just booted); later is a miss.
    late_grace_s: float = 60.0
    # Save how far an airing has played this often: after a crash, what the audience heard
    # is known to within this (never overstated), and a resume keeps to it.
    progress_s: float = 10.0
    # A 401 (token revoked or rotated) stops scheduled airings after this long, time enough
    # to put a rotated token on the box; meanwhile the server is asked only this often.
    refused_grace_s: float = 3600.0
    refused_retry_s: float = 900.0
    # After a push notice, an unchanged schedule (the notice outran the change) is fetched
    # again this many times, this far apart.
    notice_retries: int = 3
    notice_retry_s: float = 2.0
    # An emergency starts on all its players within a second, while the last of them are
    # still fetching its audio: what a player records then (the cut, the start) goes to the
    # server a random moment later, up to this long, so the reports do not meet the fetches.
    report_spread_s: float = 1.5
    # Sleep at most this long between looks at the wall clock, so a clock step is seen
    # well within ``late_grace_s``.
    recheck_s: float = 5.0
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
