"""Report files an auditor sends up: CSV and XLSX, naming the chain heads they rest on."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from loa.clock import VN
from loa.compliance.audit import ReportRow
from loa.compliance.totals import ProgrammeLine, ReportTotals

STATUS_VI = {
    "compliant": "Đạt",
    "short": "Chưa đủ lượt phát",
    "in_progress": "Đang thực hiện",
    "no_programme": "Chưa có chương trình",
    "too_short": "Chương trình quá ngắn",
    "too_long": "Chương trình quá dài",
    "evidence_broken": "Nhật ký bị sửa đổi (evidence broken)",
}
DETAIL_HEADERS = [
    ("Đài", "station"),
    ("Tên đài", "station_name"),
    ("Đơn vị", "unit"),
    ("Chiến dịch", "campaign"),
    ("Tháng", "month"),
    ("Số lần yêu cầu", "required"),
    ("Số lần đã phát", "counted"),
    ("Còn trong lịch", "still_planned"),
    ("Mã chương trình", "programme_id"),
    ("SHA-256 chương trình", "programme_sha256"),
    ("Thời lượng (giây)", "programme_duration_s"),
    ("Kết quả", "status"),
    ("Số mục nhật ký", "chain_seq"),
    ("Đầu chuỗi nhật ký", "chain_head"),
    ("Đã khóa sổ", "closed"),
    ("Nhật ký hỏng từ seq", "broken_seq"),
]


# What a spreadsheet reads as the start of a formula (or of a cell it re-parses).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: object) -> object:
    """A cell value a spreadsheet shows as text, never runs.

    Cases: "=HYPERLINK(…)" is "'=HYPERLINK(…)"; "+1", "-1", "@SUM", a leading tab
    or CR likewise; numbers, None and other text are unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def status_label(row: ReportRow) -> str:
    """The verdict in Vietnamese; a broken log names the first seq that fails."""
    label = STATUS_VI[row.status]
    return label if row.broken_seq is None else f"{label}, seq {row.broken_seq}"


def zones_text(row: ReportRow) -> str:
    """A station judged zone by zone, each zone's count and verdict in a report's words
    ("cụm loa chung 3/3 (Đạt); cụm loa na-hang 0/3 (Chưa đủ lượt phát)"); "" for a station
    read as one."""
    return "; ".join(f"cụm loa {z.code} {z.counted}/{z.required} ({STATUS_VI[z.status]})"
                     for z in row.zones)


def to_csv(rows: Sequence[ReportRow]) -> str:
    """One line per station-month with the machine names of DESIGN's report."""
    out = io.StringIO()
    # extrasaction: a station judged by zone has a ``zones`` list, which JSON carries.
    writer = csv.DictWriter(out, fieldnames=[key for _, key in DETAIL_HEADERS],
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: neutral(v) for k, v in r.as_dict().items()} for r in rows)
    return out.getvalue()


def summary(rows: Sequence[ReportRow]) -> list[tuple[str, str, str, int, int]]:
    """Per station and campaign: (station, name, campaign, months compliant, months judged).

    A month in progress is not judged yet, so it is in neither count.
    """
    months: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    for r in rows:
        judged = months[(r.station, r.station_name, r.campaign)]
        if r.status != "in_progress":
            judged.append(r.status == "compliant")
    return [(s, n, c, sum(ok), len(ok)) for (s, n, c), ok in sorted(months.items())]


def approval_text(line: ProgrammeLine) -> str:
    """When (Vietnam time) and by whom a programme was approved, or that it was not."""
    if line.approved_at is None:
        return "chưa duyệt"
    when = f"duyệt lúc {line.approved_at.astimezone(VN):%H:%M %d/%m/%Y}"
    return f"{when} bởi {line.approved_by}" if line.approved_by else when


def totals_lines(totals: ReportTotals) -> list[list[object]]:
    """The report's totals as rows (five columns, as the station summary above them)."""
    lines: list[list[object]] = [
        ["Số chương trình", len(totals.programmes)],
        ["Tự sản xuất", totals.own],
        ["Tiếp phát", totals.relayed],
        ["Số lượt phát đạt yêu cầu", totals.airings],
        ["Tổng thời lượng phát (phút)", totals.minutes],
        ["Số đài tham gia", totals.stations_aired],
        ["Tổng số đài", totals.stations],
        [],
        ["Chương trình", "Tháng", "Đơn vị sản xuất", "Nguồn", "Duyệt"],
    ]
    for p in totals.programmes:
        lines.append([p.title, p.month, p.producer, "Tự sản xuất" if p.own else "Tiếp phát",
                      approval_text(p)])
    return lines


def to_xlsx(rows: Sequence[ReportRow], title: str, totals: ReportTotals,
            relays: Sequence[tuple[str, Any]] = ()) -> bytes:
    """A workbook: summary per station and the report's totals, then the detail, in Vietnamese
    (and the relay verdicts, compliance.relay_audit, when the period has any)."""
    from openpyxl import Workbook  # only here: CSV and JSON reports need no spreadsheet library
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Tổng hợp"
    sheet.append([neutral(title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Đài", "Tên đài", "Chiến dịch", "Số tháng đạt", "Số tháng"])
    for line in summary(rows):
        sheet.append([neutral(v) for v in line])
    sheet.append([])
    sheet.append(["Kết quả chung"])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    for line in totals_lines(totals):
        sheet.append([neutral(v) for v in line])
    detail = book.create_sheet("Chi tiết")
    # The last column: each zone's part of a station judged zone by zone (the CSV has none).
    detail.append([label for label, _ in DETAIL_HEADERS] + ["Theo cụm loa"])
    for r in rows:
        values = r.as_dict()
        values["status"] = status_label(r)
        values["closed"] = "Có" if r.closed else "Chưa"
        detail.append([neutral(values[key]) for _, key in DETAIL_HEADERS]
                      + [neutral(zones_text(r)) or None])
    for ws in (sheet, detail):
        for cell in ws[2 if ws is sheet else 1]:
            cell.font = Font(bold=True)
    if relays:
        from loa.compliance.relay_findings import add_relay_sheet

        add_relay_sheet(book, list(relays))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
