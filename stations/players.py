"""Players: bearer tokens (stored hashed), enrolled signing keys, authentication."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.errors import LoaError
from stations.models import Player, PlayerKey, PlayerMode
from stations.service import get_station


class PlayerAuthError(LoaError):
    """A missing, wrong or revoked player token."""


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so one SHA-256 suffices (no dictionary to slow down)."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_player(
    session: Session, station_code: str, name: str, mode: str = "prefetch"
) -> tuple[Player, str]:
    """Create a player and return it with its token, which is never stored in clear."""
    try:
        player_mode = PlayerMode(mode)
    except ValueError as exc:
        raise LoaError(f"Chế độ không hợp lệ {mode!r}: prefetch hoặc live") from exc
    token = secrets.token_urlsafe(32)
    player = Player(
        station=get_station(session, station_code),
        name=name,
        token_hash=hash_token(token),
        mode=player_mode,
        health={},
    )
    session.add(player)
    session.flush()
    return player, token


def authenticate(session: Session, token: str | None) -> Player:
    """The player holding ``token``, or PlayerAuthError."""
    if not token:
        raise PlayerAuthError("Thiếu mã truy cập của thiết bị phát (missing player token)")
    player = session.scalar(select(Player).where(Player.token_hash == hash_token(token)))
    if player is None or player.revoked:
        raise PlayerAuthError("Mã truy cập không đúng hoặc đã bị thu hồi (invalid player token)")
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
