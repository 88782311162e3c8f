"""Audit: every station-month's verdict (verifying the log is compliance.verify)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loa.collector import collection_paused
from loa.compliance.batch import MonthFacts, load_facts
from loa.compliance.chain import chain_heads
from loa.compliance.models import MonthClose, StationMonthSnapshot
from loa.compliance.rules import (
    AiringFacts,
    CountingRule,
    ProgrammeFacts,
    Requirement,
    Status,
    ZoneVerdict,
    counted_airings_by_zone,
    station_counted,
    station_month_status,
    zone_verdicts,
)
from loa.compliance.verify import Problem, evidence_breaks
from loa.months import month_bounds
from loa.playlists.models import STILL_TO_AIR, Airing, AiringStatus, Campaign, Programme
from loa.settings import Settings
from loa.stations.models import DEFAULT_ZONE_CODE, AdminUnit, Station
from loa.stations.retire import reported_in
from loa.stations.units import StationRef, stations_under


@dataclass(frozen=True)
class Reading:
    """When a report is read and how strictly its plays are timed and its relays judged."""

    now: datetime
    tolerance: timedelta
    relay_min_share: float = Settings.relay_min_share

    @classmethod
    def of(cls, settings: Settings, now: datetime) -> Reading:
        return cls(now, timedelta(minutes=settings.start_tolerance_minutes),
                   settings.relay_min_share)


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
    still_planned: int = 0  # airings of a month in progress still to come
    closed: bool = False  # read from the month-close snapshot
    broken_seq: int | None = None  # where the log stops being evidence, when status says so
    # Each zone's count and verdict when the station is judged by zone (two or more zones
    # with a player in use); empty, and left out of as_dict, when it reads as one.
    zones: tuple[ZoneRow, ...] = ()

    def as_dict(self) -> dict[str, object]:
        # Its fields in order, flat (dataclasses.asdict's recursion over every row cost a
        # country's report a tenth of a second); only a station judged by zone lists them.
        found = dict(self.__dict__)
        if self.zones:
            found["zones"] = [asdict(z) for z in self.zones]
        else:
            del found["zones"]
        return found


@dataclass(frozen=True)
class ZoneRow:
    """One zone of a station-month judged by zone (the report's ``zones`` list)."""

    code: str
    counted: int
    required: int
    status: str


def zone_rows(verdicts: Sequence[ZoneVerdict]) -> tuple[ZoneRow, ...]:
    return tuple(ZoneRow(v.code, v.counted, v.required, v.status.value) for v in verdicts)


def facts_of(programme: Programme | None) -> ProgrammeFacts | None:
    """A rendered programme's audio and length, as the rule sees them."""
    if programme is None or programme.master_sha256 is None or programme.duration_ms is None:
        return None
    return ProgrammeFacts(programme.master_sha256, programme.duration_ms)


def airing_facts(
    airings: list[Airing],
    variants: Mapping[int, tuple[tuple[str, ProgrammeFacts], ...]] | None = None,
) -> dict[int, AiringFacts]:
    """The rule's view of airings: each with the audio its own programme carries (and its
    language variants, by programme id, when given)."""
    return {
        a.id: AiringFacts(
            a.id,
            a.programme.campaign_id,
            a.starts_at,
            a.status is AiringStatus.cancelled,
            facts_of(a.programme),
            (variants or {}).get(a.programme_id, ()),
        )
        for a in airings
    }


def counting_rule(
    campaign: Campaign, station: Station | StationRef, month: str, reading: Reading
) -> CountingRule:
    requirement = Requirement(campaign.min_airings, campaign.min_s, campaign.max_s)
    return CountingRule(
        campaign.id, month, ZoneInfo(station.timezone), requirement, reading.tolerance
    )


def station_month_row(
    session: Session,
    station: Station | StationRef,
    campaign: Campaign,
    month: str,
    head: tuple[int, str] | None,
    reading: Reading,
) -> ReportRow:
    """The live verdict of one station-month (DESIGN §6), before the month closes."""
    facts = load_facts(session, [station], month, [campaign])
    broken = evidence_breaks(session, [station])[station.id]
    return judged_row(facts, station, campaign, head, broken, reading)


def judged_row(
    facts: MonthFacts,
    station: Station | StationRef,
    campaign: Campaign,
    head: tuple[int, str] | None,
    broken: Problem | None,
    reading: Reading,
) -> ReportRow:
    """One station-month's live verdict from what ``load_facts`` read (no query)."""
    month = facts.month
    programme = facts.applicable(campaign.id, station.unit_id)
    pfacts = programme.facts if programme else None
    airings = facts.airings.get(station.id, [])
    rule = counting_rule(campaign, station, month, reading)
    # Up to the chain head the verdict names (one appended since is not part of it).
    up_to = head[0] if head else 0
    completions = [e for seq, e in facts.completions.get(station.id, []) if seq <= up_to]
    by_id = {a.airing_id: a for a, _ in airings}
    playing = facts.playing.get(station.id, [])
    total, by_zone = counted_airings_by_zone(completions, by_id, rule, DEFAULT_ZONE_CODE)
    counted = station_counted(total, by_zone, playing)
    ended = reading.now >= month_bounds(month, rule.tz)[1]
    still = [
        a
        for a, status in airings
        if a.campaign_id == campaign.id and status in STILL_TO_AIR and a.starts_at > reading.now
    ]
    return ReportRow(
        station=station.code,
        station_name=station.name,
        unit=station.unit_name,
        campaign=campaign.code,
        month=month,
        required=campaign.min_airings,
        counted=counted,
        programme_id=programme.id if programme else None,
        programme_sha256=pfacts.sha256 if pfacts else None,
        programme_duration_s=pfacts.duration_ms / 1000 if pfacts else None,
        status=(
            Status.evidence_broken
            if broken
            else station_month_status(pfacts, rule.requirement, counted, ended)
        ).value,
        chain_seq=head[0] if head else 0,
        chain_head=head[1] if head else None,
        still_planned=len(still),
        broken_seq=broken.seq if broken else None,
        zones=zone_rows(zone_verdicts(pfacts, rule.requirement, by_zone, playing, ended)),
    )


def live_rows(
    session: Session, stations: list[StationRef], month: str, campaigns: list[Campaign],
    reading: Reading,
) -> list[tuple[Station, Campaign, ReportRow]]:
    """Every live verdict of ``stations`` for the ``campaigns`` covering them, set-based."""
    heads = chain_heads(session, [s.id for s in stations])
    facts = load_facts(session, stations, month, campaigns)
    breaks = evidence_breaks(session, stations)
    return [
        (station, campaign, judged_row(
            facts, station, campaign, heads.get(station.id), breaks[station.id], reading
        ))
        for station in stations
        for campaign in campaigns
        if facts.tree.is_under(station.unit_id, campaign.unit_id)
    ]


def campaign_first_month(session: Session, campaign: Campaign) -> str | None:
    """The month a campaign began: its first month, else its earliest programme's.

    Cases: months before it are not reported (no station could have aired it
    then); an open campaign with no programme yet has no known start (None), so
    every month it runs in is reported, as no_programme.
    """
    if campaign.first_month:
        return campaign.first_month
    return session.scalar(
        select(func.min(Programme.month)).where(Programme.campaign_id == campaign.id)
    )


def reported_campaigns(
    session: Session, month: str, campaign_code: str | None = None
) -> list[Campaign]:
    """Campaigns that ask for ``month``: running then, and begun by then."""
    return [
        c
        for c in session.scalars(select(Campaign).order_by(Campaign.code))
        if c.runs_in(month)
        and (campaign_code is None or c.code == campaign_code)
        and (campaign_first_month(session, c) or month) <= month
    ]


def _snapshot_rows(
    session: Session, stations: list[StationRef], month: str, campaign_code: str | None
) -> list[ReportRow]:
    by_id = {s.id: s for s in stations}
    breaks = evidence_breaks(session, stations)
    found = session.execute(
        select(StationMonthSnapshot, Campaign.code)
        .join(Campaign, Campaign.id == StationMonthSnapshot.campaign_id)
        .where(StationMonthSnapshot.month == month, StationMonthSnapshot.station_id.in_(by_id))
        .order_by(Campaign.code, StationMonthSnapshot.id)
    ).all()
    rows = []
    for snap, code in found:
        if campaign_code is not None and code != campaign_code:
            continue
        station = by_id[snap.station_id]
        duration = snap.programme_duration_ms
        # The snapshot's verdict stands only while the log it rests on still verifies.
        broken = breaks[station.id]
        rows.append(
            ReportRow(
                station=station.code,
                station_name=station.name,
                unit=station.unit_name,
                campaign=code,
                month=month,
                required=snap.required,
                counted=snap.counted,
                programme_id=snap.programme_id,
                programme_sha256=snap.programme_sha256,
                programme_duration_s=duration / 1000 if duration is not None else None,
                status=Status.evidence_broken.value if broken else snap.status,
                chain_seq=snap.chain_seq,
                chain_head=snap.chain_head,
                closed=True,
                broken_seq=broken.seq if broken else None,
                zones=tuple(ZoneRow(**z) for z in snap.zones or []),
            )
        )
    order = {s.code: i for i, s in enumerate(stations)}
    return sorted(rows, key=lambda r: (order[r.station], r.campaign))


def station_month_report(
    session: Session,
    unit: AdminUnit,
    month: str,
    reading: Reading,
    campaign_code: str | None = None,
) -> list[ReportRow]:
    """One row per station under ``unit`` and campaign that covers it in ``month``.

    Cases: a closed month reads its snapshot, whatever changed since; an open one
    is judged now. Set-based: a few queries whatever the number of stations, the
    collector paused meanwhile (all it builds lives until it returns).
    """
    with collection_paused():
        # A station retired before the month began is not held to it; its earlier months stay.
        stations = [st for st in stations_under(session, unit) if reported_in(st, month)]
        if session.get(MonthClose, month) is not None:
            return _snapshot_rows(session, stations, month, campaign_code)
        campaigns = reported_campaigns(session, month, campaign_code)
        return [row for _, _, row in live_rows(session, stations, month, campaigns, reading)]
