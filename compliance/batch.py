"""What a month's verdicts read, for every station of a report at once, in a few queries.

One query each for the unit tree, the approved programmes, the month's airings,
the players' zones and its completions, whatever the number of stations: a country-month report
costs the same handful of queries as a commune's. The rules (``compliance.rules``)
then judge each station-month from memory. The queries run on the session's
connection (Core): their rows are plain tuples, which the ORM's result handling
would read at twice the cost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Text, cast, exists, select
from sqlalchemy.orm import Session

from loa.compliance.models import AiringLogEntry
from loa.compliance.rules import AiringFacts, LoggedEvent, ProgrammeFacts
from loa.db import among
from loa.months import month_bounds
from loa.playlists.models import Airing, AiringStatus, Campaign, Programme, ProgrammeStatus
from loa.playlists.programmes import Candidate, nearest_programme
from loa.playlists.variants import ProgrammeVariant
from loa.stations.models import (
    DEFAULT_LANGUAGE,
    DEFAULT_ZONE_CODE,
    Player,
    PlayerKey,
    Station,
    Zone,
)
from loa.stations.tree import UnitTree

if TYPE_CHECKING:
    from loa.stations.units import StationRef

_CHUNK = 5000  # station ids per IN list: within every database's parameter limit


@dataclass(frozen=True)
class Approved:
    """An approved programme of the month, as a report names it."""

    id: int
    unit_id: int
    facts: ProgrammeFacts | None  # None: no audio yet


@dataclass
class MonthFacts:
    """The month of many stations: programmes, airings and completions, read once."""

    month: str
    tree: UnitTree
    programmes: dict[int, list[Approved]]  # campaign id -> oldest version first
    airings: dict[int, list[tuple[AiringFacts, AiringStatus]]] = field(default_factory=dict)
    completions: dict[int, list[tuple[int, LoggedEvent]]] = field(default_factory=dict)  # seq
    # station id -> the zones with an enrolled, unrevoked player (design §6, by zone)
    playing: dict[int, list[str]] = field(default_factory=dict)

    def applicable(self, campaign_id: int, unit_id: int) -> Approved | None:
        """What ``playlists.programmes.applicable_programme`` answers, from memory."""
        found = self.programmes.get(campaign_id, [])
        chosen = nearest_programme(
            self.tree.chain(unit_id), [Candidate(p.unit_id, p.id) for p in found]
        )
        return next((p for p in found if p.id == chosen), None)


@lru_cache(maxsize=1024)  # one object per programme, not one per airing
def programme_facts(master_sha256: str | None, duration_ms: int | None) -> ProgrammeFacts | None:
    if master_sha256 is None or duration_ms is None:
        return None
    return ProgrammeFacts(master_sha256, duration_ms)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + _CHUNK]) for i in range(0, len(ids), _CHUNK)]


def load_facts(
    session: Session, stations: Sequence[Station | StationRef], month: str,
    campaigns: Sequence[Campaign],
) -> MonthFacts:
    """Everything the live verdicts of ``stations`` in ``month`` read."""
    facts = MonthFacts(month, UnitTree.load(session), _approved(session, month, campaigns))
    if not stations:
        return facts
    bounds = {s.id: month_bounds(month, ZoneInfo(s.timezone)) for s in stations}
    first = min(b[0] for b in bounds.values())
    last = max(b[1] for b in bounds.values())
    for ids in _chunks([s.id for s in stations]):
        _load_airings(session, facts, ids, bounds, first, last)
        zones = _load_players(session, facts, ids)
        _load_completions(session, facts, ids, bounds, first, last, zones)
    return facts


def _approved(
    session: Session, month: str, campaigns: Sequence[Campaign]
) -> dict[int, list[Approved]]:
    rows = session.connection().execute(
        select(
            Programme.id,
            Programme.campaign_id,
            Programme.unit_id,
            Programme.master_sha256,
            Programme.duration_ms,
        )
        .where(
            Programme.campaign_id.in_([c.id for c in campaigns]),
            Programme.month == month,
            Programme.status == ProgrammeStatus.approved,
        )
        .order_by(Programme.version, Programme.id)  # a unit's latest approved version wins
    )
    found: dict[int, list[Approved]] = {}
    for r in rows:
        found.setdefault(r.campaign_id, []).append(
            Approved(r.id, r.unit_id, programme_facts(r.master_sha256, r.duration_ms))
        )
    return found


def _in_month(bounds: dict[int, tuple[datetime, datetime]], station_id: int, at: datetime) -> bool:
    start, end = bounds[station_id]
    return start <= at < end


def _load_airings(
    session: Session,
    facts: MonthFacts,
    ids: list[int],
    bounds: dict[int, tuple[datetime, datetime]],
    first: datetime,
    last: datetime,
) -> None:
    rows = session.connection().execute(
        select(
            Airing.id,
            Airing.station_id,
            Airing.starts_at,
            Airing.status,
            Airing.programme_id,
            Programme.campaign_id,
            Programme.master_sha256,
            Programme.duration_ms,
        )
        .join(Programme, Programme.id == Airing.programme_id)
        .where(among(session, Airing.station_id, ids), Airing.starts_at >= first,
               Airing.starts_at < last)
        .order_by(Airing.starts_at, Airing.id)
    )
    # Unpacked, not read by name: a Row's attributes cost more than the facts built here.
    found = [r for r in rows.all() if _in_month(bounds, r[1], r[2])]
    variants = programme_variants(session, {r[4] for r in found})
    for airing_id, station_id, starts_at, status, programme_id, campaign_id, sha256, \
            duration_ms in found:
        airing = AiringFacts(
            airing_id,
            campaign_id,
            starts_at,
            status is AiringStatus.cancelled,
            programme_facts(sha256, duration_ms),
            variants.get(programme_id, ()),
        )
        facts.airings.setdefault(station_id, []).append((airing, status))


def programme_variants(
    session: Session, programme_ids: set[int]
) -> dict[int, tuple[tuple[str, ProgrammeFacts], ...]]:
    """Each programme's language variants as the rule sees them (one query per chunk)."""
    found: dict[int, list[tuple[str, ProgrammeFacts]]] = {}
    ids = sorted(programme_ids)
    for part in _chunks(ids):
        for v in session.execute(
            select(ProgrammeVariant.programme_id, ProgrammeVariant.language,
                   ProgrammeVariant.asset_sha256, ProgrammeVariant.duration_ms)
            .where(ProgrammeVariant.programme_id.in_(part))
            .order_by(ProgrammeVariant.language)
        ):
            found.setdefault(v.programme_id, []).append(
                (v.language, ProgrammeFacts(v.asset_sha256, v.duration_ms)))
    return {k: tuple(v) for k, v in found.items()}


