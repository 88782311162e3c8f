"""What a player is told about bulletins: the emergency list it polls, and its audio."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from loa.canonical import canonical_json
from loa.playlists.assets import audio_json
from loa.playlists.models import (
    AudioAsset,
    Bulletin,
    BulletinDelivery,
    BulletinPriority,
    BulletinStatus,
)
from loa.stations.models import Player

# A cancelled or ended emergency stays listed this long, so a player that missed the
# cancel notice (offline, no broker) still learns to stop.
KEEP_OVER = timedelta(hours=24)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="milliseconds")


def _status(status: BulletinStatus, valid_until: datetime, now: datetime) -> str:
    """What the player should do: an active bulletin whose window passed has ended."""
    if status is BulletinStatus.active and valid_until <= now:
        return BulletinStatus.ended.value
    return status.value


def player_bulletins(
    session: Session, player: Player, now: datetime
) -> tuple[dict[str, Any], str]:
    """(the answer, its ETag), in one query.

    Cases: active emergencies sent to the player are listed; a cancelled or
    ended one for 24 h after; a pending, normal or priority bulletin never (the
    schedule carries those); one sent to other players (or other zones) never; the audio
    is the one its delivery row gives it (its zone's language variant, else the bulletin's).
    """
    since = now - KEEP_OVER
    rows = session.execute(
        select(Bulletin.id, Bulletin.title, Bulletin.status, Bulletin.sent_at,
               Bulletin.valid_until, Bulletin.repeat_count, Bulletin.repeat_every_s,
               Bulletin.on_the_hour,
               AudioAsset.sha256, AudioAsset.bytes, AudioAsset.format, AudioAsset.duration_ms)
        .select_from(BulletinDelivery)
        .join(Bulletin, Bulletin.id == BulletinDelivery.bulletin_id)
        # the audio its row gives it: its zone's language variant, or the bulletin's own
        .join(AudioAsset, AudioAsset.sha256 == BulletinDelivery.asset_sha256)
        .where(
            BulletinDelivery.player_id == player.id,
            Bulletin.priority == BulletinPriority.emergency,
            Bulletin.valid_until >= since,
            or_(Bulletin.status == BulletinStatus.active,
                and_(Bulletin.status.in_((BulletinStatus.cancelled, BulletinStatus.ended)),
                     Bulletin.updated_at >= since)),
        )
        .order_by(Bulletin.id)
    ).all()
    listed = [
        {
            "id": r.id, "title": r.title, "priority": BulletinPriority.emergency.value,
            "status": _status(r.status, r.valid_until, now), "sent_at": _iso(r.sent_at),
            "valid_until": _iso(r.valid_until),
            # On the hour, the repeats are placed plays in the schedule; listed here, once.
            "repeat_count": 1 if r.on_the_hour else r.repeat_count,
            "repeat_every_s": 0 if r.on_the_hour else r.repeat_every_s,
            "audio": audio_json(r.sha256, r.bytes, r.format, r.duration_ms),
        }
        for r in rows
    ]
    content = {"player": player.id, "bulletins": listed}
    etag = hashlib.sha256(canonical_json(content).encode()).hexdigest()
    return content, etag


def bulletin_asset(session: Session, player: Player, sha256: str) -> AudioAsset | None:
    """The audio a bulletin sent to this player gives it (any state: a cancel may race the
    fetch); a variant of another language than its zone's is not its to fetch."""
    return session.scalar(
        select(AudioAsset)
        .join(BulletinDelivery, BulletinDelivery.asset_sha256 == AudioAsset.sha256)
        .where(AudioAsset.sha256 == sha256, BulletinDelivery.player_id == player.id)
        .limit(1)
    )
