"""Settling airings once their slot is over: aired, failed or missed (pure rule + DB edge)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.models import AiringLogEntry
from compliance.rules import COMPLETE_SHARE
from playlists.models import Airing, AiringStatus, Programme
from scheduler.planning import month_bounds
from stations.models import Station

# Players on a bad link report late; give them this long before calling an airing missed.
GRACE = timedelta(hours=6)
OPEN = (AiringStatus.planned, AiringStatus.published)
LOST = (AiringStatus.failed, AiringStatus.missed)


class Reported(NamedTuple):
    """What a player logged about an airing: the event, the audio it played, for how long."""

    event: str
    sha256: str | None
    played_ms: int | None


def settled_status(
    ends_at: datetime, now: datetime, reported: Iterable[Reported], sha256: str, duration_ms: int
) -> AiringStatus | None:
    """What an open airing became, or None while it may still be reported.

    Cases: a completion of the airing's own audio (same sha256) that played at
    least 95% (the audit's rule) → aired at any time; a full play of other
    audio is not an airing of this programme; once the grace after its end has
    passed, anything else reported (a failure, an interruption, a short or
    wrong-audio completion) → failed, silence → missed.
    """
    reports = list(reported)
    if any(
        r.event == "airing.completed"
        and r.sha256 == sha256
        and (r.played_ms or 0) >= duration_ms * COMPLETE_SHARE
        for r in reports
    ):
        return AiringStatus.aired
    if now < ends_at + GRACE:
        return None
    return AiringStatus.failed if reports else AiringStatus.missed


@dataclass
class SettleReport:
    counts: dict[AiringStatus, int] = field(default_factory=dict)
    # "YYYY-MM" -> stations that lost an airing of that month while it still runs
    to_make_up: dict[str, set[int]] = field(default_factory=dict)


def settle_airings(session: Session, now: datetime) -> SettleReport:
    """Settle every open airing that has started; say how many became what, and what to make up."""
    rows = session.execute(
        select(Airing, Programme.duration_ms, Programme.master_sha256, Station.timezone)
        .join(Programme, Airing.programme_id == Programme.id)
        .join(Station, Airing.station_id == Station.id)
        .where(Airing.status.in_(OPEN), Airing.starts_at <= now)
    ).all()
    report = SettleReport()
    for airing, duration_ms, sha256, timezone in rows:
        reported = session.execute(
            select(AiringLogEntry.event, AiringLogEntry.asset_sha256, AiringLogEntry.played_ms)
            .where(AiringLogEntry.airing_id == airing.id)
        ).all()
        ends_at = airing.starts_at + timedelta(milliseconds=duration_ms or 0)
        status = settled_status(
            ends_at, now, (Reported(*r) for r in reported), sha256 or "", duration_ms or 0
        )
        if status is None:
            continue
        airing.status = status
        report.counts[status] = report.counts.get(status, 0) + 1
        tz = ZoneInfo(timezone)
        month = airing.starts_at.astimezone(tz).strftime("%Y-%m")
        if status in LOST and month_bounds(month, tz)[1] > now:
            report.to_make_up.setdefault(month, set()).add(airing.station_id)
    session.flush()
    return report
