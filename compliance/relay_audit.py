"""The relay verdict: for each station and required relay slot, in a month, the time the
station relayed against the time its slots scheduled (issue 17 §3).

Like a campaign's count, a station-month is compliant once it relayed at least
``LOA_RELAY_MIN_SHARE`` (default 90%) of the scheduled time; a month not yet ended
is never a failure. The evidence is the station's chain: each ``relay.completed``
(signed, accepted by ingest for a slot the station carries) names its slot and
occurrence and says how much of the stream went on air. A station whose relay reaches two
or more zones with a player in use is judged zone by zone, like a campaign's count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from loa.compliance.batch import player_zones
from loa.compliance.models import AiringLogEntry
from loa.compliance.rules import Status, counts_by_zone
from loa.months import month_bounds
from loa.playlists.relay_models import RelaySlot
from loa.playlists.relays import RelaySpan, relay_spans
from loa.stations.models import DEFAULT_ZONE_CODE, AdminUnit, Station
from loa.stations.retire import reported_in
from loa.stations.units import StationRef, stations_under

COLUMNS = ("station", "station_name", "slot_id", "source", "scheduled_ms", "relayed_ms",
           "fallback_ms", "dropouts", "share", "status")


@dataclass(frozen=True)
class Report:
    """What one player said of one occurrence (its ``relay.completed``)."""

    slot_id: int
    starts_at: datetime
    relayed_ms: int
    fallback_ms: int
    dropouts: int


@dataclass(frozen=True)
class ZoneRelay:
    """One zone's part of a station's verdict (a station judged zone by zone)."""

    code: str
    relayed_ms: int
    share: float
    status: str


@dataclass(frozen=True)
class RelayVerdict:
    station: str
    station_name: str
    slot_id: int
    source: str
    scheduled_ms: int
    relayed_ms: int
    fallback_ms: int
    dropouts: int
    share: float
    status: str
    zones: tuple[ZoneRelay, ...] = ()  # empty: the station judged as one

    def row(self) -> dict[str, Any]:
        """The JSON row: ``zones`` only for a station judged zone by zone (CSV: COLUMNS)."""
        found = asdict(self)
        if not self.zones:
            del found["zones"]
        return found


def judge(spans: Iterable[RelaySpan], reports: Iterable[Report], month_over: bool,
          min_share: float) -> tuple[int, int, int, int, float, Status]:
    """(scheduled, relayed, fallback, dropouts, share, status) of one station's slot.

    Cases: each occurrence counts its best report (two players of a station
    relay the same stream: the better one is what the loudspeakers carried), capped
    at the occurrence's length (a burst on reconnecting never makes more than the
    slot); reports of occurrences not scheduled in the month count nothing; compliant
    at a share of at least ``min_share``; short of it, in progress while the month
    runs, short once it is over; nothing scheduled is compliant.
    """
    spans = list(spans)
    best: dict[datetime, Report] = {}
    for report in reports:
        held = best.get(report.starts_at)
        if held is None or report.relayed_ms > held.relayed_ms:
            best[report.starts_at] = report
    scheduled = relayed = fallback = dropouts = 0
    for span in spans:
        length = round((span.end - span.start).total_seconds() * 1000)
        scheduled += length
        report = best.get(span.start)
        if report is not None:
            relayed += min(report.relayed_ms, length)
            fallback += min(report.fallback_ms, length)
            dropouts += report.dropouts
    share = relayed / scheduled if scheduled else 1.0
    if share >= min_share:
        status = Status.compliant
    else:
        status = Status.short if month_over else Status.in_progress
    return scheduled, relayed, fallback, dropouts, round(share, 4), status


def _reports(session: Session, station_ids: list[int], zones: Mapping[int, tuple[str, str]],
             since: datetime) -> dict[tuple[int, int], list[tuple[str, Report]]]:
    """Every ``relay.completed`` of these stations logged from ``since`` on, by (station,
    slot), each with the zone code of the player that logged it (``zones``, by player id)."""
    found: dict[tuple[int, int], list[tuple[str, Report]]] = {}
    if not station_ids:
        return found
    rows = session.execute(
        select(AiringLogEntry.station_id, AiringLogEntry.player_id, AiringLogEntry.detail)
        .where(AiringLogEntry.station_id.in_(station_ids),
               AiringLogEntry.event == "relay.completed", AiringLogEntry.at >= since))
    for station_id, player_id, detail in rows:
        try:
            report = Report(int(detail["slot_id"]), datetime.fromisoformat(detail["starts_at"]),
                            int(detail.get("relayed_ms") or 0),
                            int(detail.get("fallback_ms") or 0),
                            int(detail.get("dropouts") or 0))
        except (KeyError, TypeError, ValueError):
            continue  # a report that names no occurrence proves none
        zone = zones.get(player_id, (DEFAULT_ZONE_CODE, ""))[0]
        found.setdefault((station_id, report.slot_id), []).append((zone, report))
    return found


def _station_verdict(slot: RelaySlot, spans: list[RelaySpan],
                     reports: list[tuple[str, Report]], playing: list[str], month_over: bool,
                     min_share: float) -> tuple[tuple[int, int, int, int, float, Status],
                                                tuple[ZoneRelay, ...]]:
    """One station's judgement of a slot, and its zones' when judged zone by zone.

    Cases: a slot naming zones counts only the reports of its zones' players, and
    waits only for those of its zones with a player in use; two or more such zones →
    each is judged on its own players' reports, and the station stands at its zone that
    relayed least (as a campaign's count by zone, §6); one or none → the station as one.
    """
    named = {z.code for z in slot.zones}
    if named:
        reports = [(code, r) for code, r in reports if code in named]
        playing = [code for code in playing if code in named]
    if not counts_by_zone(playing):
        return judge(spans, [r for _code, r in reports], month_over, min_share), ()
    judged = {code: judge(spans, [r for c, r in reports if c == code], month_over, min_share)
              for code in playing}
    zones = tuple(ZoneRelay(code, j[1], j[4], str(j[5])) for code, j in judged.items())
    return min(judged.values(), key=lambda j: j[1]), zones


def relay_verdicts(session: Session, unit: AdminUnit, month: str, now: datetime,
                   min_share: float) -> list[RelayVerdict]:
    """Per station under ``unit`` and required relay slot it carries, the month's verdict."""
    stations = [st for st in stations_under(session, unit) if reported_in(st, month)]
    return station_verdicts(session, stations, month, now, min_share)


def station_verdicts(session: Session, stations: Sequence[Station | StationRef], month: str,
                     now: datetime, min_share: float) -> list[RelayVerdict]:
    """The month's verdict of each required relay slot of these stations, in the same few
    queries however many stations (the month overview reads them all at once)."""
    ids = [s.id for s in stations]
    required = {slot.id: slot for slot in session.scalars(
        select(RelaySlot).where(RelaySlot.required.is_(True))
        .options(joinedload(RelaySlot.source), selectinload(RelaySlot.zones)))}
    if not required or not ids:
        return []
    wide = month_bounds(month, ZoneInfo("UTC"))
    spans = relay_spans(session, wide[0] - timedelta(days=1), wide[1] + timedelta(days=1), ids)
    zones, playing = player_zones(session, ids)
    # A report comes once its occurrence is over (a restarted agent's even later), never
    # before it began: the month's reports are those logged since it began.
    reports = _reports(session, ids, zones, wide[0] - timedelta(days=1))
    verdicts = []
    for station in stations:
        start, end = month_bounds(month, ZoneInfo(station.timezone))
        mine: dict[int, list[RelaySpan]] = {}
        for span in spans.get(station.id, []):
            slot = required.get(span.slot_id)
            # An occurrence before the slot was set was never scheduled: no player had it.
            if slot is not None and start <= span.start < end and span.start >= slot.created_at:
                mine.setdefault(span.slot_id, []).append(span)
        for slot_id, slot_spans in sorted(mine.items()):
            judged, by_zone = _station_verdict(
                required[slot_id], slot_spans, reports.get((station.id, slot_id), []),
                playing.get(station.id, []), now >= end, min_share)
            scheduled, relayed, fallback, dropouts, share, status = judged
            verdicts.append(RelayVerdict(station.code, station.name, slot_id,
                                         required[slot_id].source.code, scheduled, relayed,
                                         fallback, dropouts, share, str(status), by_zone))
    return verdicts


def period_verdicts(session: Session, unit: AdminUnit, months: Iterable[str], now: datetime,
                    min_share: float) -> list[tuple[str, RelayVerdict]]:
    """The relay verdicts of each month of a report's period, with their month."""
    return [(month, v) for month in months
            for v in relay_verdicts(session, unit, month, now, min_share)]


STATUS_WORDS = {"compliant": "Đạt", "in_progress": "Tháng đang diễn ra",
                "short": "Chưa đủ thời lượng"}
