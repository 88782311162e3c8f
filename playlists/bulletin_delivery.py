"""Who a bulletin reached: its delivery rows, one per target player, and the one place
they are written. Rows are made when the bulletin is sent (``deliver``), stamped when
a notice went out (``mark_pushed``), when the player first fetched it (``mark_fetched``)
and as its plays come into the log (``record_play``, called by ingest)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, case, exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from loa.clock import Clock
from loa.db import transaction
from loa.playlists.delivery_states import DeliveryState, PlayerPlays, station_state, zones_state
from loa.playlists.models import MAX_REASON_CHARS, AudioAsset, Bulletin, BulletinDelivery
from loa.stations.models import (
    DEFAULT_LANGUAGE,
    DEFAULT_ZONE_CODE,
    DEFAULT_ZONE_NAME,
    Player,
    PlayerKey,
    Station,
    Zone,
)

# A player the station's delivery waits for: enrolled (a key) and not revoked (DESIGN §6).
_IN_USE = and_(Player.revoked.is_(False), exists().where(PlayerKey.player_id == Player.id))


@dataclass(frozen=True)
class ZoneDelivery:
    """How one zone of a station got a bulletin: the audio its players were given (the
    variant of its language, or the bulletin's own) and each player's row."""

    code: str
    name: str
    language: str
    sha256: str
    duration_ms: int
    rows: tuple[PlayerPlays, ...]
    in_use: bool = False  # it has a player enrolled and not revoked: the station waits for it

    def state(self, now: datetime) -> tuple[DeliveryState, str | None]:
        """Its best player's state (``station_state``: one player played it through)."""
        return station_state(self.rows, self.duration_ms, now)


@dataclass(frozen=True)
class StationDelivery:
    """How one station got a bulletin: its earliest player at each step, and its zones."""

    code: str
    name: str
    players: int
    pushed_at: datetime | None
    fetched_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    plays: int
    delay_ms: int | None  # from sending to the first start
    zones: tuple[ZoneDelivery, ...] = ()  # the zones it reached, each with its players' rows

    def state(self, now: datetime) -> tuple[DeliveryState, str | None]:
        """What the station's delivery reads at ``now``, and why: played once every zone it
        reached that has a player in use played it (``zones_state``; as a month is counted
        by zone, a zone whose players never enrolled, or were revoked, is not waited for;
        with none in use, every zone it reached)."""
        waited = [zone for zone in self.zones if zone.in_use] or self.zones
        return zones_state([zone.state(now) for zone in waited])


def deliver(session: Session, bulletin: Bulletin, players: Iterable[Player],
            audio: Mapping[int, AudioAsset]) -> None:
    """A delivery row for each of ``players`` (the bulletin is being sent to them), naming
    the audio each is given (``audio``, by player id: the variant of its zone's language,
    or the bulletin's own).

    A player that fetched the same audio for an earlier bulletin (a recording sent
    again) has it in its cache and will not fetch it again: its row keeps that fetch.
    """
    targets = list(players)
    had = {(p, sha): at for p, sha, at in session.execute(
        select(BulletinDelivery.player_id, BulletinDelivery.asset_sha256,
               func.min(BulletinDelivery.fetched_at))
        .where(BulletinDelivery.player_id.in_([p.id for p in targets]),
               BulletinDelivery.asset_sha256.in_({a.sha256 for a in audio.values()}),
               BulletinDelivery.fetched_at.is_not(None))
        .group_by(BulletinDelivery.player_id, BulletinDelivery.asset_sha256)
    )}
    session.add_all(
        BulletinDelivery(bulletin_id=bulletin.id, station_id=p.station_id, player_id=p.id,
                         asset_sha256=audio[p.id].sha256, plays=0,
                         fetched_at=had.get((p.id, audio[p.id].sha256)))
        for p in targets
    )
    session.flush()


def mark_pushed(
    sessions: sessionmaker[Session], clock: Clock, bulletin_id: int, player_ids: list[int]
) -> None:
    """Mark the delivery rows of players a ``bulletin`` notice went out to (after commit)."""
    with transaction(sessions) as session:
        session.execute(
            update(BulletinDelivery)
            .where(BulletinDelivery.bulletin_id == bulletin_id,
                   BulletinDelivery.player_id.in_(player_ids),
                   BulletinDelivery.pushed_at.is_(None))
            .values(pushed_at=clock.now())
        )


def mark_fetched(session: Session, player_id: int, sha256: str, now: datetime) -> None:
    """Stamp the first time this player fetched a bulletin's audio (``sha256``): on every
    row of the player that gives it that audio. A play counts only after it (DESIGN §6)."""
    session.execute(
        update(BulletinDelivery)
        .where(BulletinDelivery.player_id == player_id,
               BulletinDelivery.asset_sha256 == sha256,
               BulletinDelivery.fetched_at.is_(None))
        .values(fetched_at=now)
    )


def delivery_row(session: Session, bulletin_id: int, player: Player,
                 sha256: str) -> BulletinDelivery:
    """The player's row for the bulletin; made now, giving it ``sha256`` (the audio its zone
    plays), for a player added to the station after the bulletin was sent (it reports a
    play all the same)."""
    row = session.scalar(select(BulletinDelivery).where(
        BulletinDelivery.bulletin_id == bulletin_id, BulletinDelivery.player_id == player.id))
    if row is None:
        row = BulletinDelivery(bulletin_id=bulletin_id, station_id=player.station_id,
                               player_id=player.id, asset_sha256=sha256, plays=0)
        session.add(row)
    return row


def record_play(row: BulletinDelivery, event: str, at: datetime, counted: bool,
                problem: str | None = None) -> None:
    """The row follows the log as the bulletin play rule counts it (DESIGN §6): the first
    and latest counted start, the last counted completion, the completions counted, and
    why the latest completion did not count (``problem``). ``counted`` is that rule's
    verdict (compliance decides; this room keeps the row)."""
    if not counted:
        if event == "bulletin.completed":
            row.not_counted = (problem or "")[:MAX_REASON_CHARS] or None
        return
    if event == "bulletin.started":
        row.started_at = min(row.started_at or at, at)
        if row.last_started_at is None or at >= row.last_started_at:
            row.last_started_at = at
            row.not_counted = None  # a new play: the last one's verdict is history
    else:
        row.completed_at = max(row.completed_at or at, at)
        row.plays = (row.plays or 0) + 1


def record_failure(row: BulletinDelivery, at: datetime, reason: str) -> None:
    """A play of the player that nobody heard (``bulletin.failed``, or through ``null``):
    the latest one and why. It never adds to the plays counted."""
    if row.failed_at is None or at >= row.failed_at:
        row.failed_at, row.failure = at, reason[:MAX_REASON_CHARS]


def delivery(session: Session, bulletin: Bulletin) -> list[StationDelivery]:
    """Per target station: the earliest push, fetch and start, the last completion, the
    delay, and per zone it reached the audio given and the players' rows."""
    rows = session.execute(
        select(Station, BulletinDelivery, Zone, AudioAsset.duration_ms, _IN_USE)
        .join(BulletinDelivery, BulletinDelivery.station_id == Station.id)
        .join(Player, Player.id == BulletinDelivery.player_id)
        .outerjoin(Zone, Zone.id == Player.zone_id)
        .join(AudioAsset, AudioAsset.sha256 == BulletinDelivery.asset_sha256)
        .where(BulletinDelivery.bulletin_id == bulletin.id)
        .order_by(Station.code, BulletinDelivery.player_id)
    ).all()
    by_station: dict[int, tuple[Station, list[BulletinDelivery], dict[str, ZoneDelivery]]] = {}
    for station, row, zone, duration_ms, in_use in rows:
        _station, dels, zones = by_station.setdefault(station.id, (station, [], {}))
        dels.append(row)
        code = zone.code if zone is not None else DEFAULT_ZONE_CODE  # no zone: the default
        held = zones.get(code) or ZoneDelivery(
            code, zone.name if zone else DEFAULT_ZONE_NAME,
            zone.language if zone else DEFAULT_LANGUAGE, row.asset_sha256, duration_ms, ())
        zones[code] = replace(held, rows=(*held.rows, _plays(row)),
                              in_use=held.in_use or bool(in_use))
    return [_station_delivery(bulletin, station, dels, tuple(zones.values()))
            for station, dels, zones in by_station.values()]


def _plays(row: BulletinDelivery) -> PlayerPlays:
    return PlayerPlays(row.plays or 0, row.pushed_at, row.fetched_at, row.last_started_at,
                       row.failed_at, row.failure, row.not_counted)


def stations_played(
    session: Session, bulletin_ids: Collection[int], unit_ids: Collection[int] | None = None,
) -> dict[int, tuple[int, int]]:
    """Per bulletin: (stations that played it, stations it was sent to), only those of
    ``unit_ids`` unless None, in one statement.

    Cases: a station played it once every zone it reached with a player in use (enrolled,
    not revoked) has a counted completion, or, with none in use, every zone it reached (a
    start alone is no delivery, DESIGN §6); a zone not reached has no rows, so it is
    never waited for; a player without a zone counts in its station's default zone.
    """
    if not bulletin_ids:
        return {}
    row = BulletinDelivery
    per_zone = (
        select(row.bulletin_id, row.station_id,
               func.max(case((row.plays > 0, 1), else_=0)).label("done"),
               func.max(case((_IN_USE, 1), else_=0)).label("in_use"))
        .join(Player, Player.id == row.player_id)
        .outerjoin(Zone, Zone.id == Player.zone_id)
        .where(row.bulletin_id.in_(list(bulletin_ids)))
        .group_by(row.bulletin_id, row.station_id,
                  func.coalesce(Zone.code, DEFAULT_ZONE_CODE))
    )
    if unit_ids is not None:
        per_zone = per_zone.join(Station, Station.id == row.station_id).where(
            Station.unit_id.in_(list(unit_ids)))
    zones = per_zone.subquery()
    waited_done = func.min(case((zones.c.in_use == 1, zones.c.done), else_=1))
    per_station = (
        select(zones.c.bulletin_id,
               case((func.max(zones.c.in_use) == 1, waited_done),
                    else_=func.min(zones.c.done)).label("done"))
        .group_by(zones.c.bulletin_id, zones.c.station_id).subquery())
    found = session.execute(
        select(per_station.c.bulletin_id, func.sum(per_station.c.done), func.count())
        .group_by(per_station.c.bulletin_id))
    return {bulletin_id: (int(done), total) for bulletin_id, done, total in found}


def _first(values: Iterable[datetime | None]) -> datetime | None:
    return min((v for v in values if v is not None), default=None)


def _station_delivery(
    bulletin: Bulletin, station: Station, rows: list[BulletinDelivery],
    zones: tuple[ZoneDelivery, ...],
) -> StationDelivery:
    started = _first(r.started_at for r in rows)
    completed = max((r.completed_at for r in rows if r.completed_at), default=None)
    delay = None
    if started is not None and bulletin.sent_at is not None:
        delay = round((started - bulletin.sent_at).total_seconds() * 1000)
    return StationDelivery(
        code=station.code, name=station.name, players=len(rows),
        pushed_at=_first(r.pushed_at for r in rows), fetched_at=_first(r.fetched_at for r in rows),
        started_at=started, completed_at=completed, plays=max((r.plays for r in rows), default=0),
        delay_ms=delay, zones=zones,
    )
