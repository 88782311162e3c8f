"""Which zones an airing is sent to: those it names, else every zone of its station
(issue 17 §4; design §4 "What zones hear")."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.playlists.models import Airing, AudioAsset, Programme, airing_zone
from loa.stations.models import Player, Station, Zone
from loa.stations.zones import get_zone, player_zone


def named_zones(session: Session, station: Station, codes: Sequence[str]) -> list[Zone]:
    """The zones of ``station`` an operator names by code (each once), or LoaError."""
    found = {code: get_zone(session, station, code) for code in codes}
    return list(found.values())


def check_zones(station: Station, zones: Sequence[Zone]) -> None:
    """Refuse a zone of another station than the airing's."""
    for zone in zones:
        if zone.station_id != station.id:
            raise LoaError(f"Lỗi: cụm loa {zone.code} không thuộc đài {station.code} "
                           "(zone of another station)")


def zone_ids_of(session: Session, airing_ids: Collection[int]) -> dict[int, set[int]]:
    """The zone ids each of ``airing_ids`` names (absent: it names none, so every zone)."""
    found: dict[int, set[int]] = {}
    if not airing_ids:
        return found
    for airing_id, zone_id in session.execute(
        select(airing_zone.c.airing_id, airing_zone.c.zone_id)
        .where(airing_zone.c.airing_id.in_(sorted(airing_ids)))
    ):
        found.setdefault(airing_id, set()).add(zone_id)
    return found


def zone_codes_of(session: Session, airing_ids: Collection[int]) -> dict[int, frozenset[str]]:
    """The zone codes each of ``airing_ids`` names, as the counting rule reads them."""
    found: dict[int, set[str]] = {}
    ids = sorted(airing_ids)
    for start in range(0, len(ids), 1000):  # the IN list stays within every driver's limit
        for airing_id, code in session.execute(
            select(airing_zone.c.airing_id, Zone.code)
            .join(Zone, Zone.id == airing_zone.c.zone_id)
            .where(airing_zone.c.airing_id.in_(ids[start:start + 1000]))
        ):
            found.setdefault(airing_id, set()).add(code)
    return {k: frozenset(v) for k, v in found.items()}


def not_for_player(session: Session, player: Player, airing_ids: Collection[int]) -> set[int]:
    """Those of ``airing_ids`` that name zones, none of them the player's (its default zone
    when it has none of its own)."""
    named = zone_ids_of(session, airing_ids)
    if not named:
        return set()
    zone = player_zone(session, player)
    mine = zone.id if zone is not None else None
    return {airing_id for airing_id, zones in named.items() if mine not in zones}


def player_airings(
    session: Session, player: Player, rows: Sequence[tuple[Airing, Programme, AudioAsset]]
) -> list[tuple[Airing, Programme, AudioAsset]]:
    """The rows of the station's schedule whose airing reaches the player's zone."""
    other = not_for_player(session, player, {a.id for a, _p, _s in rows})
    return [row for row in rows if row[0].id not in other]
