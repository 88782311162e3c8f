"""Settling airings once their slot is over: aired, failed or missed (pure rule + DB edge)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.models import AiringLogEntry
from compliance.rules import COMPLETE_SHARE
from playlists.models import Airing, AiringStatus, Programme

# Players on a bad link report late; give them this long before calling an airing missed.
GRACE = timedelta(hours=6)
OPEN = (AiringStatus.planned, AiringStatus.published)


def settled_status(
    ends_at: datetime, now: datetime, events: Iterable[tuple[str, int | None]], duration_ms: int
) -> AiringStatus | None:
    """What an open airing became, or None while it may still be reported.

    Cases: a completion that played at least 95% (the audit's rule) → aired at
    any time; once the grace after its end has passed, anything else reported
    (a failure, an interruption, a short completion) → failed, silence → missed.
    """
    reported = list(events)
    if any(
        kind == "airing.completed" and (played or 0) >= duration_ms * COMPLETE_SHARE
        for kind, played in reported
    ):
        return AiringStatus.aired
    if now < ends_at + GRACE:
        return None
    return AiringStatus.failed if reported else AiringStatus.missed


def settle_airings(session: Session, now: datetime) -> dict[AiringStatus, int]:
    """Settle every open airing that has started; returns how many became what."""
    rows = session.execute(
        select(Airing, Programme.duration_ms)
        .join(Programme, Airing.programme_id == Programme.id)
        .where(Airing.status.in_(OPEN), Airing.starts_at <= now)
    ).all()
    counts: dict[AiringStatus, int] = {}
    for airing, duration_ms in rows:
        events = session.execute(
            select(AiringLogEntry.event, AiringLogEntry.played_ms).where(
                AiringLogEntry.airing_id == airing.id
            )
        ).all()
        ends_at = airing.starts_at + timedelta(milliseconds=duration_ms or 0)
        status = settled_status(ends_at, now, events, duration_ms or 0)
        if status is not None:
            airing.status = status
            counts[status] = counts.get(status, 0) + 1
    session.flush()
    return counts
