"""Taking player events into the log: check every value, verify the signature, append once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, cast, insert, literal, select, union_all
from sqlalchemy.orm import Session

from loa.clock import CLOCK_SLACK
from loa.compliance.bulletin_rules import (
    BulletinFacts,
    BulletinPlay,
    SlotFacts,
    bulletin_facts,
    play_failure,
    why_play_not_counted,
    why_start_not_counted,
)
from loa.compliance.chain import GENESIS, ChainWriter, lock_chain
from loa.compliance.event_checks import (
    AIRING_EVENTS,
    BULLETIN_EVENTS,
    RELAY_EVENTS,
    EventRejected,
    canonical_event_id,
    check_event,
    verify_signature,
)
from loa.compliance.key_entries import KEY_REVOKED, chain_keys, key_of
from loa.compliance.models import AiringLogEntry
from loa.errors import LoaError
from loa.playlists.bulletin_delivery import delivery_row, record_failure, record_play
from loa.playlists.bulletin_zones import player_audio
from loa.playlists.models import Airing, Bulletin, BulletinDelivery, BulletinSlot
from loa.playlists.relays import player_relay_ids
from loa.settings import Settings
from loa.stations.models import Player
from loa.stations.players import BAD_TOKEN, Heartbeat, PlayerAuthError

START_TOLERANCE = timedelta(minutes=Settings.start_tolerance_minutes)  # LOA_START_TOLERANCE_MINUTES


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    logged: int = 0  # new entries appended to the chain (0: nothing that is evidence)


# The columns an entry is stored with (all but the id the database gives).
ENTRY_COLUMNS = (
    "station_id", "seq", "player_id", "event_id", "event", "airing_id", "at", "received_at",
    "asset_sha256", "played_ms", "detail", "sig", "signed_body", "prev_hash", "hash",
    "bulletin_id",
)


_INSERT_ENTRIES = insert(AiringLogEntry.__table__).returning(AiringLogEntry.__table__.c.id)


class SignerRevoked(LoaError):
    """The batch's signer was revoked while it waited for the chain (the API answers 409;
    the agent keeps the batch, as for a refused token)."""


@dataclass
class _Checked:
    event_id: str
    event: dict[str, Any]
    at: datetime
    body: str


def _batch_view() -> Any:
    """Airings of the station among the batch's, owners of its known ids, the chain head and
    the player's revocations: one statement, built once (the hot path of every POST)."""
    station, player = bindparam("station"), bindparam("player")
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
        # Revocation state, read again now that the lock is held (``signer`` read it before).
        select(literal("revoked"), Player.id, cast(None, String)).where(
            Player.id == player, Player.revoked.is_(True)),
        select(literal("key_revoked"), AiringLogEntry.seq,
               AiringLogEntry.detail["public_key"].as_string()).where(
            AiringLogEntry.station_id == station, AiringLogEntry.player_id == player,
            AiringLogEntry.event == KEY_REVOKED),
    )


_BATCH_VIEW = _batch_view()


