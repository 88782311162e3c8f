"""What a report says beyond its tables: the assessment, and the shortcomings and their causes.

Pure rules over the report's rows and the facts ``findings_data`` reads; the PDF
writes them as "Đánh giá" and "Tồn tại, hạn chế".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from loa.clock import VN
from loa.compliance.audit import ReportRow
from loa.compliance.export import status_label, zones_text
from loa.compliance.rules import Status
from loa.errors import bilingual

RowKey = tuple[str, str, str]  # station code, campaign code, month


def row_key(row: ReportRow) -> RowKey:
    return (row.station, row.campaign, row.month)


class Standing(StrEnum):
    """Where a station-month stands, as an assessment groups it."""

    compliant = "compliant"
    at_risk = "at_risk"  # running, and even what is still planned will not reach the count
    in_progress = "in_progress"
    failed = "failed"


def standing(row: ReportRow) -> Standing:
    """Cases: compliant → compliant; a month still running → at risk when the airings
    counted and those still planned fall short of the requirement, else in progress
    (never a failure); every other verdict of an ended month → failed."""
    if row.status == Status.compliant:
        return Standing.compliant
    if row.status == Status.in_progress:
        short = row.counted + row.still_planned < row.required
        return Standing.at_risk if short else Standing.in_progress
    return Standing.failed


@dataclass(frozen=True)
class AiringOutcomes:
    """A station-month's lost airings: missed (nothing reported), failed, and why each failed."""

    missed: int = 0
    failed: int = 0
    reasons: tuple[str, ...] = ()  # one per failed airing, as the player or the rule said


@dataclass(frozen=True)
class StationState:
    """What the station's equipment says about a failure: players enrolled, last heard of."""

    players: int
    last_seen: datetime | None


@dataclass(frozen=True)
class CampaignAssessment:
    campaign: str
    compliant: int
    at_risk: int
    in_progress: int
    failed: int
    counted: int  # airings counted by the rule of design §6
    missed: int
    failed_airings: int
    reasons: list[tuple[str, int]] = field(default_factory=list)  # most frequent first

    @property
    def judged(self) -> int:
        return self.compliant + self.failed


def _vietnamese(reason: str) -> str:
    return bilingual(reason)[0]


def assess(
    rows: Sequence[ReportRow], outcomes: Mapping[RowKey, AiringOutcomes]
) -> list[CampaignAssessment]:
    """Per campaign: station-months by standing, airings counted, missed and failed with
    their reasons (the same reason counted once per airing)."""
    by_campaign: dict[str, list[ReportRow]] = {}
    for row in rows:
        by_campaign.setdefault(row.campaign, []).append(row)
    found = []
    for campaign, its_rows in sorted(by_campaign.items()):
        standings = Counter(standing(r) for r in its_rows)
        lost = [outcomes.get(row_key(r), AiringOutcomes()) for r in its_rows]
        reasons = Counter(_vietnamese(reason) for o in lost for reason in o.reasons)
        found.append(CampaignAssessment(
            campaign,
            compliant=standings[Standing.compliant],
            at_risk=standings[Standing.at_risk],
            in_progress=standings[Standing.in_progress],
            failed=standings[Standing.failed],
            counted=sum(r.counted for r in its_rows),
            missed=sum(o.missed for o in lost),
            failed_airings=sum(o.failed for o in lost),
            reasons=reasons.most_common(),
        ))
    return found


@dataclass(frozen=True)
class Shortcoming:
    station: str
    station_name: str
    campaign: str
    month: str
    verdict: str
    causes: list[str]


def _days(since: datetime, now: datetime) -> int:
    return max((now - since).days, 0)


def causes_of(
    row: ReportRow, lost: AiringOutcomes, station: StationState | None, now: datetime
) -> list[str]:
    """Why a station-month failed, from the evidence, most telling first.

    Cases: a broken log names the seq it breaks at; no approved programme, or one
    outside the length bounds, says so; a month short of airings gives its count, and a
    station judged zone by zone each zone's;
    no player enrolled, or none heard of for a day or more, says since when;
    airings nobody reported are counted as missed, and each refusal says the rule.
    """
    causes = []
    if row.status == Status.evidence_broken:
        causes.append(f"nhật ký phát bị sửa đổi từ mục {row.broken_seq}: "
                      "không dùng được làm bằng chứng")
    elif row.status == Status.no_programme:
        causes.append("không có chương trình được duyệt cho tháng")
    elif row.status in (Status.too_short, Status.too_long):
        minutes = (row.programme_duration_s or 0) / 60
        causes.append(f"chương trình dài {minutes:.1f} phút, ngoài thời lượng quy định")
    else:
        causes.append(f"chỉ {row.counted}/{row.required} lượt phát đạt yêu cầu")
    if row.zones:  # judged zone by zone: the station stands at its zone that aired least
        causes.append(f"tính theo từng cụm loa: {zones_text(row)}")
    if station is not None and station.players == 0:
        causes.append("đài chưa có thiết bị phát nào được đăng ký")
    elif station is not None and station.last_seen is None:
        causes.append("thiết bị phát chưa từng kết nối với máy chủ")
    elif station is not None and station.last_seen is not None and _days(station.last_seen,
                                                                          now) >= 1:
        seen = station.last_seen.astimezone(VN)
        causes.append(f"thiết bị phát mất liên lạc {_days(station.last_seen, now)} ngày "
                      f"(lần cuối lúc {seen:%H:%M %d/%m/%Y})")
    if lost.missed:
        causes.append(f"{lost.missed} lượt phát không có báo cáo (không phát, mất điện "
                      "hoặc mất kết nối)")
    for reason, count in Counter(_vietnamese(r) for r in lost.reasons).most_common():
        causes.append(f"{count} lượt không được tính: {reason}")
    return causes


def shortcomings(
    rows: Sequence[ReportRow],
    outcomes: Mapping[RowKey, AiringOutcomes],
    stations: Mapping[str, StationState],
    now: datetime,
) -> list[Shortcoming]:
    """Each failed station-month with its causes, station by station, months in order."""
    failed = [r for r in rows if standing(r) is Standing.failed]
    return [
        Shortcoming(r.station, r.station_name, r.campaign, r.month, status_label(r),
                    causes_of(r, outcomes.get(row_key(r), AiringOutcomes()),
                              stations.get(r.station), now))
        for r in sorted(failed, key=lambda r: (r.station, r.campaign, r.month))
    ]


@dataclass(frozen=True)
class Findings:
    """What the report says in words: per campaign an assessment, and what fell short."""

    assessments: list[CampaignAssessment]
    shortcomings: list[Shortcoming]
    topics: dict[str, str]  # campaign code → its topic, as the report names it
