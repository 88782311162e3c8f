"""Key enrolments, revocations and token rotations, written into the station's chain.

A player key is what makes a log entry evidence, so a key row added or changed
behind the log's back must show: each change of who may sign is itself an entry
of the station's chain, and ``verify`` takes the keys from the chain, not the table.
These entries are written by the server, so they carry no player signature.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from loa.canonical import canonical_json
from loa.clock import Clock
from loa.compliance.chain import ChainWriter, lock_chain
from loa.compliance.key_entries import (
    KEY_ENROLLED,
    KEY_REVOKED,
    PLAYER_REVOKED,
    TOKEN_ROTATED,
    chain_key_entries,
    key_text,
)
from loa.compliance.models import AiringLogEntry
from loa.errors import LoaError
from loa.stations import players
from loa.stations.models import Player, PlayerKey

DEFAULT_MAX_KEYS = 4  # LOA_MAX_KEYS_PER_PLAYER


class KeyRefused(LoaError):
    """A key the player may not enrol now (the API answers 409): over the limit, or revoked."""


def server_body(
    event_id: str, event: str, player_id: int, at: datetime, detail: dict[str, Any]
) -> str:
    """The canonical JSON a server-written entry keeps as its ``signed_body``."""
    body = {"id": event_id, "type": event, "player_id": player_id, "at": at.isoformat(),
            "detail": detail}
    return canonical_json(body)


def append_server_entry(
    session: Session, player: Player, event: str, detail: dict[str, Any], now: datetime
) -> AiringLogEntry:
    """Append one server-written entry about ``player`` to its station's chain."""
    event_id = str(uuid.uuid4())
    entry = ChainWriter(session, player.station_id).append(
        AiringLogEntry(
            player_id=player.id,
            event_id=event_id,
            event=event,
            airing_id=None,
            at=now,
            received_at=now,
            asset_sha256=None,
            played_ms=None,
            detail=detail,
            sig=None,
            signed_body=server_body(event_id, event, player.id, now, detail),
        )
    )
    session.flush()
    return entry


def enrol(session: Session, player: Player, public_key_b64: str, now: datetime,
          max_keys: int = DEFAULT_MAX_KEYS) -> PlayerKey:
    """Enrol a key and log it; enrolling a key the player already has logs nothing.

    Cases: a key the chain revoked is refused for good (the device makes a new
    one); a new key past ``max_keys`` keys in use is refused until an operator
    revokes one. Counted under the chain's lock, so two enrolments at once
    cannot both pass the limit.
    """
    raw = players.decode_public_key(public_key_b64)
    lock_chain(session, player.station_id)
    enrolled, revoked = chain_key_entries(session, player)
    if raw in revoked:
        raise KeyRefused("Khóa này đã bị thu hồi, thiết bị cần tạo khóa mới "
                         "(this key was revoked: the device must make a new one)")
    in_use = [k for k in enrolled if k not in revoked]
    if raw not in in_use and len(in_use) >= max_keys:
        raise KeyRefused(
            f"Thiết bị đã có {len(in_use)} khóa (tối đa {max_keys}): thu hồi một khóa bằng "
            f"`loa player revoke-key` (player already has {max_keys} keys: revoke one first)"
        )
    known = len(player.keys)
    key = players.enroll_key(session, player, public_key_b64, now)
    if len(player.keys) > known:
        append_server_entry(session, player, KEY_ENROLLED, {"public_key": key_text(key.public_key)},
                            now)
    return key


def revoke_key(session: Session, player_id: int, key: str, clock: Clock, by: str) -> PlayerKey:
    """Stop one of the player's keys signing and log it; ``key`` is its id or its base64.

    Events it signed before stay evidence; its row stays for verify. Revoking twice logs
    once. The chain is locked before anything else and the time read once it is held,
    so the revocation is ordered with the station's batches: every batch before it in
    the chain was received before it, and ingest re-reads the keys under the same lock,
    so nothing the key signs is appended after it (DESIGN §5).
    """
    player = players.get_player(session, player_id)
    lock_chain(session, player.station_id)
    row = next((k for k in player.keys
                if str(k.id) == key.strip() or key_text(k.public_key) == key.strip()), None)
    if row is None:
        raise LoaError(f"Thiết bị {player_id} không có khóa {key} (no such key for this player)")
    _enrolled, revoked = chain_key_entries(session, player)
    if row.public_key not in revoked:
        append_server_entry(session, player, KEY_REVOKED,
                            {"public_key": key_text(row.public_key), "by": by}, clock.now())
    return row


def revoke(session: Session, player_id: int, clock: Clock, by: str) -> Player:
    """Revoke the player's token and log it (once: revoking a revoked player logs nothing).

    Ordered with the station's batches as ``revoke_key`` is: the chain lock first, then
    the token refused and the entry stamped; ingest re-reads the player under the lock.
    """
    player = players.get_player(session, player_id)
    lock_chain(session, player.station_id)
    session.refresh(player)  # as it stands now that the lock is held (READ COMMITTED)
    was_revoked = player.revoked
    players.revoke_player(session, player_id)
    if not was_revoked:
        append_server_entry(session, player, PLAYER_REVOKED, {"by": by}, clock.now())
    return player


def rotate(session: Session, player_id: int, now: datetime, by: str) -> str:
    """Give the player a new token and log it; a revoked player may report again after this."""
    token = players.rotate_token(session, player_id)
    append_server_entry(session, players.get_player(session, player_id), TOKEN_ROTATED, {"by": by},
                        now)
    return token