def logged_event(
    entry: AiringLogEntry | Row[Any], zone: str | None = None, language: str | None = None
) -> LoggedEvent:
    """A log entry (or a row of its columns) for the rule; the clock offset is the one the
    player signed, else 0; ``zone`` and ``language``: those of the player that logged it."""
    return LoggedEvent(entry.event, entry.airing_id, entry.at, entry.asset_sha256,
                       entry.played_ms, entry.received_at, _clock_offset(entry.detail), zone,
                       language)


def _clock_offset(detail: object) -> int:
    offset = (detail if isinstance(detail, dict) else {}).get("clock_offset_ms")
    return offset if isinstance(offset, int) and not isinstance(offset, bool) else 0


def _stored_clock_offset(detail: str | None) -> int:
    """``_clock_offset`` of a detail as stored (JSON text), parsed only when it may name the
    offset: most are "{}", and decoding ten thousand cost a country's report 30 ms. A key
    spelt with escapes holds a backslash, so it is parsed too."""
    if detail is None or ("clock_offset_ms" not in detail and "\\" not in detail):
        return 0
    return _clock_offset(json.loads(detail))


def _load_players(
    session: Session, facts: MonthFacts, ids: list[int]
) -> dict[int, tuple[str, str]]:
    """Every player's zone code and language (by player id); the zones each station waits
    for go into ``facts.playing``."""
    zones, playing = player_zones(session, ids)
    facts.playing.update(playing)
    return zones


