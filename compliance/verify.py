"""``loa audit verify``: is every station's log still what its devices and the server wrote?

Each check catches a different rewrite by someone who can write the database:
the hash chain an edit without re-hashing; the signed body an edit of any
column, re-hashed or not; the keys taken from the chain a key row added or
changed; the anchors outside the database a rewrite of the chain end to end.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Text, cast, select, text, type_coerce
from sqlalchemy.orm import Session

from loa.audio.store import AudioStore
from loa.compliance.anchors import Anchor, anchor_faults, known_anchors
from loa.compliance.chain import GENESIS, find_break
from loa.compliance.key_entries import (
    KEY_ENROLLED,
    KEY_REVOKED,
    PLAYER_REVOKED,
    SERVER_EVENTS,
    TOKEN_ROTATED,
    key_text,
)
from loa.compliance.marks import Mark, holds, mark_of, read_marks, save_marks
from loa.compliance.models import AiringLogEntry
from loa.compliance.signatures import entry_problem
from loa.db import among
from loa.playlists.models import Programme
from loa.stations.models import Player, PlayerKey, Station

if TYPE_CHECKING:
    from loa.stations.units import StationRef

BROKEN = "loa.evidence_broken"  # session.info: station id -> first Problem or None
ANCHORS = "loa.anchors"  # session.info: the anchors read once per session
# A log entry's columns by name (``LogEntry``): as stored (``station_logs``) where only its
# hash and server fields are read, else typed.
Entry = Any


@dataclass(frozen=True)
class Problem:
    """One thing verification found wrong, naming the station and, where one, the seq."""

    station: str | None  # None: the whole log (the anchor file, the table's guard)
    seq: int | None
    reason: str


@dataclass
class Verification:
    checked: int = 0  # log entries
    anchors: int = 0  # anchors compared
    problems: list[Problem] = field(default_factory=list)


def _detail(entry: Entry) -> dict[str, object]:
    # A row edited behind Loa's back may hold any JSON there.
    return entry.detail if isinstance(entry.detail, dict) else {}


def _backfilled(entry: Entry) -> bool:
    """A key migration 0005_tamper wrote at the chain's end for events signed before it."""
    return _detail(entry).get("backfilled") is True


