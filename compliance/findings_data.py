"""The facts a report's findings rest on, read set-based for the rows it covers."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loa.compliance.audit import Reading, ReportRow, airing_facts, counting_rule
from loa.compliance.batch import programme_variants, zoned_events
from loa.compliance.findings import (
    AiringOutcomes,
    Findings,
    RowKey,
    StationState,
    assess,
    shortcomings,
)
from loa.compliance.models import AiringLogEntry
from loa.compliance.rules import local_month, why_not_counted
from loa.playlists.models import Airing, AiringStatus, Campaign, Programme
from loa.stations.models import Player, Station

DEVICE_SAID = {
    "airing.failed": "thiết bị báo lỗi khi phát",
    "airing.interrupted": "bị ngắt giữa chừng",
    "airing.started": "bắt đầu phát nhưng không báo phát xong",
}


def _reason(
    session: Session, entry: AiringLogEntry | None, airing: Airing, reading: Reading
) -> str:
    """Why a failed airing did not count: the rule that refused its completion, else what
    the player reported (with the player's own words), else that nothing came."""
    if entry is None:
        return "không có báo cáo phát"
    if entry.event == "airing.completed":
        station, campaign = airing.station, airing.programme.campaign
        month = local_month(airing.starts_at, ZoneInfo(station.timezone))
        rule = counting_rule(campaign, station, month, reading)
        facts = airing_facts([airing], programme_variants(session, {airing.programme_id}))
        refused = why_not_counted(zoned_events(session, [entry])[0], facts, rule)
        return refused or "đã tính ở lượt khác"
    said = DEVICE_SAID.get(entry.event, entry.event)
    detail = entry.detail.get("reason") if isinstance(entry.detail, dict) else None
    return f"{said} ({detail})" if detail else said


def airing_outcomes(
    session: Session, rows: Sequence[ReportRow], reading: Reading
) -> dict[RowKey, AiringOutcomes]:
    """Per station-month of ``rows``: airings missed and failed, each failure with its reason
    (the last event its player logged for it)."""
    stations = {r.station for r in rows}
    months = {r.month for r in rows}
    if not stations:
        return {}
    lost = session.scalars(
        select(Airing)
        .join(Station, Station.id == Airing.station_id)
        .join(Programme, Programme.id == Airing.programme_id)
        .join(Campaign, Campaign.id == Programme.campaign_id)
        .where(Station.code.in_(stations),
               Airing.status.in_((AiringStatus.missed, AiringStatus.failed)))
    ).all()
    failed_ids = [a.id for a in lost if a.status is AiringStatus.failed]
    last_seq = (
        select(AiringLogEntry.airing_id, func.max(AiringLogEntry.seq).label("seq"))
        .where(AiringLogEntry.airing_id.in_(failed_ids))
        .group_by(AiringLogEntry.airing_id, AiringLogEntry.station_id)
        .subquery()
    )
    last = {
        e.airing_id: e
        for e in session.scalars(
            select(AiringLogEntry).join(
                last_seq,
                (last_seq.c.airing_id == AiringLogEntry.airing_id)
                & (last_seq.c.seq == AiringLogEntry.seq),
            )
        )
    } if failed_ids else {}
    counts: dict[RowKey, tuple[int, int, list[str]]] = {}
    for airing in lost:
        month = local_month(airing.starts_at, ZoneInfo(airing.station.timezone))
        if month not in months:
            continue
        key = (airing.station.code, airing.programme.campaign.code, month)
        missed, failed, reasons = counts.get(key, (0, 0, []))
        if airing.status is AiringStatus.missed:
            counts[key] = (missed + 1, failed, reasons)
        else:
            reasons.append(_reason(session, last.get(airing.id), airing, reading))
            counts[key] = (missed, failed + 1, reasons)
    return {k: AiringOutcomes(m, f, tuple(r)) for k, (m, f, r) in counts.items()}


def station_states(session: Session, rows: Sequence[ReportRow]) -> dict[str, StationState]:
    """Per station of ``rows``: its enrolled, unrevoked players and when one was last heard of."""
    codes = {r.station for r in rows}
    if not codes:
        return {}
    found = session.execute(
        select(Station.code, func.count(Player.id), func.max(Player.last_seen))
        .outerjoin(Player, (Player.station_id == Station.id) & Player.revoked.is_(False))
        .where(Station.code.in_(codes))
        .group_by(Station.code)
    ).all()
    return {code: StationState(players, last_seen) for code, players, last_seen in found}


def report_findings(session: Session, rows: Sequence[ReportRow], reading: Reading) -> Findings:
    """The assessment and the shortcomings of ``rows``, read at ``reading``."""
    outcomes = airing_outcomes(session, rows, reading)
    codes = {r.campaign for r in rows}
    topics = dict(session.execute(
        select(Campaign.code, Campaign.topic).where(Campaign.code.in_(codes))
    ).all()) if codes else {}
    return Findings(
        assess(rows, outcomes),
        shortcomings(rows, outcomes, station_states(session, rows), reading.now),
        topics,
    )
