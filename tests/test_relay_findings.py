"""What a report says of the required relays (the PDF's words), from the month verdicts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loa.compliance.relay_audit import RelayVerdict, ZoneRelay
from loa.compliance.relay_findings import minutes, percent, relay_findings, zones_words

HOUR = 3_600_000


def verdict(relayed_h: float, status: str, station: str = "TN", slot: int = 1,
            dropouts: int = 0, fallback_h: float = 0) -> RelayVerdict:
    return RelayVerdict(station, f"Đài {station}", slot, "VOV1", 15 * HOUR,
                        round(relayed_h * HOUR), round(fallback_h * HOUR), dropouts,
                        round(relayed_h / 15, 4), status)


@pytest.mark.parametrize(("months", "expected"), [
    pytest.param([("2026-11", verdict(15, "compliant")), ("2026-12", verdict(14, "compliant"))],
                 ("2/2", "96,7%", 2, 2, 0, 0), id="two months met"),
    pytest.param([("2026-11", verdict(9, "short")), ("2026-12", verdict(3, "in_progress"))],
                 ("0/1", "40%", 0, 1, 1, 1), id="a month short, one still running"),
    pytest.param([("2026-12", verdict(14, "compliant"))], ("1/1", "93,3%", 1, 1, 0, 0),
                 id="a running month already met is judged"),
    pytest.param([("2026-12", verdict(2, "in_progress"))],
                 ("đang thực hiện", "13,3%", 0, 0, 1, 0), id="only a running month"),
])
def test_the_period_per_station_and_slot(
    months: list[tuple[str, RelayVerdict]], expected: tuple[str, str, int, int, int, int]
) -> None:
    found = relay_findings(months, 0.9)
    (line,) = found.lines
    assert (line.months, percent(line.share), found.compliant, found.judged, found.running,
            len(found.shortfalls)) == expected


def test_lines_by_station_and_slot_and_a_shortfall_in_words() -> None:
    found = relay_findings([("2026-12", verdict(12, "short", "TN", 2, dropouts=3, fallback_h=2)),
                            ("2026-12", verdict(15, "compliant", "TH", 1)),
                            ("2026-11", verdict(15, "compliant", "TN", 2))], 0.9)
    assert [(x.named.station, x.named.slot_id) for x in found.lines] == [("TH", 1), ("TN", 2)]
    assert [(m, v.station) for m, v in found.monthly] == [
        ("2026-12", "TH"), ("2026-11", "TN"), ("2026-12", "TN")]
    assert found.shortfalls == [
        "Đài TN (TN), tháng 12/2026, tiếp sóng VOV1 (khung 2): chỉ tiếp sóng 720/900 phút "
        "(80%, yêu cầu 90%); 3 lần mất sóng, 120 phút phát tệp dự phòng"]


@pytest.mark.parametrize(("ms", "words"), [(1_770_000, "29,5"), (60_000, "1"), (0, "0")])
def test_minutes_in_a_report(ms: int, words: str) -> None:
    assert minutes(ms) == words


def test_a_station_judged_by_zone_names_each_zone_s_part() -> None:
    """It stands at its zone that relayed least; the shortfall says which zone that was."""
    judged = replace(verdict(6, "short"), zones=(ZoneRelay("chung", 15 * HOUR, 1.0, "compliant"),
                                                ZoneRelay("na-hang", 6 * HOUR, 0.4, "short")))
    assert zones_words(judged) == ("cụm loa chung 900/900 phút (100%, Đạt); cụm loa na-hang "
                                   "360/900 phút (40%, Chưa đủ thời lượng)")
    assert relay_findings([("2026-12", judged)], 0.9).shortfalls == [
        "Đài TN (TN), tháng 12/2026, tiếp sóng VOV1 (khung 1): chỉ tiếp sóng 360/900 phút "
        "(40%, yêu cầu 90%); theo cụm loa: " + zones_words(judged)]
    assert zones_words(verdict(6, "short")) == ""  # judged as one
