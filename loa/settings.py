"""Typed settings read once from ``LOA_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    airing_gap: timedelta  # clear air the planner leaves between two airings on a station
    scheduler_tick_s: int  # how often the scheduler announces live slots and checks its lock
    log_level: str
    # How far a play's start may lie from its airing's scheduled start and still count.
    start_tolerance_minutes: int = 5
    # Days after a month ends before it closes: late reports of offline players count until then.
    close_after_days: int = 5
    # How often players poll for their schedule: one silent for two polls is offline.
    player_poll_s: int = 300
    # Session cookies only over HTTPS: set when Loa is served behind TLS.
    secure_cookies: bool = False
    # A running render whose worker has not beaten for this long is taken by another worker.
    render_stale_s: int = 60
    # Behind nginx: answer audio with X-Accel-Redirect to this internal location ("/_audio/").
    accel_redirect: str | None = None
    # Proxies (nginx) in front whose X-Forwarded-For/-Proto are believed; 0: none.
    proxy_hops: int = 0
    # Ed25519 keys one player may have enrolled and not revoked at once.
    max_keys_per_player: int = 4
    # Free space (MB) a render must leave on the audio and cache volumes, or it is refused.
    render_reserve_mb: int = 1024
    # Bearer token Prometheus sends for /metrics; unset: /metrics answers loopback only.
    metrics_token: str | None = None
    # Hours a commune has to answer a normal bulletin offered from above before it is
    # accepted by itself (Thông tư 39/2020/TT-BTTTT: the commune decides about normal ones).
    offer_hours: int = 2
    # Alerts (loa.notify): the SMTP server e-mail goes through (STARTTLS), the webhook a
    # province bridges to Zalo OA or an SMS gateway, the key its HMAC signature is made with,
    # how long a player is silent before its admins hear, and the address links point at.
    smtp_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    offline_alert_minutes: int = 30
    public_url: str = "http://localhost:8080"
    # The share of a required relay slot's time a station must relay in a month (0 < x <= 1).
    relay_min_share: float = 0.9

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


def _share(env: Mapping[str, str], name: str, default: str) -> float:
    """A share above 0 and at most 1 (0.9 is 90%)."""
    try:
        value = float(env.get(name, default))
    except ValueError as exc:
        raise SettingsError(f"{name} phải là số, ví dụ 0.9 (must be a number)") from exc
    if not 0 < value <= 1:
        raise SettingsError(f"{name} phải lớn hơn 0 và tối đa 1 (must be in (0, 1])")
    return value


def _whole(env: Mapping[str, str], name: str, default: str, least: int = 1) -> int:
    try:
        value = int(env.get(name, default))
    except ValueError as exc:
        raise SettingsError(f"{name} phải là số nguyên (must be a whole number)") from exc
    if value < least:
        raise SettingsError(f"{name} phải từ {least} trở lên (must be at least {least})")
    return value


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(
            f"LOA_LOG_LEVEL phải là DEBUG, INFO, WARNING hoặc ERROR, không phải {raw!r} "
            "(must be DEBUG, INFO, WARNING or ERROR)"
        )
    return level


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} phải là 1 hoặc 0 (must be 1/true or 0/false), không phải {raw!r}")


def _accel(raw: str) -> str | None:
    """The internal location nginx serves the audio store from, as a path ending in /."""
    if not raw:
        return None
    if not (raw.startswith("/") and raw.endswith("/")):
        raise SettingsError(
            f"LOA_ACCEL_REDIRECT phải là đường dẫn bắt đầu và kết thúc bằng /, ví dụ /_audio/, "
            f"không phải {raw!r} (must be a path like /_audio/)"
        )
    return raw


MIN_METRICS_TOKEN = 16


def _metrics_token(raw: str) -> str | None:
    token = raw.strip()
    if token and len(token) < MIN_METRICS_TOKEN:
        raise SettingsError(
            f"LOA_METRICS_TOKEN cần ít nhất {MIN_METRICS_TOKEN} ký tự, ví dụ từ "
            f"`loa secret generate` (must be at least {MIN_METRICS_TOKEN} characters)"
        )
    return token or None


def _webhook_secret(env: Mapping[str, str]) -> str | None:
    """The webhook's HMAC key: required, and not short, once a webhook is set."""
    secret = env.get("LOA_WEBHOOK_SECRET", "").strip()
    if env.get("LOA_WEBHOOK_URL") and len(secret) < MIN_METRICS_TOKEN:
        raise SettingsError(
            f"LOA_WEBHOOK_SECRET cần ít nhất {MIN_METRICS_TOKEN} ký tự khi có LOA_WEBHOOK_URL, "
            f"ví dụ từ `loa secret generate` (the webhook needs a secret of at least "
            f"{MIN_METRICS_TOKEN} characters)"
        )
    return secret or None


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
        airing_gap=timedelta(seconds=_whole(env, "LOA_AIRING_GAP_SECONDS", "30", least=0)),
        scheduler_tick_s=_whole(env, "LOA_SCHEDULER_TICK_SECONDS", "5"),
        log_level=_log_level(env.get("LOA_LOG_LEVEL", "INFO")),
        start_tolerance_minutes=_whole(env, "LOA_START_TOLERANCE_MINUTES", "5"),
        close_after_days=_whole(env, "LOA_CLOSE_AFTER_DAYS", "5"),
        player_poll_s=_whole(env, "LOA_PLAYER_POLL_SECONDS", "300"),
        secure_cookies=_flag(env, "LOA_SECURE_COOKIES"),
        render_stale_s=_whole(env, "LOA_RENDER_STALE_SECONDS", "60"),
        accel_redirect=_accel(env.get("LOA_ACCEL_REDIRECT", "")),
        proxy_hops=_whole(env, "LOA_PROXY_HOPS", "0", least=0),
        max_keys_per_player=_whole(env, "LOA_MAX_KEYS_PER_PLAYER", "4"),
        render_reserve_mb=_whole(env, "LOA_RENDER_RESERVE_MB", "1024", least=0),
        metrics_token=_metrics_token(env.get("LOA_METRICS_TOKEN", "")),
        offer_hours=_whole(env, "LOA_OFFER_HOURS", "2"),
        smtp_url=env.get("LOA_SMTP_URL") or None,
        webhook_url=env.get("LOA_WEBHOOK_URL") or None,
        webhook_secret=_webhook_secret(env),
        offline_alert_minutes=_whole(env, "LOA_OFFLINE_ALERT_MINUTES", "30"),
        public_url=env.get("LOA_PUBLIC_URL", "http://localhost:8080").rstrip("/"),
        relay_min_share=_share(env, "LOA_RELAY_MIN_SHARE", "0.9"),
    )
