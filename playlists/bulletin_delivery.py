"""Who a bulletin reached: its delivery rows, one per target player, and the one place
they are written. Rows are made when the bulletin is sent (``deliver``), stamped when
a notice went out (``mark_pushed``), when the player first fetched it (``mark_fetched``)
and as its plays come into the log (``record_play``, called by ingest)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from loa.clock import Clock
from loa.db import transaction
from loa.playlists.delivery_states import DeliveryState, PlayerPlays, station_state
from loa.playlists.models import MAX_REASON_CHARS, Bulletin, BulletinDelivery
from loa.stations.models import Player, Station


@dataclass(frozen=True)
class StationDelivery:
    """How one station got a bulletin: its earliest player at each step."""

    code: str
    name: str
    players: int
    pushed_at: datetime | None
    fetched_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    plays: int
    delay_ms: int | None  # from sending to the first start
    rows: tuple[PlayerPlays, ...] = ()  # each player's, for the delivery state

    def state(self, duration_ms: int, now: datetime) -> tuple[DeliveryState, str | None]:
        """What the station's delivery reads at ``now``, and why (``station_state``)."""
        return station_state(self.rows, duration_ms, now)


def deliver(session: Session, bulletin: Bulletin, players: Iterable[Player]) -> None:
    """A delivery row for each of ``players`` (the bulletin is being sent to them).

    A player that fetched the same audio for an earlier bulletin (a recording sent
    again) has it in its cache and will not fetch it again: its row keeps that fetch.
    """
    targets = list(players)
    had = dict(session.execute(
        select(BulletinDelivery.player_id, func.min(BulletinDelivery.fetched_at))
        .join(Bulletin, Bulletin.id == BulletinDelivery.bulletin_id)
        .where(Bulletin.asset_sha256 == bulletin.asset_sha256,
               BulletinDelivery.player_id.in_([p.id for p in targets]),
               BulletinDelivery.fetched_at.is_not(None))
        .group_by(BulletinDelivery.player_id)
    ).all())
    session.add_all(
        BulletinDelivery(bulletin_id=bulletin.id, station_id=p.station_id, player_id=p.id,
                         plays=0, fetched_at=had.get(p.id))
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
    row of the player whose bulletin plays it. A play counts only after it (DESIGN §6)."""
    session.execute(
        update(BulletinDelivery)
        .where(BulletinDelivery.player_id == player_id,
               BulletinDelivery.bulletin_id.in_(
                   select(Bulletin.id).where(Bulletin.asset_sha256 == sha256)),
               BulletinDelivery.fetched_at.is_(None))
        .values(fetched_at=now)
    )


def delivery_row(session: Session, bulletin_id: int, player: Player) -> BulletinDelivery:
    """The player's row for the bulletin; made now for a player added to the station
    after the bulletin was sent (it reports a play all the same)."""
    row = session.scalar(select(BulletinDelivery).where(
        BulletinDelivery.bulletin_id == bulletin_id, BulletinDelivery.player_id == player.id))
    if row is None:
        row = BulletinDelivery(bulletin_id=bulletin_id, station_id=player.station_id,
                               player_id=player.id, plays=0)
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
    """Per target station: the earliest push, fetch and start, the last completion, the delay."""
    rows = session.execute(
        select(Station, BulletinDelivery)
        .join(BulletinDelivery, BulletinDelivery.station_id == Station.id)
        .where(BulletinDelivery.bulletin_id == bulletin.id)
        .order_by(Station.code, BulletinDelivery.player_id)
    ).all()
    by_station: dict[int, tuple[Station, list[BulletinDelivery]]] = {}
    for station, row in rows:
        by_station.setdefault(station.id, (station, []))[1].append(row)
    return [_station_delivery(bulletin, station, dels) for station, dels in by_station.values()]


def _first(values: Iterable[datetime | None]) -> datetime | None:
    return min((v for v in values if v is not None), default=None)


def _station_delivery(
    bulletin: Bulletin, station: Station, rows: list[BulletinDelivery]
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
        delay_ms=delay, rows=tuple(
            PlayerPlays(r.plays or 0, r.pushed_at, r.fetched_at, r.last_started_at,
                        r.failed_at, r.failure, r.not_counted) for r in rows),
    )
