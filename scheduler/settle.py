"""Settling airings once their slot is over: aired, failed or missed (pure rule + DB edge)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.compliance.audit import airing_facts
from loa.compliance.batch import programme_variants, zoned_events
from loa.compliance.models import AiringLogEntry
from loa.compliance.rules import (
    AiringFacts,
    CountingRule,
    LoggedEvent,
    Requirement,
    local_month,
    why_not_counted,
)
from loa.months import month_bounds
from loa.playlists.models import LOST, STILL_TO_AIR, Airing, AiringStatus, Campaign, Programme
from loa.stations.models import Station

# Players on a bad link report late; give them this long before calling an airing missed.
GRACE = timedelta(hours=6)


def settled_status(
    airing: AiringFacts, now: datetime, reported: Iterable[LoggedEvent], rule: CountingRule
) -> AiringStatus | None:
    """What an open airing became, or None while it may still be reported.

    Cases: a completion the audit counts (``why_not_counted``: its own audio, at
    least 95%, started within the tolerance of the slot, received after it could
    have ended) → aired at any time; a play the audit does not count is not an
    airing of this programme, so once the grace after its end has passed,
    anything else reported (a failure, an interruption, a short, wrong-audio or
    off-slot completion) → failed, silence → missed.
    """
    reports = list(reported)
    if any(why_not_counted(r, {airing.airing_id: airing}, rule) is None for r in reports):
        return AiringStatus.aired
    duration_ms = airing.programme.duration_ms if airing.programme else 0
    if now < airing.starts_at + timedelta(milliseconds=duration_ms) + GRACE:
        return None
    return AiringStatus.failed if reports else AiringStatus.missed


@dataclass
class SettleReport:
    counts: dict[AiringStatus, int] = field(default_factory=dict)
    # "YYYY-MM" -> stations that lost an airing of that month while it still runs
    to_make_up: dict[str, set[int]] = field(default_factory=dict)


def settle_airings(session: Session, now: datetime, tolerance: timedelta) -> SettleReport:
    """Settle every open airing that has started; say how many became what, and what to make up.

    An airing is held to the audit's counting rule (``tolerance``: how far off its
    slot a play may start), so what settles ``aired`` is what the month's report counts.
    """
    rows = session.execute(
        select(Airing, Campaign, Station.timezone)
        .join(Programme, Airing.programme_id == Programme.id)
        .join(Campaign, Programme.campaign_id == Campaign.id)
        .join(Station, Airing.station_id == Station.id)
        .where(Airing.status.in_(STILL_TO_AIR), Airing.starts_at <= now)
    ).all()
    report = SettleReport()
    for airing, campaign, timezone in rows:
        tz = ZoneInfo(timezone)
        month = local_month(airing.starts_at, tz)
        rule = CountingRule(
            campaign.id, month, tz,
            Requirement(campaign.min_airings, campaign.min_s, campaign.max_s), tolerance,
        )
        reported = session.scalars(
            select(AiringLogEntry).where(AiringLogEntry.airing_id == airing.id)
        )
        # With its zone's language, a play of the programme's variant is the airing's too.
        facts = airing_facts([airing], programme_variants(session, {airing.programme_id}))
        status = settled_status(facts[airing.id], now, zoned_events(session, reported), rule)
        if status is None:
            continue
        airing.status = status
        report.counts[status] = report.counts.get(status, 0) + 1
        if status in LOST and month_bounds(month, tz)[1] > now:
            report.to_make_up.setdefault(month, set()).add(airing.station_id)
    session.flush()
    return report
