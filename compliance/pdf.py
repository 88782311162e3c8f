"""The report a district sends up to the province, as an A4 PDF naming its chain heads."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.audit import ReportRow
from compliance.export import status_label, summary
from compliance.periods import period_months
from loa.errors import LoaError
from playlists.models import Campaign

# Debian's fonts-dejavu-core; reportlab's built-in fonts have no Vietnamese glyphs.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
WIDTH = A4[0] - 30 * mm


@functools.cache
def _register_fonts(folder: Path) -> None:
    """Register DejaVu Sans and its bold face once per process."""
    for name in (FONT, BOLD):
        path = folder / f"{name}.ttf"
        if not path.is_file():
            raise LoaError(
                f"Thiếu phông chữ {path}: cài gói fonts-dejavu-core "
                "(apt-get install fonts-dejavu-core) (missing font for the PDF report)"
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD)


def _style(size: float = 9, bold: bool = False, **kw: object) -> ParagraphStyle:
    kw.setdefault("leading", size * 1.3)
    return ParagraphStyle("loa", fontName=BOLD if bold else FONT, fontSize=size, **kw)


# A table's own leading for plain strings, so wrapped cells line up with their neighbours.
CELL = {"leading": 8.5 * 1.2}


def period_label(period: str) -> str:
    """How an administrative report names its period.

    Cases: "2026-12" is "tháng 12/2026"; "2026-H1" is "6 tháng đầu năm 2026";
    "2026-H2" is "6 tháng cuối năm 2026"; "2026" is "năm 2026"; a range
    "2026-01..2026-05" is "từ tháng 01/2026 đến tháng 05/2026".
    """
    months = period_months(period)
    year = months[0][:4]
    if ".." in period:
        first, last = months[0], months[-1]
        return f"từ tháng {first[5:]}/{first[:4]} đến tháng {last[5:]}/{last[:4]}"
    if len(months) == 1:
        return f"tháng {months[0][5:]}/{year}"
    if len(months) == 12:
        return f"năm {year}"
    half = "đầu" if months[0].endswith("-01") else "cuối"
    return f"6 tháng {half} năm {year}"


def report_title(session: Session, rows: Sequence[ReportRow]) -> str:
    """The heading, naming the topics of the campaigns the rows cover."""
    codes = sorted({r.campaign for r in rows})
    topics = session.scalars(
        select(Campaign.topic).where(Campaign.code.in_(codes)).order_by(Campaign.code)
    ).all()
    named = ", ".join(f"“{t.upper()}”" for t in topics)
    return f"BÁO CÁO KẾT QUẢ PHÁT THANH CHUYÊN MỤC {named}".strip()


def _grid(data: list[list[object]], widths: list[float], centre: range) -> Table:
    """A bordered table with a bold header row that repeats on every page."""
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                ("FONT", (0, 0), (-1, 0), BOLD, 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                *[("ALIGN", (c, 1), (c, -1), "CENTER") for c in centre],
            ]
        )
    )
    return table


def _letterhead(unit_name: str, generated_at: datetime) -> Table:
    """The two-column header of a Vietnamese administrative document."""
    local = generated_at.astimezone(VN)
    centred = _style(10, True, alignment=TA_CENTER)
    left = [Paragraph(f"UBND {unit_name.upper()}", centred)]
    right = [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", centred),
        Paragraph("<u>Độc lập - Tự do - Hạnh phúc</u>", centred),
        Spacer(1, 3 * mm),
        Paragraph(
            f"<i>ngày {local:%d} tháng {local:%m} năm {local:%Y}</i>",
            _style(10, alignment=TA_CENTER),
        ),
    ]
    table = Table([[left, right]], colWidths=[WIDTH * 0.4, WIDTH * 0.6])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _summary_table(rows: Sequence[ReportRow]) -> Table:
    """Per station and campaign: months compliant out of months in the period."""
    cell = _style(8.5, **CELL)
    data: list[list[object]] = [["Đài", "Tên đài", "Chiến dịch", "Tháng đạt / số tháng"]]
    for station, name, campaign, ok, total in summary(rows):
        data.append([station, Paragraph(name, cell), campaign, f"{ok}/{total}"])
    return _grid(data, [25, 80, 30, 45], centre=range(3, 4))


def _length(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def _detail_table(rows: Sequence[ReportRow]) -> Table:
    """One line per station-month: required, counted, programme length, verdict."""
    cell = _style(8.5, **CELL)
    data: list[list[object]] = [
        ["Đài", "Tháng", "Chiến dịch", "Yêu cầu", "Đã phát", "Thời lượng", "Kết quả"]
    ]
    # Station by station, so each station's months read down together.
    for r in sorted(rows, key=lambda r: (r.station, r.campaign, r.month)):
        data.append(
            [
                Paragraph(f"{r.station_name} ({r.station})", cell),
                f"{r.month[5:]}/{r.month[:4]}",
                r.campaign,
                r.required,
                r.counted,
                _length(r.programme_duration_s),
                Paragraph(status_label(r) + (" (đã khóa sổ)" if r.closed else ""), cell),
            ]
        )
    return _grid(data, [48, 16, 22, 16, 16, 22, 40], centre=range(1, 6))


def _chain_heads(rows: Sequence[ReportRow]) -> list[Flowable]:
    """Each station's chain head at report time, so the log can be checked against it."""
    heads = {r.station: (r.chain_seq, r.chain_head) for r in rows}
    data: list[list[object]] = [["Đài", "Số mục (seq)", "Đầu chuỗi (16 ký tự hex đầu)"]]
    for station, (seq, head) in sorted(heads.items()):
        data.append([station, seq, head[:16] if head else "chưa có nhật ký"])
    return [
        KeepTogether(
            [
                Paragraph("III. Đầu chuỗi nhật ký phát sóng dùng để lập báo cáo", _style(11, True)),
                Spacer(1, 2 * mm),
                _grid(data, [40, 30, 110], centre=range(1, 2)),
            ]
        )
    ]


