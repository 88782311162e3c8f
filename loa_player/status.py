"""What the agent's own database says about it, read offline: `loa-player status --home DIR`."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from loa.player.config import AgentConfig


class NoAgentHere(Exception):
    """The folder holds no agent database."""


def _read(db: Path) -> tuple[dict[str, Any], int, int]:
    """The saved values, the events waiting, and the events the server rejected."""
    if not db.exists():
        raise NoAgentHere(f"Lỗi: không có cơ sở dữ liệu của thiết bị tại {db} "
                          f"(no agent database at {db})")
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
    try:
        values = {key: json.loads(text) for key, text in conn.execute("SELECT key, value FROM kv")}
        pending = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        dead = conn.execute("SELECT COUNT(*) FROM dead").fetchone()[0]
    finally:
        conn.close()
    return values, pending, dead


def _without_password(url: str) -> str:
    """The URL as a log may show it: a password in it is replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def start_lines(config: AgentConfig, now: datetime, cached_files: int) -> list[str]:
    """What the agent says as it starts: where it connects, then what it already holds."""
    broker = (_without_password(config.mqtt_url) if config.mqtt_url
              else f"không có, hỏi máy chủ mỗi {config.poll_s:g} giây "
                   f"(none: polling every {config.poll_s:g} s)")
    return [
        f"Máy chủ (server): {_without_password(config.server)}",
        f"Nhận tin đẩy (broker): {broker}",
        f"Thư mục (home): {config.home}",
        f"Đầu ra (outputs): {', '.join(config.outputs)}",
        f"Tệp âm thanh đã lưu: {cached_files} (audio files cached)",
        *status_lines(config.home, now, config.refused_grace_s),
    ]


def status_lines(home: Path, now: datetime, grace_s: float = AgentConfig.refused_grace_s
                 ) -> list[str]:
    """The agent's state as an engineer reads it on the box (Vietnamese, English in brackets)."""
    values, pending, dead = _read(AgentConfig("", "", home).db_path)
    airings = (values.get("schedule") or {}).get("airings", [])
    coming = sorted(a["starts_at"] for a in airings if datetime.fromisoformat(a["starts_at"]) > now)
    lines = [f"Lịch phát: {len(airings)} lượt, lượt tới {coming[0] if coming else '—'} "
             f"(schedule: {len(airings)} airings, next {coming[0] if coming else 'none'})",
             f"Sự kiện chờ gửi: {pending}, bị từ chối: {dead} "
             f"(events waiting: {pending}, rejected by the server: {dead})"]
    refused = values.get("refused")
    if refused:
        grace_s = refused.get("grace_s", grace_s)  # the agent's own setting, kept with it
        stops = datetime.fromisoformat(refused["since"]) + timedelta(seconds=grace_s)
        state = ("ĐÃ NGỪNG PHÁT (airing STOPPED)" if "stopped" in refused or now >= stops
                 else f"sẽ ngừng phát lúc {stops.isoformat()} (airing stops at that time)")
        lines.append(f"Máy chủ từ chối mã thiết bị (HTTP 401) từ {refused['since']}: {state}. "
                     "Đặt mã mới (loa player rotate-token) rồi khởi động lại "
                     "(the server refused the token; set a new one and restart)")
    else:
        lines.append("Mã thiết bị: được chấp nhận (token: accepted)")
    clock = values.get("clock")
    if clock:
        lines.append(f"Độ lệch đồng hồ {clock['ms']:+d} ms, đo lúc {clock.get('at', '?')} "
                     f"(clock offset, measured then; applied only in the boot it was measured in)")
    health = values.get("health") or {}
    for area, problem in (health.get("problems") or {}).items():
        lines.append(f"Sự cố {area}: {problem} (problem)")
    if health:
        lines.append(f"Nhịp tim cuối: {health.get('at')} (last heartbeat)")
    return lines
