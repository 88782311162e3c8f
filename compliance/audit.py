"""Audit: every station-month's verdict (verifying the log is compliance.verify)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.ingest import chain_heads
from compliance.models import AiringLogEntry
from compliance.rules import (
    LoggedEvent,
    ProgrammeFacts,
    Requirement,
    Status,
    counted_airings,
    station_month_status,
)
from compliance.verify import evidence_break
from playlists.models import Campaign
from playlists.programmes import applicable_programme
from scheduler.planning import month_bounds
from stations.models import AdminUnit, Station
from stations.units import ancestors, stations_under


@dataclass(frozen=True)
class ReportRow:
    station: str
    station_name: str
    unit: str
    campaign: str
    month: str
    required: int
    counted: int
    programme_id: int | None
    programme_sha256: str | None
    programme_duration_s: float | None
    status: str
    chain_seq: int
    chain_head: str | None
    broken_seq: int | None = None  # where the log stops being evidence, when status says so

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _logged(session: Session, station: Station, month: str) -> list[LoggedEvent]:
    start, end = month_bounds(month, ZoneInfo(station.timezone))
    rows = session.scalars(
        select(AiringLogEntry).where(
            AiringLogEntry.station_id == station.id,
            AiringLogEntry.at >= start,
            AiringLogEntry.at < end,
            AiringLogEntry.event == "airing.completed",
        )
    )
    return [LoggedEvent(r.event, r.airing_id, r.at, r.asset_sha256, r.played_ms) for r in rows]


def station_month_row(
    session: Session, station: Station, campaign: Campaign, month: str, head: tuple[int, str] | None
) -> ReportRow:
    programme = applicable_programme(session, station.unit, campaign.id, month)
    facts = (
        ProgrammeFacts(programme.master_sha256, programme.duration_ms)
        if programme and programme.master_sha256 and programme.duration_ms is not None
        else None
    )
    counted = (
        counted_airings(_logged(session, station, month), facts, month, ZoneInfo(station.timezone))
        if facts
        else 0
    )
    requirement = Requirement(campaign.min_airings, campaign.min_s, campaign.max_s)
    broken = evidence_break(session, station)
    return ReportRow(
        station=station.code,
        station_name=station.name,
        unit=station.unit.name,
        campaign=campaign.code,
        month=month,
        required=campaign.min_airings,
        counted=counted,
        programme_id=programme.id if programme else None,
        programme_sha256=facts.sha256 if facts else None,
        programme_duration_s=facts.duration_ms / 1000 if facts else None,
        status=(Status.evidence_broken if broken else station_month_status(
            facts, requirement, counted)).value,
        chain_seq=head[0] if head else 0,
        chain_head=head[1] if head else None,
        broken_seq=broken.seq if broken else None,
    )


def station_month_report(
    session: Session, unit: AdminUnit, month: str, campaign_code: str | None = None
) -> list[ReportRow]:
    """One row per station under ``unit`` and campaign that covers it in ``month``."""
    stations = stations_under(session, unit)
    heads = chain_heads(session, [s.id for s in stations])
    campaigns = [
        c
        for c in session.scalars(select(Campaign).order_by(Campaign.code))
        if c.runs_in(month) and (campaign_code is None or c.code == campaign_code)
    ]
    return [
        station_month_row(session, station, campaign, month, heads.get(station.id))
        for station in stations
        for campaign in campaigns
        if campaign.unit in ancestors(station.unit)
    ]
