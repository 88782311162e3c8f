"""Players: bearer tokens (stored hashed), enrolled signing keys, authentication."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.clock import CLOCK_TOLERANCE_MS
from loa.errors import LoaError
from loa.stations.broker_auth import issue_login
from loa.stations.models import DEFAULT_ZONE_CODE, Player, PlayerKey, PlayerMode, Station
from loa.stations.service import get_station
from loa.stations.zones import find_zone, get_zone


class PlayerAuthError(LoaError):
    """A missing, wrong or revoked player token."""


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so one SHA-256 suffices (no dictionary to slow down)."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_player(
    session: Session, station_code: str, name: str, mode: str = "prefetch",
    zone_code: str | None = None,
) -> tuple[Player, str]:
    """Create a player and return it with its token, which is never stored in clear.

    The token also gives the player its broker login (``stations.broker_auth``); it
    drives the zone ``zone_code``, else the station's default zone.
    """
    try:
        player_mode = PlayerMode(mode)
    except ValueError as exc:
        raise LoaError(f"Chế độ không hợp lệ {mode!r}: prefetch hoặc live") from exc
    station = get_station(session, station_code)
    _refuse_retired(station)
    # No zone named: the default one (None, its stand-in, if the station has no zone row).
    zone = (get_zone(session, station, zone_code) if zone_code
            else find_zone(session, station, DEFAULT_ZONE_CODE))
    token = secrets.token_urlsafe(32)
    player = Player(
        station=station,
        zone=zone,
        name=name,
        token_hash=hash_token(token),
        mode=player_mode,
        health={},
    )
    issue_login(player, token)
    session.add(player)
    session.flush()
    return player, token


MISSING_TOKEN = "Thiếu mã truy cập của thiết bị phát (missing player token)"
BAD_TOKEN = "Mã truy cập không đúng hoặc đã bị thu hồi (invalid player token)"


def authenticate(session: Session, token: str | None) -> Player:
    """The player holding ``token``, or PlayerAuthError."""
    if not token:
        raise PlayerAuthError(MISSING_TOKEN)
    player = session.scalar(select(Player).where(Player.token_hash == hash_token(token)))
    if player is None or player.revoked:
        raise PlayerAuthError(BAD_TOKEN)
    return player


def decode_public_key(text: str) -> bytes:
    """The 32 raw bytes of an Ed25519 public key given in base64."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise LoaError("Khóa công khai không phải base64 (public key is not base64)") from exc
    if len(raw) != 32:
        raise LoaError("Khóa công khai Ed25519 phải dài 32 byte (public key must be 32 bytes)")
    return raw


def enroll_key(session: Session, player: Player, public_key_b64: str, now: datetime) -> PlayerKey:
    """Register a public key for ``player``; enrolling the same key twice is a no-op."""
    raw = decode_public_key(public_key_b64)
    for key in player.keys:
        if key.public_key == raw:
            return key
    key = PlayerKey(player=player, public_key=raw, enrolled_at=now)
    session.add(key)
    session.flush()
    return key


HEALTH_FIELDS = (
    "version", "disk_free_mb", "volume", "signal", "state", "cached_files", "outbox",
    "problems", "clock_offset_age_s", "outputs",
)


def get_player(session: Session, player_id: int) -> Player:
    """The player with this id, or LoaError."""
    player = session.get(Player, player_id)
    if player is None:
        raise LoaError(f"Không tìm thấy thiết bị phát {player_id} (player not found)")
    return player


def rotate_token(session: Session, player_id: int) -> str:
    """Give the player a new token (returned once); the old one stops working at once.

    Its broker login changes with it (in the broker once the password file is rewritten).
    """
    player = get_player(session, player_id)
    _refuse_retired(player.station)
    token = secrets.token_urlsafe(32)
    player.token_hash = hash_token(token)
    issue_login(player, token)
    player.revoked = False
    session.flush()
    return token


def revoke_player(session: Session, player_id: int) -> Player:
    """Refuse the player's token and broker login from now on; its keys stay for verify."""
    player = get_player(session, player_id)
    player.revoked = True
    player.broker_password_hash = None
    session.flush()
    return player


def _refuse_retired(station: Station) -> None:
    """A retired station takes no player and no new token (its players were revoked for good)."""
    if station.retired_at is not None:
        raise LoaError(f"Đài {station.code} đã ngừng hoạt động (station is retired)")


def edit_player(session: Session, player: Player, name: str, mode: str) -> Player:
    """A player's new name and mode; its token, keys and chain stay as they are."""
    if not name.strip() or len(name.strip()) > 200:
        raise LoaError("Tên thiết bị cần 1 đến 200 ký tự (player name: 1-200 characters)")
    try:
        player.mode = PlayerMode(mode)
    except ValueError as exc:
        raise LoaError(f"Chế độ không hợp lệ {mode!r}: prefetch hoặc live") from exc
    player.name = name.strip()
    session.flush()
    return player


@dataclass(frozen=True)
class Heartbeat:
    """A checked heartbeat: its ``at`` in UTC, as the player wrote it, and its detail."""

    at: datetime
    reported_at: str
    detail: dict[str, Any]


def clock_offset_ms(heartbeat: Heartbeat, received_at: datetime) -> tuple[int, int]:
    """(reported, measured) clock offset of the player in ms, positive when it runs ahead.

    Cases: a clock a month or years off is measured in full (a 64-bit column
    keeps it); ``detail.clock_offset_ms``, already range-checked, is the reported one.
    """
    measured = round((heartbeat.at - received_at).total_seconds() * 1000)
    reported = heartbeat.detail.get("clock_offset_ms")
    if isinstance(reported, int) and not isinstance(reported, bool):
        return reported, measured
    return measured, measured


def apply_heartbeats(
    player: Player, heartbeats: list[Heartbeat], received_at: datetime
) -> list[str]:
    """Keep last_seen, health and clock offset from the newest heartbeat; return warnings.

    Cases: the agent's own estimate (``detail.clock_offset_ms``, raw clock minus
    server time) wins over the server's measurement, because a queued heartbeat
    looks late; an ``at`` more than 60 s in the future is flagged either way, since
    queueing cannot explain it; no heartbeat only refreshes last_seen.
    """
    player.last_seen = received_at
    if not heartbeats:
        return []
    newest = max(heartbeats, key=lambda h: h.at)
    offset, measured = clock_offset_ms(newest, received_at)
    flagged = abs(offset) > CLOCK_TOLERANCE_MS or measured > CLOCK_TOLERANCE_MS
    player.clock_offset_ms = offset
    health: dict[str, object] = {k: newest.detail[k] for k in HEALTH_FIELDS if k in newest.detail}
    health.update(reported_at=newest.reported_at, clock_offset_ms=offset, clock_flagged=flagged)
    player.health = health
    if not flagged:
        return []
    shown = offset if abs(offset) > CLOCK_TOLERANCE_MS else measured
    return [
        f"Đồng hồ thiết bị lệch {shown / 1000:+.0f} giây so với máy chủ "
        f"(player clock off by {shown / 1000:+.0f} s)"
    ]