@dataclass
class _Batch:
    """One request's view of the log, looked up after the chain was locked."""

    player: Player
    station_airings: set[int]
    known: dict[str, int]  # event id -> player id, for ids already in the log
    head: tuple[int, str]  # the chain's (seq, hash), read under the lock
    # bulletins sent to the player's station and zone, with the audio it is given
    station_bulletins: dict[int, BulletinFacts]
    revoked_keys: set[bytes] = field(default_factory=set)  # as the chain has them now
    station_relays: set[int] = field(default_factory=set)  # relay slots its zone carries
    other_zones: set[int] = field(default_factory=set)  # bulletins only for other zones

    @classmethod
    def load(cls, session: Session, player: Player, events: list[_Checked]) -> _Batch:
        """Which airings are the station's, which ids are known, the head and the player's
        revocations: one query. A player revoked since ``signer`` read it is refused (401)."""
        airing_ids = {c.event["airing_id"] for c in events if c.event["type"] in AIRING_EVENTS}
        rows = session.execute(_BATCH_VIEW, {
            "station": player.station_id, "player": player.id, "airings": list(airing_ids),
            "events": [c.event_id for c in events],
        }).all()
        if any(kind == "revoked" for kind, _n, _t in rows):
            raise PlayerAuthError(BAD_TOKEN)
        heads = [(seq, text) for kind, seq, text in rows if kind == "head"]
        bulletin_ids = {c.event["bulletin_id"] for c in events
                        if c.event["type"] in BULLETIN_EVENTS}
        found = session.scalars(
            select(Bulletin).where(
                Bulletin.id.in_(bulletin_ids),
                Bulletin.id.in_(select(BulletinDelivery.bulletin_id).where(
                    BulletinDelivery.station_id == player.station_id)),
            )
        ).all() if bulletin_ids else []
        relays = (player_relay_ids(session, player)
                  if any(c.event["type"] in RELAY_EVENTS for c in events) else set())
        heard = player_audio(session, player, found)  # the bulletins of its zone, its audio
        return cls(player,
                   {n for kind, n, _ in rows if kind == "airing"},
                   {text: n for kind, n, text in rows if kind == "known"},
                   heads[0] if heads else (0, GENESIS),
                   {b.id: bulletin_facts(b, heard[b.id]) for b in found if b.id in heard},
                   {raw for kind, _n, text in rows if kind == "key_revoked"
                    and (raw := key_of({"public_key": text})) is not None},
                   relays, {b.id for b in found} - heard.keys())

    def check_signers(self, keys: list[bytes], passed: list[tuple[int, _Checked]]) -> None:
        """Raise SignerRevoked if a key that signed one of ``passed`` was revoked while the
        batch waited for the lock: appended now, it would follow its revocation."""
        live = [k for k in keys if k not in self.revoked_keys]
        if len(live) == len(keys):
            return
        for _position, checked in passed:
            try:
                verify_signature(checked.event, live, checked.body)
            except EventRejected as err:
                raise SignerRevoked(
                    "Khóa ký lô sự kiện này vừa bị thu hồi; không sự kiện nào được lưu "
                    "(the key that signed this batch was revoked while it waited; nothing "
                    "was stored)"
                ) from err

    def _check_owner(self, event: dict[str, Any]) -> None:
        if event["type"] in BULLETIN_EVENTS:
            facts = self.station_bulletins.get(event["bulletin_id"])
            if event["bulletin_id"] in self.other_zones:
                raise EventRejected(
                    f"thông báo {event['bulletin_id']} chỉ gửi tới cụm loa khác của đài "
                    "(bulletin not sent to this player's zone)"
                )
            if facts is None:
                raise EventRejected(
                    f"thông báo {event['bulletin_id']} không gửi tới đài của thiết bị này "
                    "(bulletin not sent to this station)"
                )
            if event.get("sha256") != facts.sha256:
                raise EventRejected(
                    "sha256 khác âm thanh của thông báo ở cụm loa này "
                    "(sha256 is not the bulletin's audio for this zone)"
                )
        elif event["type"] in RELAY_EVENTS:
            if event["detail"]["slot_id"] not in self.station_relays:
                raise EventRejected(
                    f"khung tiếp sóng {event['detail']['slot_id']} không thuộc đài hay cụm loa "
                    "của thiết bị này (relay slot not of this station or zone)"
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


def _screen(keys: list[bytes], events: list[Any], received_at: datetime,
            outcome: _Outcome) -> list[tuple[int, _Checked]]:
    """Every airing event that passes the checks and the signature, with its batch position."""
    passed: list[tuple[int, _Checked]] = []
    for position, event in enumerate(events):
        try:
            event_id = canonical_event_id(event)
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


def _append(session: Session, batch: _Batch, passed: list[tuple[int, _Checked]],
            received_at: datetime, outcome: _Outcome, tolerance: timedelta) -> None:
    """Append what is new to the locked chain, in batch order; one multi-row INSERT.

    Core, not the unit of work: the entries are written once and never read back
    in this transaction, and the ORM's bookkeeping was most of a batch's time.
    """
    player, writer = batch.player, None
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
                _record_play(session, player, entry, entry.bulletin_id,
                             batch.station_bulletins[entry.bulletin_id], tolerance)
        outcome.accepted.append((position, checked.event_id))
        ahead = checked.at - received_at
        if ahead > CLOCK_SLACK and not outcome.warnings:
            outcome.warnings.append(
                f"Sự kiện có thời điểm ở tương lai {ahead.total_seconds():+.0f} giây "
                f"(event time {ahead.total_seconds():+.0f} s ahead of server)"
            )
    if rows:
        # With RETURNING, SQLAlchemy sends "insertmanyvalues": one multi-row INSERT per
        # 1,000 rows from a cached statement, not one INSERT per row.
        session.execute(_INSERT_ENTRIES, rows).all()
    outcome.logged = len(rows)


def _slot(session: Session, bulletin_id: int, station_id: int,
          slot_id: int | None) -> SlotFacts | None:
    """The bulletin's slot ``slot_id`` on the station, if it is one."""
    if slot_id is None:
        return None
    found = session.execute(select(BulletinSlot.id, BulletinSlot.starts_at).where(
        BulletinSlot.id == slot_id, BulletinSlot.bulletin_id == bulletin_id,
        BulletinSlot.station_id == station_id)).first()
    return None if found is None else SlotFacts(found.id, found.starts_at)


def _record_play(session: Session, player: Player, entry: AiringLogEntry, bulletin_id: int,
                 bulletin: BulletinFacts, tolerance: timedelta) -> None:
    """Give the player's delivery row the play, as the bulletin play rule counts it; the
    log keeps every play as signed, counted or not. A failed play (``play_failure``) is
    recorded whenever it is: it never adds to what counts, it only says what went wrong."""
    row = delivery_row(session, bulletin_id, player, bulletin.sha256)
    failure = play_failure(entry.event, entry.detail)
    if failure is not None:
        record_failure(row, entry.at, failure)
        return
    play = BulletinPlay.of(entry.event, entry.at, entry.played_ms, entry.asset_sha256,
                           entry.received_at, entry.detail)
    if entry.event == "bulletin.started":
        problem = why_start_not_counted(play, bulletin, row.fetched_at)
    else:
        slot = _slot(session, bulletin_id, player.station_id, play.slot_id)
        problem = why_play_not_counted(play, bulletin, row.fetched_at, slot, row.plays or 0,
                                       tolerance)
    record_play(row, entry.event, entry.at, problem is None, problem)


def ingest_events(
    session: Session, player: Player, events: Any, received_at: datetime,
    keys: list[bytes] | None = None, tolerance: timedelta = START_TOLERANCE,
) -> IngestResult:
    """Append a batch of player events to the station's chain; idempotent by event id.

    ``keys``: the player's chain keys when the caller read them already (see
    ``signer``); ``tolerance``: how far a bulletin play may start from its slot
    (the settings'). Cases: a known id from the same player is accepted again without
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
        lock_chain(session, player.station_id)  # before known ids, the head, revocations
        batch = _Batch.load(session, player, [c for _, c in passed])
        batch.check_signers(keys, passed)
        _append(session, batch, passed, received_at, outcome, tolerance)
    return outcome.result()