def _page_footer(text: str, canvas: Canvas, doc: SimpleDocTemplate) -> None:
    """Unit, period and time on every page, so a loose page still says what it is from."""
    canvas.setFont(FONT, 7.5)
    canvas.drawString(15 * mm, 10 * mm, text)
    canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"Trang {doc.page}")


def _body(rows: Sequence[ReportRow]) -> list[Flowable]:
    """Summary, detail and chain heads; a short line when the period has no rows."""
    if not rows:
        return [Paragraph("Không có đài hoặc chiến dịch nào trong kỳ này.", _style(9))]
    h2 = _style(11, True, spaceBefore=5 * mm, spaceAfter=2 * mm)
    ok = sum(r.status == "compliant" for r in rows)
    return [
        Paragraph("I. Tổng hợp theo đài", h2),
        _summary_table(rows),
        Spacer(1, 2 * mm),
        Paragraph(f"Tổng cộng: {ok}/{len(rows)} đài-tháng đạt yêu cầu.", _style(9)),
        Paragraph("II. Chi tiết từng tháng", h2),
        _detail_table(rows),
        Spacer(1, 6 * mm),
        *_chain_heads(rows),
    ]


def to_pdf(
    rows: Sequence[ReportRow], title: str, unit_name: str, period: str, generated_at: datetime
) -> bytes:
    """The report as A4 PDF: letterhead, summary, station-month detail, chain heads."""
    _register_fonts(FONT_DIR)
    label, stamp = period_label(period), f"{generated_at.astimezone(VN):%H:%M %d/%m/%Y}"
    story: list[Flowable] = [
        _letterhead(unit_name, generated_at),
        Spacer(1, 8 * mm),
        Paragraph(title, _style(13, True, alignment=TA_CENTER)),
        Paragraph(
            f"Đơn vị: {unit_name} — Kỳ báo cáo: {label}",
            _style(10, alignment=TA_CENTER, spaceBefore=2 * mm),
        ),
        *_body(rows),
        Paragraph(f"Lập bởi Loa lúc {stamp} (giờ Việt Nam).", _style(9, spaceBefore=4 * mm)),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Loa",
    )
    footer = functools.partial(_page_footer, f"{unit_name} — {label} — lập lúc {stamp}")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
