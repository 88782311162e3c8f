"""Taking player events into the log: check every value, verify the signature, append once."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from loa.canonical import canonical_json, nesting_depth
from loa.compliance.chain import GENESIS, entry_hash
from loa.compliance.models import AiringLogEntry
from loa.compliance.rules import COMPLETE_SHARE
from loa.compliance.signatures import signature_matches
from loa.errors import LoaError
from loa.playlists.models import Airing, Bulletin, BulletinDelivery
from loa.stations.models import Player
from loa.stations.players import (
    BAD_TOKEN,
    CLOCK_TOLERANCE_MS,
    MISSING_TOKEN,
    Heartbeat,
    PlayerAuthError,
    hash_token,
)

KEY_ENROLLED = "key.enrolled"  # the server's chain entry that lets a key sign
KEY_REVOKED = "key.revoked"  # the one that stops it: events received after it are refused
AIRING_EVENTS = {"airing.started", "airing.completed", "airing.failed", "airing.interrupted"}
BULLETIN_EVENTS = {"bulletin.started", "bulletin.completed"}
EVENT_TYPES = AIRING_EVENTS | BULLETIN_EVENTS | {"heartbeat"}
SHA256 = re.compile(r"[0-9a-f]{64}")

# Limits on what one event may carry (DESIGN §5). A value past them is a broken or
# hostile device: that event is rejected with the reason, the rest of the batch stands.
MAX_PLAYED_MS = 24 * 3600 * 1000  # no airing plays a day long; more is a broken counter
MAX_ROW_ID = 2**63 - 1  # the largest id a 64-bit column can hold
MAX_BULLETIN_ID = 2**31 - 1  # bulletin ids are INTEGER columns
# A box whose clock battery died boots at 1970 and is still a clock; year 1 or 9999 is not.
AT_REACH = timedelta(days=100 * 365)
MAX_CLOCK_OFFSET_MS = int(AT_REACH.total_seconds() * 1000)
MAX_EVENT_BYTES = 16 * 1024
MAX_DETAIL_BYTES = 8 * 1024
MAX_DETAIL_DEPTH = 8
# Two int4 keys name the lock; their key space is apart from the scheduler's one bigint key.
CHAIN_LOCK = 0x4C4F41  # "LOA"


class EventRejected(LoaError):
    """One event the log will not take; the message is the reason sent back."""


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    logged: int = 0  # new entries appended to the chain (0: nothing that is evidence)


def _event_id(event: Any) -> str:
    """The event's id, which must already be the canonical lower-case hyphenated UUID.

    Rewriting another spelling would store an id the player never signed, so verify
    would later flag the genuine entry; such an id is refused instead.
    """
    if not isinstance(event, dict):
        raise EventRejected("sự kiện phải là một đối tượng JSON (event must be an object)")
    raw = event.get("id")
    try:
        canonical = isinstance(raw, str) and str(uuid.UUID(raw)) == raw
    except ValueError:
        canonical = False
    if not canonical:
        raise EventRejected(
            "id phải là UUID chữ thường có gạch nối, ví dụ 3f2b0c1e-8d4a-4c8e-9b1a-2f6d5e7c9a10 "
            "(id must be a canonical lower-case UUID)"
        )
    return str(raw)


def signed_body(event: dict[str, Any]) -> str:
    """What a player signs: the event without ``sig``, as canonical JSON (DESIGN §5)."""
    return canonical_json({k: v for k, v in event.items() if k != "sig"})


def _plain_json(value: Any, what: str, limit: int) -> str:
    """``value`` as canonical JSON, refusing NaN, Infinity, text UTF-8 cannot carry, and
    more than ``limit`` bytes."""
    try:
        text = canonical_json(value, strict=True)
        size = len(text.encode())
    except ValueError as exc:  # NaN/Infinity, or a lone surrogate (UnicodeEncodeError)
        raise EventRejected(
            f"{what} chứa NaN/Infinity hoặc chuỗi không phải UTF-8 ({what} is not plain JSON)"
        ) from exc
    if size > limit:
        raise EventRejected(f"{what} quá lớn, tối đa {limit} byte ({what} too large)")
    return text


def verify_signature(event: dict[str, Any], keys: list[bytes], body: str | None = None) -> None:
    """Raise EventRejected unless ``sig`` is a valid Ed25519 signature by one of ``keys``.

    ``body`` is the event's signed body when the caller has made it already.
    """
    body = signed_body(event) if body is None else body
    if not signature_matches(str(event.get("sig", "")), body, keys):
        raise EventRejected("chữ ký không hợp lệ với khóa đã đăng ký (bad signature)")


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_at(value: Any, received_at: datetime) -> datetime:
    """The event's ``at`` in UTC; within a century of the server's time, else rejected.

    Cases: no offset, not ISO 8601, or an instant UTC cannot hold (year 1 at +07:00,
    year 9999 at -05:00) are rejected; a clock a month or years off is kept as sent.
    """
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None:
        raise EventRejected("at phải là thời điểm ISO 8601 (at must be ISO 8601)")
    if at.tzinfo is None:
        raise EventRejected("at cần múi giờ, ví dụ +07:00 (at needs a UTC offset)")
    try:
        at = at.astimezone(UTC)
    except OverflowError:
        at = None
    if at is None or abs(at - received_at) > AT_REACH:
        raise EventRejected(
            "at cách giờ máy chủ quá 100 năm (at is more than a century from server time)"
        )
    return at


def _check_detail(detail: Any) -> None:
    if not isinstance(detail, dict | None):
        raise EventRejected("detail phải là đối tượng JSON (detail must be an object)")
    if nesting_depth(detail) > MAX_DETAIL_DEPTH:
        raise EventRejected(
            f"detail lồng quá {MAX_DETAIL_DEPTH} tầng (detail nested too deep)"
        )
    _plain_json(detail, "detail", MAX_DETAIL_BYTES)


def _check_numbers(event: dict[str, Any]) -> None:
    played = event.get("played_ms")
    if played is not None and not (_whole_number(played) and 0 <= played <= MAX_PLAYED_MS):
        raise EventRejected(
            f"played_ms phải là số nguyên từ 0 đến {MAX_PLAYED_MS} "
            f"(played_ms must be a whole number 0..{MAX_PLAYED_MS})"
        )
    offset = (event.get("detail") or {}).get("clock_offset_ms")
    if offset is not None and not (_whole_number(offset) and abs(offset) <= MAX_CLOCK_OFFSET_MS):
        raise EventRejected(
            "detail.clock_offset_ms phải là số nguyên trong ±100 năm "
            "(clock_offset_ms must be a whole number within a century)"
        )
    if event["type"] in AIRING_EVENTS:
        airing_id = event.get("airing_id")
        if not (_whole_number(airing_id) and 1 <= airing_id <= MAX_ROW_ID):
            raise EventRejected(
                "airing_id phải là số nguyên dương (airing_id must be a positive whole number)"
            )
    _check_bulletin_fields(event)


def _check_bulletin_fields(event: dict[str, Any]) -> None:
    """A bulletin event names its bulletin and no airing; no other event names a bulletin."""
    bulletin_id = event.get("bulletin_id")
    if event["type"] not in BULLETIN_EVENTS:
        if bulletin_id is not None:
            raise EventRejected(
                "chỉ sự kiện bulletin.* mang bulletin_id (only bulletin events carry bulletin_id)"
            )
        return
    if not (_whole_number(bulletin_id) and 1 <= bulletin_id <= MAX_BULLETIN_ID):
        raise EventRejected(
            "bulletin_id phải là số nguyên dương (bulletin_id must be a positive whole number)"
        )
    if event.get("airing_id") is not None:
        raise EventRejected("sự kiện thông báo không có airing_id (bulletin events have no airing)")


def check_event(event: dict[str, Any], received_at: datetime) -> tuple[datetime, str]:
    """Range-check every field before anything reaches the database.

    Returns ``at`` in UTC and the signed body (the event without ``sig``, canonical).
    """
    body = _plain_json({k: v for k, v in event.items() if k != "sig"}, "sự kiện",
                       MAX_EVENT_BYTES)
    if event.get("type") not in EVENT_TYPES:
        raise EventRejected(f"loại sự kiện không hợp lệ: {event.get('type')!r} (unknown type)")
    sha = event.get("sha256")
    if sha is not None and not (isinstance(sha, str) and SHA256.fullmatch(sha)):
        raise EventRejected("sha256 phải là 64 ký tự hex (sha256 must be 64 hex digits)")
    _check_detail(event.get("detail"))
    _check_numbers(event)
    return parse_at(event.get("at"), received_at), body


_PG_CHAIN_LOCK = select(func.pg_advisory_xact_lock(cast(CHAIN_LOCK, Integer),
                                                   cast(bindparam("station"), Integer)))


def lock_chain(session: Session, station_id: int) -> None:
    """Hold the station's chain for the rest of the transaction, before reading anything.

    PostgreSQL: an advisory transaction lock per station (a row lock on the station
    would also block other transactions' foreign-key checks). SQLite: BEGIN IMMEDIATE,
    the database's one write lock, since its default deferred BEGIN only locks at the
    first write, after the head was read. A transaction that has already written
    holds that lock.
    """
    if session.get_bind().dialect.name == "sqlite":
        raw = session.connection().connection.dbapi_connection
        if raw is not None and not raw.in_transaction:  # type: ignore[attr-defined]
            raw.execute("BEGIN IMMEDIATE")
        return
    session.execute(_PG_CHAIN_LOCK, {"station": station_id})


class ChainWriter:
    """Appends entries to one station's chain: locks it, reads its head, links each entry.

    The one way to add to a chain (player events, and any entry the server writes
    itself). On SQLite, make it before any savepoint, which would begin a deferred
    transaction that the lock cannot then upgrade.
    """

    def __init__(self, session: Session, station_id: int,
                 head: tuple[int, str] | None = None) -> None:
        """Lock the chain and read its head; or take ``head``, read by a caller that
        holds the lock already (the ingest path reads it with the rest of its batch)."""
        self.session, self.station_id = session, station_id
        if head is not None:
            self.head = head
            return
        lock_chain(session, station_id)
        last = session.execute(
            select(AiringLogEntry.seq, AiringLogEntry.hash)
            .where(AiringLogEntry.station_id == station_id)
            .order_by(AiringLogEntry.seq.desc())
            .limit(1)
        ).first()
        self.head: tuple[int, str] = (last.seq, last.hash) if last else (0, GENESIS)

    def link(self, entry: AiringLogEntry) -> AiringLogEntry:
        """Number ``entry``, link it to the head and hash it; the caller stores it."""
        entry.station_id = self.station_id
        entry.seq, entry.prev_hash = self.head[0] + 1, self.head[1]
        entry.hash = entry_hash(entry)
        self.head = (entry.seq, entry.hash)
        return entry

    def append(self, entry: AiringLogEntry) -> AiringLogEntry:
        """Number ``entry``, link it to the head, hash it, and add it to the session."""
        self.session.add(self.link(entry))
        return entry


# The columns an entry is stored with (all but the id the database gives).
ENTRY_COLUMNS = (
    "station_id", "seq", "player_id", "event_id", "event", "airing_id", "at", "received_at",
    "asset_sha256", "played_ms", "detail", "sig", "signed_body", "prev_hash", "hash",
    "bulletin_id",
)


_INSERT_ENTRIES = insert(AiringLogEntry.__table__).returning(AiringLogEntry.__table__.c.id)


@dataclass
class _Checked:
    event_id: str
    event: dict[str, Any]
    at: datetime
    body: str


def _batch_view() -> Any:
    """Airings of the station among the batch's, owners of its known ids, and the chain head:
    one statement, built once (the hot path of every POST of events)."""
    station = bindparam("station")
    newest = (
        select(AiringLogEntry.seq, AiringLogEntry.hash)
        .where(AiringLogEntry.station_id == station)
        .order_by(AiringLogEntry.seq.desc())
        .limit(1)
        .subquery()
    )
    return union_all(
        select(literal("airing"), Airing.id, cast(None, String)).where(
            Airing.id.in_(bindparam("airings", expanding=True)), Airing.station_id == station),
        select(literal("known"), AiringLogEntry.player_id, AiringLogEntry.event_id).where(
            AiringLogEntry.event_id.in_(bindparam("events", expanding=True))),
        select(literal("head"), newest.c.seq, newest.c.hash),
    )


_BATCH_VIEW = _batch_view()


@dataclass
class _Batch:
    """One request's view of the log, looked up after the chain was locked."""

    player: Player
    station_airings: set[int]
    known: dict[str, int]  # event id -> player id, for ids already in the log
    head: tuple[int, str]  # the chain's (seq, hash), read under the lock
    station_bulletins: dict[int, str]  # bulletin sent to this station -> its audio's sha256
    bulletin_ms: dict[int, int] = field(default_factory=dict)  # -> its audio's duration

    @classmethod
    def load(cls, session: Session, player: Player, events: list[_Checked]) -> _Batch:
        """Which airings are the station's, which ids are known, and the head: one query."""
        airing_ids = {c.event["airing_id"] for c in events if c.event["type"] in AIRING_EVENTS}
        rows = session.execute(_BATCH_VIEW, {
            "station": player.station_id, "airings": list(airing_ids),
            "events": [c.event_id for c in events],
        }).all()
        heads = [(seq, text) for kind, seq, text in rows if kind == "head"]
        bulletin_ids = {c.event["bulletin_id"] for c in events
                        if c.event["type"] in BULLETIN_EVENTS}
        found = session.execute(
            select(Bulletin.id, Bulletin.asset_sha256, Bulletin.duration_ms).where(
                Bulletin.id.in_(bulletin_ids),
                Bulletin.id.in_(select(BulletinDelivery.bulletin_id).where(
                    BulletinDelivery.station_id == player.station_id)),
            )
        ).all() if bulletin_ids else []
        return cls(player,
                   {n for kind, n, _ in rows if kind == "airing"},
                   {text: n for kind, n, text in rows if kind == "known"},
                   heads[0] if heads else (0, GENESIS),
                   {r.id: r.asset_sha256 for r in found},
                   {r.id: r.duration_ms or 0 for r in found})

    def _check_owner(self, event: dict[str, Any]) -> None:
        if event["type"] in BULLETIN_EVENTS:
            sha = self.station_bulletins.get(event["bulletin_id"])
            if sha is None:
                raise EventRejected(
                    f"thông báo {event['bulletin_id']} không gửi tới đài của thiết bị này "
                    "(bulletin not sent to this station)"
                )
            if event.get("sha256") != sha:
                raise EventRejected(
                    "sha256 khác âm thanh của thông báo (sha256 is not the bulletin's audio)"
                )
        elif event["airing_id"] not in self.station_airings:
            raise EventRejected(
                f"lượt phát {event['airing_id']} không thuộc đài của thiết bị này "
                "(airing not of this station)"
            )

    def entry(self, checked: _Checked, received_at: datetime) -> AiringLogEntry | None:
        """The new log entry for ``checked``, or None if the log already holds it."""
        event = checked.event
        self._check_owner(event)
        owner = self.known.get(checked.event_id)
        if owner is not None and owner != self.player.id:
            raise EventRejected(
                "id sự kiện đã được thiết bị khác dùng (event id used by another player)"
            )
        if owner is not None:
            return None
        self.known[checked.event_id] = self.player.id
        return AiringLogEntry(
            player_id=self.player.id,
            event_id=checked.event_id,
            event=event["type"],
            airing_id=event.get("airing_id"),
            bulletin_id=event.get("bulletin_id"),
            at=checked.at,
            received_at=received_at,
            asset_sha256=event.get("sha256"),
            played_ms=event.get("played_ms"),
            detail=event.get("detail") or {},
            sig=event.get("sig"),
            signed_body=checked.body,
        )


def _rejected(event: Any, err: EventRejected) -> dict[str, str]:
    raw_id = event.get("id") if isinstance(event, dict) else None
    return {"id": str(raw_id)[:100], "reason": str(err)}


@dataclass
class _Outcome:
    """Answers by position in the batch, so the reply keeps the batch's order."""

    accepted: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    logged: int = 0

    def copy(self) -> _Outcome:
        return _Outcome(list(self.accepted), list(self.rejected), self.heartbeats, [])

    def result(self) -> IngestResult:
        return IngestResult([i for _, i in sorted(self.accepted)],
                            [r for _, r in sorted(self.rejected, key=lambda p: p[0])],
                            self.heartbeats, self.warnings, self.logged)


def _key_of(detail: Any) -> bytes | None:
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
        raw = _key_of(detail)
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


def _screen(keys: list[bytes], events: list[Any], received_at: datetime,
            outcome: _Outcome) -> list[tuple[int, _Checked]]:
    """Every airing event that passes the checks and the signature, with its batch position."""
    passed: list[tuple[int, _Checked]] = []
    for position, event in enumerate(events):
        try:
            event_id = _event_id(event)
            at, body = check_event(event, received_at)
            verify_signature(event, keys, body)
        except EventRejected as err:
            outcome.rejected.append((position, _rejected(event, err)))
            continue
        if event["type"] == "heartbeat":
            outcome.heartbeats.append(Heartbeat(at, event["at"], event.get("detail") or {}))
            outcome.accepted.append((position, event_id))
        else:
            passed.append((position, _Checked(event_id, event, at, body)))
    return passed


def _append(session: Session, player: Player, passed: list[tuple[int, _Checked]],
            received_at: datetime, outcome: _Outcome) -> None:
    """Append what is new to the locked chain, in batch order; one multi-row INSERT.

    Core, not the unit of work: the entries are written once and never read back
    in this transaction, and the ORM's bookkeeping was most of a batch's time.
    """
    batch, writer = _Batch.load(session, player, [c for _, c in passed]), None
    rows: list[dict[str, Any]] = []
    for position, checked in passed:
        try:
            entry = batch.entry(checked, received_at)
        except EventRejected as err:
            outcome.rejected.append((position, _rejected(checked.event, err)))
            continue
        if entry is not None:
            writer = writer or ChainWriter(session, player.station_id, batch.head)
            writer.link(entry)
            rows.append({column: getattr(entry, column) for column in ENTRY_COLUMNS})
            if entry.bulletin_id is not None:
                _record_play(session, player, entry, batch.bulletin_ms[entry.bulletin_id])
        outcome.accepted.append((position, checked.event_id))
        ahead = checked.at - received_at
        if ahead > timedelta(milliseconds=CLOCK_TOLERANCE_MS) and not outcome.warnings:
            outcome.warnings.append(
                f"Sự kiện có thời điểm ở tương lai {ahead.total_seconds():+.0f} giây "
                f"(event time {ahead.total_seconds():+.0f} s ahead of server)"
            )
    if rows:
        # With RETURNING, SQLAlchemy sends "insertmanyvalues": one multi-row INSERT per
        # 1,000 rows from a cached statement, not one INSERT per row.
        session.execute(_INSERT_ENTRIES, rows).all()
    outcome.logged = len(rows)


def _record_play(session: Session, player: Player, entry: AiringLogEntry,
                 duration_ms: int) -> None:
    """The delivery row follows the log: first start, last completion, completed plays.

    A completion counts as for airings: at least 95% of the bulletin played and no more
    than it lasts plus a minute (a player cut off after a second, or claiming a day, is
    logged as it signed, but has not completed the bulletin).
    """
    row = session.scalar(select(BulletinDelivery).where(
        BulletinDelivery.bulletin_id == entry.bulletin_id,
        BulletinDelivery.player_id == player.id))
    if row is None:  # a player added to the station after the bulletin was sent
        row = BulletinDelivery(bulletin_id=entry.bulletin_id, station_id=player.station_id,
                               player_id=player.id, plays=0)
        session.add(row)
    if entry.event == "bulletin.started":
        row.started_at = min(row.started_at or entry.at, entry.at)
    elif (COMPLETE_SHARE * duration_ms <= (entry.played_ms or 0)
          <= duration_ms + CLOCK_TOLERANCE_MS):
        row.completed_at = max(row.completed_at or entry.at, entry.at)
        row.plays = (row.plays or 0) + 1


def ingest_events(
    session: Session, player: Player, events: Any, received_at: datetime,
    keys: list[bytes] | None = None,
) -> IngestResult:
    """Append a batch of player events to the station's chain; idempotent by event id.

    ``keys``: the player's chain keys when the caller read them already (see
    ``signer``). Cases: a known id from the same player is accepted again without
    a new entry (also within one batch, and when the same batch arrives many
    times at once: the chain is locked before known ids and the head are read);
    a malformed event, a value out of range, a bad signature, or an airing of
    another station is rejected with its reason and does not stop the rest of
    the batch. Another station's player writing the same event id at the same
    moment (the lock is per station) ends in IntegrityError: the caller runs the
    transaction again, which then sees that id and rejects the event.
    """
    if not isinstance(events, list):
        raise LoaError('Thân yêu cầu cần {"events": [...]} (body needs an events list)')
    outcome = _Outcome()
    keys = chain_keys(session, player) if keys is None else keys
    passed = _screen(keys, events, received_at, outcome)
    if passed:
        lock_chain(session, player.station_id)  # before known ids and the head are read
        _append(session, player, passed, received_at, outcome)
    return outcome.result()


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
    if not token:
        raise PlayerAuthError(MISSING_TOKEN)
    rows = session.execute(_SIGNER, {"token_hash": hash_token(token)}).all()
    if not rows or rows[0][0].revoked:
        raise PlayerAuthError(BAD_TOKEN)
    enrolled, revoked = _key_entries((event, detail) for _p, event, detail in rows if event)
    return rows[0][0], [raw for raw in enrolled if raw not in revoked]


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
