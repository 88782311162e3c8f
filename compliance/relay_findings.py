"""What a report says of the required relays: per station and slot over the period, and
each station-month short of the share. Pure, over the verdicts of ``relay_audit``; the PDF
writes them, and the XLSX's "Tiếp sóng" sheet carries the same lines (``add_relay_sheet``).
A station judged zone by zone says each zone's part too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from loa.compliance.export import neutral
from loa.compliance.relay_audit import STATUS_WORDS, RelayVerdict, ZoneRelay
from loa.compliance.rules import Status

Key = tuple[str, int]  # station code, relay slot id


@dataclass(frozen=True)
class RelayLine:
    """One station's required slot over the report's period."""

    named: RelayVerdict  # one month's verdict: it names the station, the slot, its source
    scheduled_ms: int
    relayed_ms: int
    compliant: int  # months at the share or above (a running month too, once it is there)
    judged: int  # months compliant or ended short
    running: int  # months still running, short of the share so far: never a failure

    @property
    def share(self) -> float:
        return self.relayed_ms / self.scheduled_ms if self.scheduled_ms else 1.0

    @property
    def months(self) -> str:
        """"2/3" months compliant; "đang thực hiện" when no month is judged yet."""
        return f"{self.compliant}/{self.judged}" if self.judged else "đang thực hiện"


@dataclass(frozen=True)
class RelayFindings:
    min_share: float
    lines: list[RelayLine] = field(default_factory=list)  # by station, then slot
    monthly: list[tuple[str, RelayVerdict]] = field(default_factory=list)  # the appendix
    shortfalls: list[str] = field(default_factory=list)  # a sentence per month short

    @property
    def compliant(self) -> int:
        return sum(line.compliant for line in self.lines)

    @property
    def judged(self) -> int:
        return sum(line.judged for line in self.lines)

    @property
    def running(self) -> int:
        return sum(line.running for line in self.lines)


def _decimal(value: float) -> str:
    """One decimal with the Vietnamese comma, none when it is 0: 64.52 → "64,5", 90 → "90"."""
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def percent(share: float) -> str:
    """A share as a report writes it: 0.6452 → "64,5%", 0.9 → "90%"."""
    return f"{_decimal(share * 100)}%"


def minutes(ms: int) -> str:
    """Milliseconds as a report's minutes: 1_770_000 → "29,5"."""
    return _decimal(ms / 60000)


def zone_words(v: RelayVerdict, zone: ZoneRelay) -> str:
    """One zone's part of a station judged zone by zone: "cụm loa na-hang 300/900 phút
    (33,3%, Chưa đủ thời lượng)"."""
    return (f"cụm loa {zone.code} {minutes(zone.relayed_ms)}/{minutes(v.scheduled_ms)} phút "
            f"({percent(zone.share)}, {status_words(zone)})")


def zones_words(v: RelayVerdict) -> str:
    """Every zone's part, "; " between them; "" for a station judged as one."""
    return "; ".join(zone_words(v, zone) for zone in v.zones)


def shortfall(month: str, v: RelayVerdict, min_share: float) -> str:
    """Why one station-month of a required slot falls short, in a report's words; a station
    judged zone by zone (it stands at its zone that relayed least) names each zone's part."""
    said = (f"{v.station_name} ({v.station}), tháng {month[5:]}/{month[:4]}, tiếp sóng "
            f"{v.source} (khung {v.slot_id}): chỉ tiếp sóng {minutes(v.relayed_ms)}/"
            f"{minutes(v.scheduled_ms)} phút ({percent(v.share)}, yêu cầu "
            f"{percent(min_share)})")
    lost = []
    if v.dropouts:
        lost.append(f"{v.dropouts} lần mất sóng")
    if v.fallback_ms:
        lost.append(f"{minutes(v.fallback_ms)} phút phát tệp dự phòng")
    if v.zones:
        lost.append(f"theo cụm loa: {zones_words(v)}")
    return f"{said}; {', '.join(lost)}" if lost else said


def relay_findings(verdicts: Sequence[tuple[str, RelayVerdict]],
                   min_share: float) -> RelayFindings:
    """The period's required relays per station and slot, and the months short.

    Cases: time scheduled and relayed add up over the months; a month compliant
    counts as judged even while it runs; a running month short of the share so far is
    running, never a failure nor a shortfall; an ended month short is a shortfall.
    """
    totals: dict[Key, list[int]] = {}
    first: dict[Key, RelayVerdict] = {}
    for _month, v in verdicts:
        key = (v.station, v.slot_id)
        first.setdefault(key, v)
        done = totals.setdefault(key, [0, 0, 0, 0, 0])
        done[0] += v.scheduled_ms
        done[1] += v.relayed_ms
        done[2] += v.status == Status.compliant
        done[3] += v.status != Status.in_progress
        done[4] += v.status == Status.in_progress
    lines = [RelayLine(first[key], *totals[key]) for key in sorted(totals)]
    monthly = sorted(verdicts, key=lambda mv: (mv[1].station, mv[1].slot_id, mv[0]))
    return RelayFindings(min_share, lines, monthly,
                         [shortfall(month, v, min_share) for month, v in monthly
                          if v.status == Status.short])


def status_words(v: RelayVerdict | ZoneRelay) -> str:
    """A verdict's (or a zone's part's) status in a report's words."""
    return STATUS_WORDS.get(v.status, v.status)


SHEET_HEADERS = ("Tháng", "Đài", "Tên đài", "Khung", "Nguồn", "Lịch (phút)",
                 "Đã tiếp sóng (phút)", "Phát dự phòng (phút)", "Lần mất sóng", "Tỷ lệ",
                 "Kết quả", "Theo cụm loa")


def add_relay_sheet(book: Any, verdicts: list[tuple[str, RelayVerdict]]) -> None:
    """A "Tiếp sóng" sheet in a report's workbook: one line per month, station and slot; a
    station judged zone by zone has each zone's part in the last column."""
    from openpyxl.styles import Font

    sheet = book.create_sheet("Tiếp sóng")
    sheet.append(list(SHEET_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for month, v in verdicts:
        # Station names and codes come from operators: a leading = + - @ is text, not a formula.
        sheet.append([month, neutral(v.station), neutral(v.station_name), v.slot_id,
                      neutral(v.source), round(v.scheduled_ms / 60000, 1),
                      round(v.relayed_ms / 60000, 1), round(v.fallback_ms / 60000, 1),
                      v.dropouts, v.share, status_words(v), neutral(zones_words(v)) or None])
