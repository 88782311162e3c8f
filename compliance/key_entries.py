"""The key entries of a station's chain: which keys it enrolled for a player and which
it revoked since (the only keys that may sign, DESIGN §5). Read side only; writing them
is ``compliance.keylog``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from loa.compliance.models import AiringLogEntry
from loa.stations.models import Player

KEY_ENROLLED = "key.enrolled"  # the server's chain entry that lets a key sign
KEY_REVOKED = "key.revoked"  # the one that stops it: events received after it are refused
PLAYER_REVOKED = "player.revoked"
TOKEN_ROTATED = "player.token_rotated"
# The entries the server writes itself (unsigned): what verify applies to know who may sign.
SERVER_EVENTS = frozenset({KEY_ENROLLED, KEY_REVOKED, PLAYER_REVOKED, TOKEN_ROTATED})


def key_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def key_of(detail: Any) -> bytes | None:
    try:
        return base64.b64decode(str((detail or {}).get("public_key")), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        return None  # an unreadable entry enrols nothing; verify names it


def chain_key_entries(session: Session, player: Player) -> tuple[list[bytes], set[bytes]]:
    """(keys the station's chain enrolled for ``player`` in order, those it revoked since)."""
    rows = session.execute(
        select(AiringLogEntry.event, AiringLogEntry.detail).where(
            AiringLogEntry.station_id == player.station_id,
            AiringLogEntry.player_id == player.id,
            AiringLogEntry.event.in_((KEY_ENROLLED, KEY_REVOKED)),
        ).order_by(AiringLogEntry.seq)
    )
    return _key_entries(rows)


def _key_entries(rows: Iterable[tuple[str, Any]]) -> tuple[list[bytes], set[bytes]]:
    enrolled: list[bytes] = []
    revoked: set[bytes] = set()
    for event, detail in rows:
        raw = key_of(detail)
        if raw is None:
            continue
        if event == KEY_REVOKED:
            revoked.add(raw)
        elif raw not in enrolled:
            enrolled.append(raw)
    return enrolled, revoked


def chain_keys(session: Session, player: Player) -> list[bytes]:
    """The keys the station's chain enrolled for ``player`` and did not revoke: the only
    ones that may sign.

    Not the ``player_key`` table: a row inserted there behind the log's back must sign
    nothing (verify flags such a row; ingest must not count its events meanwhile).
    """
    enrolled, revoked = chain_key_entries(session, player)
    return [raw for raw in enrolled if raw not in revoked]


_SIGNER = (
    select(Player, AiringLogEntry.event, AiringLogEntry.detail)
    .outerjoin(AiringLogEntry, and_(
        AiringLogEntry.station_id == Player.station_id,
        AiringLogEntry.player_id == Player.id,
        AiringLogEntry.event.in_((KEY_ENROLLED, KEY_REVOKED)),
    ))
    .where(Player.token_hash == bindparam("token_hash"))
    .order_by(AiringLogEntry.seq)
)


def signer(session: Session, token: str | None) -> tuple[Player, list[bytes]]:
    """The player holding ``token`` and the keys its chain lets sign, in one query.

    The ingest path's authentication: as ``authenticate`` (same errors), with the
    key entries joined in, so a POST of events costs one round trip less.
    """
    # Here: the read side (reports, verify) loads no token or broker-login code.
    from loa.stations.players import BAD_TOKEN, MISSING_TOKEN, PlayerAuthError, hash_token

    if not token:
        raise PlayerAuthError(MISSING_TOKEN)
    rows = session.execute(_SIGNER, {"token_hash": hash_token(token)}).all()
    if not rows or rows[0][0].revoked:
        raise PlayerAuthError(BAD_TOKEN)
    enrolled, revoked = _key_entries((event, detail) for _p, event, detail in rows if event)
    return rows[0][0], [raw for raw in enrolled if raw not in revoked]
