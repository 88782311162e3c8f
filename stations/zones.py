"""Loudspeaker zones (cụm loa): a station's clusters, each with its players and language."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.stations.models import (
    DEFAULT_LANGUAGE,
    DEFAULT_ZONE_CODE,
    DEFAULT_ZONE_NAME,
    Player,
    PlayerKey,
    Station,
    Zone,
)
from loa.stations.service import get_station

# A zone code is typed on the command line and shown in reports: short, no spaces.
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
# An ISO 639 code, two or three letters (vi, hmn, km, ede …), lower case.
LANGUAGE = re.compile(r"[a-z]{2,3}")


def default_zone_rows(station_ids: Sequence[int]) -> list[dict[str, object]]:
    """The rows of the default zones of new stations (for a bulk insert)."""
    return [
        {"station_id": i, "code": DEFAULT_ZONE_CODE, "name": DEFAULT_ZONE_NAME,
         "language": DEFAULT_LANGUAGE}
        for i in station_ids
    ]


def add_default_zones(session: Session, station_ids: Sequence[int]) -> None:
    """Give new stations their default zone (one statement whatever their number)."""
    if station_ids:
        session.execute(insert(Zone), default_zone_rows(station_ids))


def add_zone(
    session: Session, station_code: str, code: str, name: str, language: str = DEFAULT_LANGUAGE
) -> Zone:
    """A new zone of the station.

    Cases: the code is 1-32 letters, digits, ``-`` or ``_``, unique in the station;
    the name is not empty; the language is an ISO 639 code of 2-3 lower-case letters.
    """
    station = get_station(session, station_code)
    if not _CODE.fullmatch(code):
        raise LoaError(
            f"Mã cụm loa {code!r} không hợp lệ: chữ, số, - hoặc _, tối đa 32 ký tự "
            "(zone code: letters, digits, - or _, up to 32)"
        )
    if not name.strip():
        raise LoaError("Cụm loa cần tên (a zone needs a name)")
    if not LANGUAGE.fullmatch(language):
        raise LoaError(
            f"Mã ngôn ngữ {language!r} không hợp lệ, ví dụ vi, hmn, km "
            "(language: an ISO 639 code such as vi, hmn, km)"
        )
    if find_zone(session, station, code) is not None:
        raise LoaError(f"Cụm loa {code!r} đã có ở đài {station.code} (zone already exists)")
    zone = Zone(station=station, code=code, name=name.strip(), language=language)
    session.add(zone)
    session.flush()
    return zone


def find_zone(session: Session, station: Station, code: str) -> Zone | None:
    return session.scalar(select(Zone).where(Zone.station_id == station.id, Zone.code == code))


def get_zone(session: Session, station: Station, code: str) -> Zone:
    """The station's zone ``code``, or LoaError."""
    zone = find_zone(session, station, code)
    if zone is None:
        raise LoaError(
            f"Không tìm thấy cụm loa {code!r} ở đài {station.code} (no such zone)"
        )
    return zone


def player_zone(session: Session, player: Player) -> Zone | None:
    """The zone the player drives: its own, else its station's default one (None where the
    station has no zone row)."""
    if player.zone_id is not None:
        return session.get(Zone, player.zone_id)
    return session.scalar(select(Zone).where(Zone.station_id == player.station_id,
                                             Zone.code == DEFAULT_ZONE_CODE))


def station_zones(session: Session, station: Station) -> list[Zone]:
    """The station's zones, the default one first, then in the order they were added."""
    found = session.scalars(select(Zone).where(Zone.station_id == station.id).order_by(Zone.id))
    return sorted(found, key=lambda z: z.code != DEFAULT_ZONE_CODE)


def player_counts(session: Session, station: Station) -> dict[str, int]:
    """Enrolled, unrevoked players per zone code (those the month's verdict waits for)."""
    counts: dict[str, int] = {}
    for player in session.scalars(
        select(Player).where(
            Player.station_id == station.id,
            Player.revoked.is_(False),
            exists().where(PlayerKey.player_id == Player.id),
        )
    ):
        code = player.zone.code if player.zone else DEFAULT_ZONE_CODE
        counts[code] = counts.get(code, 0) + 1
    return counts


def zone_languages(session: Session, unit_ids: Collection[int]) -> list[str]:
    """The languages other than Vietnamese that zones of these units' stations speak (what a
    programme of theirs may be recorded in for them), sorted."""
    return sorted(session.scalars(
        select(Zone.language).distinct().join(Station, Station.id == Zone.station_id)
        .where(Station.unit_id.in_(list(unit_ids)), Zone.language != DEFAULT_LANGUAGE)))
