"""Taking player events into the log: validate, verify signature, dedupe, append."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance.chain import GENESIS, entry_hash
from compliance.models import AiringLogEntry
from compliance.signatures import signature_matches
from loa.canonical import canonical_json
from loa.errors import LoaError
from playlists.models import Airing
from stations.models import Player, Station

AIRING_EVENTS = {"airing.started", "airing.completed", "airing.failed", "airing.interrupted"}
EVENT_TYPES = AIRING_EVENTS | {"heartbeat"}
SHA256 = re.compile(r"[0-9a-f]{64}")


class EventRejected(LoaError):
    """One event the log will not take; the message is the reason sent back."""


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)


def _normal_id(raw: Any) -> str | None:
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        return None


def _event_id(event: Any) -> str:
    if not isinstance(event, dict):
        raise EventRejected("sự kiện phải là một đối tượng JSON (event must be an object)")
    event_id = _normal_id(event.get("id"))
    if event_id is None:
        raise EventRejected("id phải là UUID (id must be a UUID)")
    return event_id


def _parse_at(value: Any) -> datetime:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise EventRejected("at phải là thời điểm ISO 8601 (at must be ISO 8601)") from exc
    if at.tzinfo is None:
        raise EventRejected("at cần múi giờ, ví dụ +07:00 (at needs a UTC offset)")
    return at


def signed_body(event: dict[str, Any]) -> str:
    """What a player signs: the event without ``sig``, as canonical JSON (DESIGN §5)."""
    return canonical_json({k: v for k, v in event.items() if k != "sig"})


def verify_signature(event: dict[str, Any], keys: list[bytes]) -> None:
    """Raise EventRejected unless ``sig`` is a valid Ed25519 signature by one of ``keys``."""
    if not signature_matches(str(event.get("sig", "")), signed_body(event), keys):
        raise EventRejected("chữ ký không hợp lệ với khóa đã đăng ký (bad signature)")


def _check_fields(event: dict[str, Any]) -> None:
    if event.get("type") not in EVENT_TYPES:
        raise EventRejected(f"loại sự kiện không hợp lệ: {event.get('type')!r} (unknown type)")
    sha = event.get("sha256")
    if sha is not None and not (isinstance(sha, str) and SHA256.fullmatch(sha)):
        raise EventRejected("sha256 phải là 64 ký tự hex (sha256 must be 64 hex digits)")
    played = event.get("played_ms")
    if played is not None and (
        not isinstance(played, int) or isinstance(played, bool) or played < 0
    ):
        raise EventRejected("played_ms phải là số nguyên không âm (played_ms must be >= 0)")
    if not isinstance(event.get("detail", {}), dict | None):
        raise EventRejected("detail phải là đối tượng JSON (detail must be an object)")


@dataclass
class _Batch:
    """One request's view of the chain: looked up once, appended in memory, flushed once."""

    session: Session
    player: Player
    received_at: datetime
    station_airings: set[int]
    known: dict[str, int]  # event id -> player id, for ids already in the log
    head: tuple[int, str] | None = None
    entries: list[AiringLogEntry] = field(default_factory=list)

    @classmethod
    def load(
        cls, session: Session, player: Player, events: list[Any], received_at: datetime
    ) -> _Batch:
        dicts = [e for e in events if isinstance(e, dict)]
        airing_ids = {e.get("airing_id") for e in dicts if isinstance(e.get("airing_id"), int)}
        event_ids = {i for i in (_normal_id(e.get("id")) for e in dicts) if i}
        owned = session.scalars(
            select(Airing.id).where(
                Airing.id.in_(airing_ids), Airing.station_id == player.station_id
            )
        )
        known = session.execute(
            select(AiringLogEntry.event_id, AiringLogEntry.player_id).where(
                AiringLogEntry.event_id.in_(event_ids)
            )
        )
        return cls(session, player, received_at, set(owned), {k: p for k, p in known})

    def check_airing(self, event: dict[str, Any]) -> None:
        airing_id = event.get("airing_id")
        if not isinstance(airing_id, int) or isinstance(airing_id, bool):
            raise EventRejected("airing_id phải là số nguyên (airing_id must be an integer)")
        if airing_id not in self.station_airings:
            raise EventRejected(
                f"lượt phát {airing_id} không thuộc đài của thiết bị này "
                "(airing not of this station)"
            )

    def _chain_head(self) -> tuple[int, str]:
        if self.head is None:
            self.head = locked_chain_head(self.session, self.player.station_id)
        return self.head

    def append(self, event_id: str, event: dict[str, Any]) -> None:
        seq, prev_hash = self._chain_head()
        entry = AiringLogEntry(
            station_id=self.player.station_id,
            seq=seq + 1,
            player_id=self.player.id,
            event_id=event_id,
            event=event["type"],
            airing_id=event["airing_id"],
            at=_parse_at(event["at"]).astimezone(UTC),
            received_at=self.received_at,
            asset_sha256=event.get("sha256"),
            played_ms=event.get("played_ms"),
            detail=event.get("detail") or {},
            sig=event.get("sig"),
            signed_body=signed_body(event),
            prev_hash=prev_hash,
        )
        entry.hash = entry_hash(entry)
        self.entries.append(entry)
        self.head = (entry.seq, entry.hash)
        self.known[event_id] = self.player.id


