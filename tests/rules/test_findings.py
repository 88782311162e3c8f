"""What a report says in words: standings, causes of a failure, the assessment per campaign."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from loa.compliance.audit import ReportRow
from loa.compliance.findings import (
    AiringOutcomes,
    Standing,
    StationState,
    assess,
    causes_of,
    shortcomings,
    standing,
)

NOW = datetime(2027, 1, 2, 3, 0, tzinfo=UTC)
ROW = ReportRow(
    station="TH", station_name="Đài TH", unit="Phường 11557", campaign="CDS", month="2026-12",
    required=3, counted=1, programme_id=7, programme_sha256="a" * 64,
    programme_duration_s=720.0, status="short", chain_seq=4, chain_head="b" * 64,
)
HEARD = StationState(players=1, last_seen=NOW - timedelta(hours=2))


@pytest.mark.parametrize(
    ("status", "counted", "still_planned", "expected"),
    [
        ("compliant", 3, 0, Standing.compliant),
        ("in_progress", 1, 2, Standing.in_progress),  # what is planned still reaches 3
        ("in_progress", 0, 0, Standing.at_risk),  # a month still running is never a failure
        ("in_progress", 1, 1, Standing.at_risk),
        ("short", 2, 0, Standing.failed),
        ("no_programme", 0, 0, Standing.failed),
        ("too_short", 0, 0, Standing.failed),
        ("evidence_broken", 3, 0, Standing.failed),
    ],
)
def test_standing(status: str, counted: int, still_planned: int, expected: Standing) -> None:
    row = replace(ROW, status=status, counted=counted, still_planned=still_planned)
    assert standing(row) is expected


@pytest.mark.parametrize(
    ("row", "lost", "station", "expected"),
    [
        (ROW, AiringOutcomes(), HEARD, ["chỉ 1/3 lượt phát đạt yêu cầu"]),
        (replace(ROW, status="no_programme", counted=0), AiringOutcomes(), HEARD,
         ["không có chương trình được duyệt cho tháng"]),
        (replace(ROW, status="too_short", programme_duration_s=300.0), AiringOutcomes(), HEARD,
         ["chương trình dài 5.0 phút, ngoài thời lượng quy định"]),
        (replace(ROW, status="evidence_broken", broken_seq=12), AiringOutcomes(), HEARD,
         ["nhật ký phát bị sửa đổi từ mục 12: không dùng được làm bằng chứng"]),
        (ROW, AiringOutcomes(), StationState(0, None),
         ["chỉ 1/3 lượt phát đạt yêu cầu", "đài chưa có thiết bị phát nào được đăng ký"]),
        (ROW, AiringOutcomes(), StationState(1, None),
         ["chỉ 1/3 lượt phát đạt yêu cầu", "thiết bị phát chưa từng kết nối với máy chủ"]),
        (ROW, AiringOutcomes(), StationState(1, NOW - timedelta(days=9, hours=1)),
         ["chỉ 1/3 lượt phát đạt yêu cầu",
          "thiết bị phát mất liên lạc 9 ngày (lần cuối lúc 09:00 24/12/2026)"]),
        (ROW, AiringOutcomes(missed=2), HEARD,
         ["chỉ 1/3 lượt phát đạt yêu cầu",
          "2 lượt phát không có báo cáo (không phát, mất điện hoặc mất kết nối)"]),
        # Refusals come as "Vietnamese (English)": the report keeps the Vietnamese, grouped.
        (ROW, AiringOutcomes(failed=3, reasons=(
            "phát chưa đủ 95% thời lượng (played less than 95%)",
            "thiết bị báo lỗi khi phát (aplay: no soundcard)",
            "phát chưa đủ 95% thời lượng (played less than 95%)")), HEARD,
         ["chỉ 1/3 lượt phát đạt yêu cầu",
          "2 lượt không được tính: phát chưa đủ 95% thời lượng",
          "1 lượt không được tính: thiết bị báo lỗi khi phát"]),
    ],
)
def test_causes_of_a_failure(
    row: ReportRow, lost: AiringOutcomes, station: StationState, expected: list[str]
) -> None:
    assert causes_of(row, lost, station, NOW) == expected


def test_assessment_per_campaign_counts_standings_airings_and_reasons() -> None:
    rows = [
        replace(ROW, station="TN", status="compliant", counted=3),
        ROW,
        replace(ROW, station="TH", month="2027-01", status="in_progress", counted=0,
                still_planned=3),
        replace(ROW, campaign="ATGT", station="TN", status="in_progress", counted=0),
    ]
    lost = {("TH", "CDS", "2026-12"): AiringOutcomes(1, 1, ("bị ngắt giữa chừng",))}
    cds, atgt = sorted(assess(rows, lost), key=lambda a: a.campaign != "CDS")
    assert (cds.compliant, cds.failed, cds.in_progress, cds.at_risk) == (1, 1, 1, 0)
    assert (cds.counted, cds.missed, cds.failed_airings) == (4, 1, 1)
    assert cds.reasons == [("bị ngắt giữa chừng", 1)] and cds.judged == 2
    assert (atgt.at_risk, atgt.judged) == (1, 0)


def test_only_failed_months_are_shortcomings_station_by_station() -> None:
    rows = [
        replace(ROW, station="TN", status="compliant", counted=3),
        replace(ROW, month="2026-11"),
        replace(ROW, station="TH", month="2027-01", status="in_progress", counted=0),
        replace(ROW, station="AB", status="no_programme", counted=0),
    ]
    found = shortcomings(rows, {}, {"TH": HEARD}, NOW)
    assert [(s.station, s.month, s.verdict) for s in found] == [
        ("AB", "2026-12", "Chưa có chương trình"),
        ("TH", "2026-11", "Chưa đủ lượt phát"),
    ]