def player_zones(
    session: Session, ids: list[int]
) -> tuple[dict[int, tuple[str, str]], dict[int, list[str]]]:
    """(player id -> its zone code and language, station id -> the codes of its zones with
    an enrolled, unrevoked player), for the stations ``ids``, in one query.

    A player without a zone row is in the default zone. The zones in use are
    listed default first, then in the order they were made.
    """
    enrolled = exists().where(PlayerKey.player_id == Player.id)
    rows = session.connection().execute(
        select(Player.id, Player.station_id, Player.revoked, Zone.id, Zone.code, Zone.language,
               enrolled)
        .outerjoin(Zone, Zone.id == Player.zone_id)
        .where(among(session, Player.station_id, ids))
    )
    zones: dict[int, tuple[str, str]] = {}
    playing: dict[int, dict[str, int]] = {}
    for player_id, station_id, revoked, zone_id, code, language, has_key in rows.all():
        code = code or DEFAULT_ZONE_CODE
        zones[player_id] = (code, language or DEFAULT_LANGUAGE)
        if has_key and not revoked:
            order = -1 if code == DEFAULT_ZONE_CODE else zone_id
            playing.setdefault(station_id, {})[code] = order
    return zones, {station_id: sorted(found, key=lambda c: found[c])
                   for station_id, found in playing.items()}


def _load_completions(
    session: Session,
    facts: MonthFacts,
    ids: list[int],
    bounds: dict[int, tuple[datetime, datetime]],
    first: datetime,
    last: datetime,
    zones: dict[int, tuple[str, str]],
) -> None:
    """Completions of the stations' airings scheduled in the month, whenever reported."""
    rows = session.connection().execute(
        select(
            AiringLogEntry.station_id,
            AiringLogEntry.player_id,
            AiringLogEntry.seq,
            AiringLogEntry.event,
            AiringLogEntry.airing_id,
            AiringLogEntry.at,
            AiringLogEntry.asset_sha256,
            AiringLogEntry.played_ms,
            AiringLogEntry.received_at,
            cast(AiringLogEntry.detail, Text),  # as stored: see _stored_clock_offset
            Airing.starts_at,
        )
        .join(Airing, Airing.id == AiringLogEntry.airing_id)
        .where(
            among(session, AiringLogEntry.station_id, ids),
            AiringLogEntry.event == "airing.completed",
            Airing.station_id == AiringLogEntry.station_id,
            Airing.starts_at >= first,
            Airing.starts_at < last,
        )
    )
    for row in rows.all():  # one fetch, not a driver call per row
        (station_id, player_id, seq, event, airing_id, at, sha256, played_ms, received, detail,
         starts) = row
        if not _in_month(bounds, station_id, starts):
            continue
        zone, language = zones.get(player_id, (None, None))
        facts.completions.setdefault(station_id, []).append((seq, LoggedEvent(
            event, airing_id, at, sha256, played_ms, received, _stored_clock_offset(detail),
            zone, language)))


def zoned_events(session: Session, entries: Iterable[AiringLogEntry]) -> list[LoggedEvent]:
    """Log entries for the rule, each with its player's zone and language (one query)."""
    entries = list(entries)
    players = {e.player_id for e in entries}
    zones: dict[int, tuple[str, str]] = {
        r.id: (r.code or DEFAULT_ZONE_CODE, r.language or DEFAULT_LANGUAGE)
        for r in session.execute(
            select(Player.id, Zone.code, Zone.language)
            .outerjoin(Zone, Zone.id == Player.zone_id)
            .where(Player.id.in_(players))
        )
    } if players else {}
    return [logged_event(e, *zones.get(e.player_id, (None, None))) for e in entries]