def locked_chain_head(session: Session, station_id: int) -> tuple[int, str]:
    """(seq, hash) of the station's newest entry, (0, GENESIS) if none, with the chain locked.

    Every writer of a chain (player events, key enrolments and revocations) takes it here.
    """
    # Lock the station row so two writers never take the same seq (PostgreSQL);
    # SQLite serialises writers itself, and the unique (station, seq) backs both.
    session.execute(select(Station.id).where(Station.id == station_id).with_for_update())
    last = session.execute(
        select(AiringLogEntry.seq, AiringLogEntry.hash)
        .where(AiringLogEntry.station_id == station_id)
        .order_by(AiringLogEntry.seq.desc())
        .limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


def _take(batch: _Batch, event: Any, keys: list[bytes], result: IngestResult) -> str:
    event_id = _event_id(event)
    _check_fields(event)
    _parse_at(event.get("at"))
    verify_signature(event, keys)
    if event["type"] == "heartbeat":
        result.heartbeats.append(event)
        return event_id
    batch.check_airing(event)
    owner = batch.known.get(event_id)
    if owner is None:
        batch.append(event_id, event)
    elif owner != batch.player.id:
        raise EventRejected(
            "id sự kiện đã được thiết bị khác dùng (event id used by another player)"
        )
    return event_id


def ingest_events(
    session: Session, player: Player, events: Any, received_at: datetime
) -> IngestResult:
    """Append a batch of player events to the station's chain; idempotent by event id.

    Cases: a known id from the same player is accepted again without a new entry
    (also within one batch); a malformed event, a bad signature, or an airing of
    another station is rejected with its reason and does not stop the rest of the batch.
    """
    if not isinstance(events, list):
        raise LoaError('Thân yêu cầu cần {"events": [...]} (body needs an events list)')
    keys = [k.public_key for k in player.keys]
    batch, result = _Batch.load(session, player, events, received_at), IngestResult()
    for event in events:
        try:
            result.accepted.append(_take(batch, event, keys, result))
        except EventRejected as err:
            raw_id = event.get("id") if isinstance(event, dict) else None
            result.rejected.append({"id": str(raw_id), "reason": str(err)})
    session.add_all(batch.entries)
    session.flush()
    return result


def chain_heads(session: Session, station_ids: list[int]) -> dict[int, tuple[int, str]]:
    """(seq, hash) of the newest entry of each station that has one."""
    newest = (
        select(AiringLogEntry.station_id, func.max(AiringLogEntry.seq).label("seq"))
        .where(AiringLogEntry.station_id.in_(station_ids))
        .group_by(AiringLogEntry.station_id)
        .subquery()
    )
    rows = session.execute(
        select(AiringLogEntry.station_id, AiringLogEntry.seq, AiringLogEntry.hash).join(
            newest,
            (newest.c.station_id == AiringLogEntry.station_id)
            & (newest.c.seq == AiringLogEntry.seq),
        )
    )
    return {r.station_id: (r.seq, r.hash) for r in rows}
