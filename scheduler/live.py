"""Live-mode players: tell them to play each airing when its slot comes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.playlists.models import Airing, AiringStatus
from loa.stations.models import Player, PlayerMode
from loa.stations.push import Publisher


@dataclass
class LiveDispatcher:
    """Remembers up to when it has dispatched, so each slot is announced once per process.

    ``catch_up`` bounds how far back a dispatch looks: a process that has not
    dispatched for a while (it was not the leader) does not announce slots long
    past.
    """

    since: datetime
    catch_up: timedelta

    def dispatch(self, session: Session, now: datetime, publisher: Publisher) -> int:
        """Publish play.now for every airing that started in (since, now] on a live player."""
        self.since = max(self.since, now - self.catch_up)
        rows = session.execute(
            select(Player.id, Airing.id)
            .join(Airing, Airing.station_id == Player.station_id)
            .where(
                Player.mode == PlayerMode.live,
                Player.revoked.is_(False),
                Airing.starts_at > self.since,
                Airing.starts_at <= now,
                Airing.status.in_((AiringStatus.planned, AiringStatus.published)),
            )
        ).all()
        for player_id, airing_id in rows:
            publisher.play_now(player_id, airing_id)
        self.since = now
        return len(rows)
