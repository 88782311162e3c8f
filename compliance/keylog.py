"""Key enrolments, revocations and token rotations, written into the station's chain.

A player key is what makes a log entry evidence, so a key row added or changed
behind the log's back must show: each change of who may sign is itself an entry
of the station's chain, and ``verify`` takes the keys from the chain, not the table.
These entries are written by the server, so they carry no player signature.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from loa.canonical import canonical_json
from loa.compliance.ingest import KEY_ENROLLED, ChainWriter
from loa.compliance.models import AiringLogEntry
from loa.stations import players
from loa.stations.models import Player, PlayerKey

PLAYER_REVOKED = "player.revoked"
TOKEN_ROTATED = "player.token_rotated"
SERVER_EVENTS = frozenset({KEY_ENROLLED, PLAYER_REVOKED, TOKEN_ROTATED})


def key_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


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


def enrol(session: Session, player: Player, public_key_b64: str, now: datetime) -> PlayerKey:
    """Enrol a key and log it; enrolling a key the player already has logs nothing."""
    known = len(player.keys)
    key = players.enroll_key(session, player, public_key_b64, now)
    if len(player.keys) > known:
        append_server_entry(session, player, KEY_ENROLLED, {"public_key": key_text(key.public_key)},
                            now)
    return key


def revoke(session: Session, player_id: int, now: datetime, by: str) -> Player:
    """Revoke the player's token and log it (once: revoking a revoked player logs nothing)."""
    was_revoked = players.get_player(session, player_id).revoked
    player = players.revoke_player(session, player_id)
    if not was_revoked:
        append_server_entry(session, player, PLAYER_REVOKED, {"by": by}, now)
    return player


def rotate(session: Session, player_id: int, now: datetime, by: str) -> str:
    """Give the player a new token and log it; a revoked player may report again after this."""
    token = players.rotate_token(session, player_id)
    append_server_entry(session, players.get_player(session, player_id), TOKEN_ROTATED, {"by": by},
                        now)
    return token
