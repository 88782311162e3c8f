"""The evidence behind one station-month's verdict: every log entry and why it counts or not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.audit import ReportRow, station_month_row
from compliance.ingest import chain_heads
from compliance.models import AiringLogEntry
from compliance.rules import LoggedEvent, ProgrammeFacts, why_not_counted
from playlists.models import Airing, Campaign, Programme
from scheduler.planning import month_bounds
from stations.models import Player, Station


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


@dataclass(frozen=True)
class Evidence:
    row: ReportRow
    lines: list[EvidenceLine]
    planned: list[Airing]  # this campaign's airings of the station in the month


def station_month_evidence(
    session: Session, station: Station, campaign: Campaign, month: str
) -> Evidence:
    """The verdict, the airings planned, and each log entry of the month with its reading."""
    tz = ZoneInfo(station.timezone)
    row = station_month_row(
        session, station, campaign, month, chain_heads(session, [station.id]).get(station.id)
    )
    facts = (
        ProgrammeFacts(row.programme_sha256, round(row.programme_duration_s * 1000))
        if row.programme_sha256 and row.programme_duration_s is not None
        else None
    )
    start, end = month_bounds(month, tz)
    entries = session.execute(
        select(AiringLogEntry, Player.name, Airing.starts_at)
        .join(Player, Player.id == AiringLogEntry.player_id)
        .outerjoin(Airing, Airing.id == AiringLogEntry.airing_id)
        .where(
            AiringLogEntry.station_id == station.id,
            AiringLogEntry.at >= start,
            AiringLogEntry.at < end,
        )
        .order_by(AiringLogEntry.seq)
    ).all()
    seen: set[int | None] = set()
    lines = []
    for entry, player, airing_start in entries:
        logged = LoggedEvent(
            entry.event, entry.airing_id, entry.at, entry.asset_sha256, entry.played_ms
        )
        reason = why_not_counted(logged, facts, month, tz) if facts else "chưa có chương trình"
        if reason is None and entry.airing_id in seen:
            reason = "lượt phát này đã được tính (airing already counted)"
        counted = reason is None
        if counted:
            seen.add(entry.airing_id)
        lines.append(
            EvidenceLine(
                entry.seq,
                entry.at,
                entry.received_at,
                entry.event,
                entry.airing_id,
                airing_start,
                player,
                entry.played_ms,
                entry.asset_sha256,
                counted,
                reason,
            )
        )
    planned = list(
        session.scalars(
            select(Airing)
            .join(Programme, Programme.id == Airing.programme_id)
            .where(
                Airing.station_id == station.id,
                Airing.starts_at >= start,
                Airing.starts_at < end,
                Programme.campaign_id == campaign.id,
            )
            .order_by(Airing.starts_at)
        )
    )
    return Evidence(row, lines, planned)