@dataclass
class _Signers:
    """Who may sign at one point of a station's chain, as the chain itself says."""

    keys: dict[int, list[bytes]] = field(default_factory=dict)
    revoked_at: dict[int, datetime] = field(default_factory=dict)
    enrolled: dict[tuple[int, bytes], int] = field(default_factory=dict)  # -> seq
    key_revoked_at: dict[tuple[int, bytes], datetime] = field(default_factory=dict)

    def enrol(self, entry: Entry) -> str | None:
        try:
            raw = base64.b64decode(str(_detail(entry).get("public_key")), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            return "khóa trong mục đăng ký không đọc được (enrolled key is unreadable)"
        self.keys.setdefault(entry.player_id, []).append(raw)
        self.enrolled[(entry.player_id, raw)] = entry.seq
        return None

    def revoke_key(self, entry: Entry) -> str | None:
        try:
            raw = base64.b64decode(str(_detail(entry).get("public_key")), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if (entry.player_id, raw) not in self.enrolled:
            return "thu hồi một khóa chưa từng đăng ký (revokes a key never enrolled)"
        self.key_revoked_at.setdefault((entry.player_id, raw), entry.received_at)
        return None

    def keys_at(self, entry: Entry) -> list[bytes]:
        """The player's keys that may sign ``entry``: a revoked one only what was received
        by the time of its revocation (a batch in flight then)."""
        return [
            raw for raw in self.keys.get(entry.player_id, [])
            if (revoked := self.key_revoked_at.get((entry.player_id, raw))) is None
            or entry.received_at <= revoked
        ]

    def apply(self, entry: Entry) -> str | None:
        """Take a server entry into account; why it cannot be, or None."""
        if entry.event == KEY_ENROLLED and not _backfilled(entry):
            return self.enrol(entry)
        if entry.event == KEY_REVOKED:
            return self.revoke_key(entry)
        if entry.event == PLAYER_REVOKED:
            self.revoked_at[entry.player_id] = entry.received_at
        elif entry.event == TOKEN_ROTATED:
            self.revoked_at.pop(entry.player_id, None)
        return None

    def check(self, entry: Entry) -> str | None:
        """Why a player's entry is not evidence at this point of the chain, or None.

        Cases: signed by no key the chain enrolled for that player before it
        (keys the migration backfilled count from the start, as they signed the
        entries before them), or received after that key was revoked; received
        after the player was revoked (received
        before: a batch already in flight when the revocation was written).
        """
        problem = entry_problem(entry, self.keys_at(entry))
        revoked = self.revoked_at.get(entry.player_id)
        if problem is None and revoked is not None and entry.received_at > revoked:
            problem = "thiết bị đã bị thu hồi khi gửi mục này (player was revoked)"
        return problem


def _chain_problems(
    code: str, entries: Sequence[Entry], signers: _Signers, mark: Mark | None = None
) -> list[Problem]:
    """The chain's and each entry's problems; past ``mark`` only, when one holds.

    Entries up to the mark were verified when marked and are unchanged since (its
    digest): their server entries still tell who may sign after it.
    """
    skip = mark.seq if mark else 0
    problems = []
    found = find_break(entries[skip:], (mark.seq, mark.hash) if mark else (0, GENESIS))
    if found:
        problems.append(Problem(code, found[0].seq, found[1]))
    for entry in entries:
        if entry.event == KEY_ENROLLED and _backfilled(entry):
            signers.enrol(entry)
    for entry in entries:
        server = entry.event in SERVER_EVENTS
        if entry.seq <= skip:
            if server:
                signers.apply(entry)
            continue
        problem = entry_problem(entry, [], signed=False) if server else signers.check(entry)
        if problem is None and server:
            problem = signers.apply(entry)
        if problem:
            problems.append(Problem(code, entry.seq, problem))
    return problems


def _key_problems(
    code: str, rows: Sequence[tuple[int, int, bytes]], signers: _Signers
) -> list[Problem]:
    """Key rows the chain never enrolled (added or changed behind its back), and the reverse.

    ``rows`` are the station's (key id, player id, public key) rows, by key id.
    """
    problems = [
        Problem(code, None, (
            f"khóa {key_text(raw)} (player_key {key_id}) của thiết bị {player_id} không có "
            "trong nhật ký (key row without a key.enrolled entry: added or changed)"))
        for key_id, player_id, raw in rows
        if (player_id, raw) not in signers.enrolled
    ]
    present = {(player_id, raw) for _, player_id, raw in rows}
    problems += [
        Problem(code, seq, (
            f"khóa {key_text(raw)} của thiết bị {player_id} đã bị xóa khỏi bảng player_key "
            "(enrolled key row deleted)"))
        for (player_id, raw), seq in signers.enrolled.items()
        if (player_id, raw) not in present
    ]
    return problems


def _station_problems(
    code: str,
    entries: Sequence[Entry],
    key_rows: Sequence[tuple[int, int, bytes]],
    anchors: Iterable[Anchor],
    mark: Mark | None = None,
) -> list[Problem]:
    signers = _Signers()
    problems = _chain_problems(code, entries, signers, mark)
    problems += _key_problems(code, key_rows, signers)
    hashes = {e.seq: e.hash for e in entries}
    problems += [
        Problem(code, fault.seq, fault.reason) for fault in anchor_faults(hashes, anchors)
    ]
    return problems


def _marked_problems(
    typer: _Typer,
    station_id: int,
    code: str,
    entries: Sequence[LogEntry],
    key_rows: Sequence[tuple[int, int, bytes]],
    anchors: Sequence[Anchor],
    mark: Mark | None,
    trusted: bool,
) -> list[Problem]:
    """The station's problems, its entries (as stored) up to ``mark`` taken as verified
    when ``trusted`` (the mark holds, and the caller trusts marks).

    The mark is also an anchor: the chain must still have its hash at its seq (a
    rewrite re-hashed end to end). On any problem the station is verified whole,
    so that the first entry at fault is named, not just the mark.
    """
    if mark is not None:
        anchors = [*anchors, Anchor(station_id, code, mark.seq, mark.hash, "verified mark")]
    skip = mark if trusted else None
    problems = _station_problems(code, typer(entries, skip), key_rows, anchors, skip)
    if problems and skip:
        problems = _station_problems(code, typer(entries, None), key_rows, anchors)
    return problems


def _key_rows(session: Session, station_ids: list[int]) -> dict[int, list[tuple[int, int, bytes]]]:
    """Each station's key rows (key id, player id, public key), by key id, in one query."""
    rows = session.connection().execute(
        select(Player.station_id, PlayerKey.id, PlayerKey.player_id, PlayerKey.public_key)
        .join(Player, Player.id == PlayerKey.player_id)
        .where(among(session, Player.station_id, station_ids))
        .order_by(PlayerKey.id)
    )
    found: dict[int, list[tuple[int, int, bytes]]] = {}
    for station_id, key_id, player_id, raw in rows.all():  # one fetch for the lot
        found.setdefault(station_id, []).append((key_id, player_id, raw))
    return found


# Every column of an entry but its id, read as rows: the ORM's objects cost more than
# the checks when a report reads the country's logs.
_ENTRY_COLUMNS = [c for c in AiringLogEntry.__table__.c if c.name != "id"]
# Read as the driver gives them, typed only for the entries checked: a mark's digest
# needs no more, and typing every entry cost as much as the checks a mark saves. The
# detail is read as its JSON text on every database (PostgreSQL's driver would decode
# each one), the times as the driver gives them.
_TYPED = ("at", "received_at", "detail")
_AS_STORED = [
    cast(c, Text) if c.name == "detail" else type_coerce(c, String) if c.name in _TYPED else c
    for c in _ENTRY_COLUMNS
]
LogEntry = namedtuple("LogEntry", [c.name for c in _ENTRY_COLUMNS])  # type: ignore[misc]
_CHUNK = 500  # stations whose logs are read at once: bounded memory for the country


def station_logs(session: Session, station_ids: list[int]) -> dict[int, list[LogEntry]]:
    """Each station's entries by seq as stored (``at`` and ``received_at`` as the driver
    gives them, ``detail`` as its JSON text), in one query."""
    found: dict[int, list[LogEntry]] = {}
    # On the connection (Core), not the ORM session: plain rows, half the cost to read;
    # fetched at once, not a driver call per row. Kept as named tuples: a Row's fields by
    # name cost ten times as much, and the checks read some seven per entry.
    for entry in map(LogEntry._make, session.connection().execute(
        select(*_AS_STORED)
        .where(among(session, AiringLogEntry.station_id, station_ids))
        .order_by(AiringLogEntry.station_id, AiringLogEntry.seq)
    ).all()):
        found.setdefault(entry.station_id, []).append(entry)
    return found


def _json_value(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class _Typer:
    """Turns stored entries into typed ones as the columns' own types do (the ORM's way)."""

    def __init__(self, session: Session) -> None:
        dialect = session.get_bind().dialect
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        for i, column in enumerate(_ENTRY_COLUMNS):
            if column.name == "detail":  # its JSON text on every database
                self.processors.append((i, _json_value))
            elif column.name in _TYPED:
                process = column.type.dialect_impl(dialect).result_processor(dialect, None)
                if process:
                    self.processors.append((i, process))

    def __call__(self, entries: Sequence[LogEntry], mark: Mark | None) -> list[Entry]:
        """``entries`` with those to check typed: past ``mark``, and the server entries
        that say who may sign (their stored form is enough for the others)."""
        skip = mark.seq if mark else 0
        return [self.typed(e) if e.seq > skip or e.event in SERVER_EVENTS else e
                for e in entries]

    def typed(self, entry: LogEntry) -> LogEntry:
        values = list(entry)
        for i, process in self.processors:
            values[i] = process(values[i])
        return LogEntry._make(values)


def _verify(
    session: Session,
    stations: Sequence[Station | StationRef],
    anchors: Iterable[Anchor],
    trust_marks: bool,
) -> dict[int, tuple[int, list[Problem]]]:
    """Each station's (entries, problems), a few hundred stations' logs a query.

    A station that verifies is marked up to its head (``compliance.marks``).
    ``trust_marks``: skip checking what a mark vouches for (reports); else every
    entry is checked again (``loa audit verify``).
    """
    by_station: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        by_station.setdefault(anchor.station_id, []).append(anchor)
    found: dict[int, tuple[int, list[Problem]]] = {}
    fresh: dict[int, Mark] = {}
    typer = _Typer(session)
    for i in range(0, len(stations), _CHUNK):
        part = stations[i : i + _CHUNK]
        ids = [s.id for s in part]
        logs, keys = station_logs(session, ids), _key_rows(session, ids)
        marks = read_marks(session, ids)
        for station in part:
            entries, mark = logs.get(station.id, []), marks.get(station.id)
            held = mark is not None and holds(mark, entries)
            problems = _marked_problems(
                typer, station.id, station.code, entries, keys.get(station.id, []),
                by_station.get(station.id, []), mark, trust_marks and held,
            )
            found[station.id] = (len(entries), problems)
            if not problems and entries and not (held and mark.seq == entries[-1].seq):
                fresh[station.id] = mark_of(entries)
    save_marks(session, fresh)
    return found


def verify_chains(session: Session, anchors: Sequence[Anchor] | None = None) -> Verification:
    """Verify every entry of every station's log against the anchors (by default every
    one Loa keeps), whatever was verified before."""
    result = Verification()
    if anchors is None:
        anchors, unreadable = known_anchors(session)
        result.problems += [Problem(None, None, message) for message in unreadable]
    result.problems += _guard_problems(session)
    result.anchors = len(anchors)
    stations = list(session.scalars(select(Station).order_by(Station.code)))
    for checked, problems in _verify(session, stations, anchors, trust_marks=False).values():
        result.checked += checked
        result.problems += problems
    known = {s.id for s in stations}
    result.problems += [
        Problem(a.station_code, a.seq, f"đài của mốc {a.source} không còn (station deleted)")
        for a in anchors
        if a.station_id not in known
    ]
    return result


def _guard_problems(session: Session) -> list[Problem]:
    """On PostgreSQL, the trigger that refuses UPDATE and DELETE must be there and enabled.

    Only a superuser can drop or disable it; doing so is itself a sign of tampering.
    """
    if session.get_bind().dialect.name != "postgresql":
        return []
    enabled = session.scalar(
        text("SELECT tgenabled FROM pg_trigger WHERE tgname = :name"),
        {"name": "airing_log_entry_append_only"},
    )
    if enabled in ("O", "A"):
        return []
    return [Problem(None, None, (
        "bảng nhật ký không còn chặn sửa, xóa: trigger bị xóa hoặc tắt "
        "(append-only trigger missing or disabled)"))]


def evidence_break(session: Session, station: Station) -> Problem | None:
    """The first problem of the station's log, or None when it verifies.

    Reports mark such a station ``evidence_broken``; the answer is kept for the
    session, as one report asks for the same station once per month and campaign.
    """
    return evidence_breaks(session, [station])[station.id]


def evidence_breaks(
    session: Session, stations: Sequence[Station | StationRef]
) -> dict[int, Problem | None]:
    """``evidence_break`` of many stations, each entry's signature and body checked once
    (past the station's mark), every chain and anchor every time.

    The answers are kept for the session, like ``evidence_break``'s.
    """
    known: dict[int, Problem | None] = session.info.setdefault(BROKEN, {})
    todo = [s for s in stations if s.id not in known]
    if todo:
        if ANCHORS not in session.info:
            session.info[ANCHORS] = known_anchors(session)[0]
        for station_id, (_, problems) in _verify(
            session, todo, session.info[ANCHORS], trust_marks=True
        ).items():
            known[station_id] = min(problems, key=_seq_order, default=None)
    return {s.id: known[s.id] for s in stations}


def _seq_order(problem: Problem) -> float:
    return problem.seq if problem.seq is not None else float("inf")


def verify_audio(session: Session, store: AudioStore) -> list[str]:
    """Hashes of programme audio that is missing from the store or no longer matches."""
    shas = set(
        session.scalars(select(Programme.master_sha256).where(Programme.master_sha256.is_not(None)))
    )
    return sorted(sha for sha in shas if not store.verify(sha))
