"""Typed settings read once from ``LOA_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


class SettingsError(ValueError):
    """A LOA_* variable has a value Loa cannot use."""


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    audio_dir: Path
    secret_key: str
    mqtt_url: str | None
    now: datetime | None
    tts_fallback: str | None
    session_minutes: int
    tts_cache_days: int
    # How far a play's start may lie from its airing's scheduled start and still count.
    start_tolerance_minutes: int = 5
    # Days after a month ends before it closes: late reports of offline players count until then.
    close_after_days: int = 5

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _parse_now(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise SettingsError(f"LOA_NOW must be an ISO 8601 instant, got {raw!r}") from exc
    if value.tzinfo is None:
        raise SettingsError(f"LOA_NOW needs a UTC offset, e.g. {raw}+07:00")
    return value.astimezone(UTC)


def _whole(env: Mapping[str, str], name: str, default: str) -> int:
    try:
        value = int(env.get(name, default))
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be above zero")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment, failing fast with a clear message."""
    env = os.environ if env is None else env
    home = Path(env.get("LOA_HOME", "var")).resolve()
    session_minutes = _whole(env, "LOA_SESSION_MINUTES", "60")
    return Settings(
        home=home,
        database_url=env.get("LOA_DATABASE_URL", f"sqlite:///{home / 'loa.db'}"),
        audio_dir=Path(env.get("LOA_AUDIO_DIR", str(home / "audio"))).resolve(),
        secret_key=env.get("LOA_SECRET_KEY", ""),
        mqtt_url=env.get("LOA_MQTT_URL") or None,
        now=_parse_now(env.get("LOA_NOW")),
        tts_fallback=env.get("LOA_TTS_FALLBACK", "espeak-ng") or None,
        session_minutes=session_minutes,
        tts_cache_days=_whole(env, "LOA_TTS_CACHE_DAYS", "90"),
        start_tolerance_minutes=_whole(env, "LOA_START_TOLERANCE_MINUTES", "5"),
        close_after_days=_whole(env, "LOA_CLOSE_AFTER_DAYS", "5"),
    )
