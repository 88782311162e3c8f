"""The evidence behind one station-month's verdict: every log entry and why it counts or not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from loa.compliance.audit import (
    Reading,
    ReportRow,
    airing_facts,
    counting_rule,
    station_month_report,
)
from loa.compliance.batch import logged_event, programme_variants
from loa.compliance.close import closed_at
from loa.compliance.models import AiringLogEntry
from loa.compliance.rules import AiringFacts, ProgrammeFacts, why_not_counted
from loa.months import month_bounds
from loa.playlists.models import Airing, Campaign
from loa.playlists.schedule import month_airings
from loa.stations.models import DEFAULT_LANGUAGE, DEFAULT_ZONE_CODE, Player, Station, Zone

LATE = "đến sau khi tháng đã khóa sổ, không làm thay đổi kết quả (arrived after the month closed)"
ALREADY = "lượt phát này đã được tính (airing already counted)"


@dataclass(frozen=True)
class EvidenceLine:
    seq: int
    at: datetime
    received_at: datetime
    event: str
    airing_id: int | None
    airing_starts_at: datetime | None
    player: str
    played_ms: int | None
    asset_sha256: str | None
    counted: bool
    reason: str | None  # why it does not count; None for a counted completion
    late: bool  # appended after the month closed
    zone: str = DEFAULT_ZONE_CODE  # the zone of the player that logged it
    # Which recording of its airing's programme it names: "vi" the master, else a language
    # variant's language; None for other audio or none.
    recording: str | None = None


@dataclass(frozen=True)
class Evidence:
    row: ReportRow
    lines: list[EvidenceLine]
    planned: list[Airing]  # this campaign's airings of the station in the month
    closed_at: datetime | None
    # The month's programme's language variants, (language, audio), beside its master.
    variants: tuple[tuple[str, ProgrammeFacts], ...] = ()


def recording_of(airing: AiringFacts | None, sha256: str | None) -> str | None:
    """Which of the airing's recordings ``sha256`` is: "vi" for its programme's master, a
    variant's language, None for any other audio (or none, or no airing)."""
    if airing is None or sha256 is None or airing.programme is None:
        return None
    if sha256 == airing.programme.sha256:
        return DEFAULT_LANGUAGE
    return next((language for language, v in airing.variants if v.sha256 == sha256), None)


def station_month_evidence(
    session: Session, station: Station, campaign: Campaign, month: str, reading: Reading
) -> Evidence | None:
    """The verdict, the airings planned, and each log entry of the month with its reading.

    Cases: entries are those stamped in the month or reporting one of its airings;
    an entry after the chain head the close snapshot names is shown as late
    and never counts;
    None when the campaign does not report this station-month.
    """
    rows = [
        r
        for r in station_month_report(session, station.unit, month, reading, campaign.code)
        if r.station == station.code
    ]
    if not rows:
        return None
    rule = counting_rule(campaign, station, month, reading)
    airings = month_airings(session, station, month)
    start, end = month_bounds(month, rule.tz)
    entries = session.execute(
        select(AiringLogEntry, Player.name, Zone.code, Zone.language)
        .join(Player, Player.id == AiringLogEntry.player_id)
        .outerjoin(Zone, Zone.id == Player.zone_id)
        .where(
            AiringLogEntry.station_id == station.id,
            or_(
                (AiringLogEntry.at >= start) & (AiringLogEntry.at < end),
                AiringLogEntry.airing_id.in_([a.id for a in airings]),
            ),
        )
        .order_by(AiringLogEntry.seq)
    ).all()
    referenced = {e.airing_id for e, _, _, _ in entries} - {a.id for a in airings} - {None}
    known = airings + list(session.scalars(select(Airing).where(Airing.id.in_(referenced))))
    programme_id = rows[0].programme_id  # the month's programme, named in the header
    variants = programme_variants(session, {a.programme_id for a in known} | {programme_id}
                                  - {None})
    facts = airing_facts(known, variants)
    closed = closed_at(session, month)
    # Judged by zone, an airing counts once in each zone that completed it.
    by_zone = bool(rows[0].zones)
    seen: set[tuple[str, int | None]] = set()
    lines = []
    for entry, player, zone_code, language in entries:
        zone = zone_code or DEFAULT_ZONE_CODE
        # The snapshot names the chain head it was computed from: anything after it is late.
        late = closed is not None and entry.seq > rows[0].chain_seq
        reason = LATE if late else why_not_counted(logged_event(entry, zone, language), facts, rule)
        key = (zone if by_zone else "", entry.airing_id)
        if reason is None and key in seen:
            reason = ALREADY
        if reason is None:
            seen.add(key)
        airing = facts.get(entry.airing_id) if entry.airing_id is not None else None
        lines.append(
            EvidenceLine(
                entry.seq,
                entry.at,
                entry.received_at,
                entry.event,
                entry.airing_id,
                airing.starts_at if airing else None,
                player,
                entry.played_ms,
                entry.asset_sha256,
                reason is None,
                reason,
                late,
                zone,
                recording_of(airing, entry.asset_sha256),
            )
        )
    planned = [a for a in airings if a.programme.campaign_id == campaign.id]
    return Evidence(rows[0], lines, planned, closed, variants.get(programme_id or 0, ()))
