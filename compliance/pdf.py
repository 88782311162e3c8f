"""The report a district sends up to the province, as an A4 PDF naming its chain heads."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

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

from loa.clock import VN
from loa.compliance.audit import ReportRow
from loa.compliance.export import approval_text, status_label, summary
from loa.compliance.periods import period_months
from loa.compliance.totals import ProgrammeLine, ReportTotals
from loa.errors import LoaError
from loa.playlists.models import Campaign
from loa.stations.models import AdminUnit, UnitLevel, UnitReport
from loa.stations.units import ancestors

# Debian's fonts-dejavu-core; reportlab's built-in fonts have no Vietnamese glyphs.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
CAPITAL = "Hà Nội"  # the place of a country report's date line, unless the unit sets one
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
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
BLANK = "……"  # what a clerk fills in by hand: the number, an unset signer


def _text(value: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of data: names and titles are text, never reportlab markup."""
    return Paragraph(escape(str(value)), style)


@dataclass(frozen=True)
class Letter:
    """Who issues the report, from where, to whom, under which number, and who signs it."""

    unit_name: str
    place: str
    recipient: str
    signer_title: str | None = None
    signer_name: str | None = None
    number: str = ""  # empty: left blank for the clerk, as drafts are


def place_name(province: str) -> str:
    """The place of the date line.

    Cases: "Thành phố Hải Phòng" is "Hải Phòng"; "Tỉnh Nghệ An" is "Nghệ An".
    """
    for prefix in ("thành phố ", "tỉnh "):
        if province.lower().startswith(prefix):
            return province[len(prefix):]
    return province


def letter_of(unit: AdminUnit, number: str = "") -> Letter:
    """The unit's letter: its settings (``loa unit set``), else what its place in the tree says."""
    if not re.fullmatch(r"[0-9]{0,6}", number):
        raise LoaError(f"Số văn bản là 1 đến 6 chữ số, không phải {number!r} "
                       "(document number: 1-6 digits)")
    chain = ancestors(unit)
    # The place is the province's, whether or not the tree goes up to the country.
    province = next((u for u in chain if u.level is UnitLevel.province), chain[-1])
    above = unit.parent if unit.level not in (UnitLevel.province, UnitLevel.country) else None
    own = unit.report or UnitReport()
    recipient = own.report_to or (
        f"Ủy ban nhân dân {above.name}" if above else "Bộ Văn hóa, Thể thao và Du lịch"
    )
    place = CAPITAL if province.level is UnitLevel.country else place_name(province.name)
    return Letter(unit.name, own.place or place, recipient,
                  own.signer_title, own.signer_name, number)


def date_line(place: str, when: datetime) -> str:
    """The place and date of an administrative document (Nghị định 30/2020).

    Cases: days below 10 and the months 1 and 2 take a leading zero: "Hải Phòng,
    ngày 05 tháng 02 năm 2027"; "ngày 15 tháng 3 năm 2027".
    """
    local = when.astimezone(VN)
    month = f"{local.month:02d}" if local.month < 3 else str(local.month)
    return f"{place}, ngày {local.day:02d} tháng {month} năm {local.year}"


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


def _letterhead(letter: Letter, generated_at: datetime) -> Table:
    """The two-column header: issuer and number on the left, motto and date on the right."""
    centred = _style(10, True, alignment=TA_CENTER)
    left = [
        Paragraph("ỦY BAN NHÂN DÂN", centred),
        _text(letter.unit_name.upper(), centred),
        Spacer(1, 3 * mm),
        _text(f"Số: {letter.number or BLANK}/BC-UBND", _style(10, alignment=TA_CENTER)),
    ]
    right = [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", centred),
        Paragraph("<u>Độc lập - Tự do - Hạnh phúc</u>", centred),
        Spacer(1, 3 * mm),
        Paragraph(f"<i>{escape(date_line(letter.place, generated_at))}</i>",
                  _style(10, alignment=TA_CENTER)),
    ]
    table = Table([[left, right]], colWidths=[WIDTH * 0.42, WIDTH * 0.58])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _signature(letter: Letter) -> Table:
    """Distribution list (Nơi nhận) on the left, the signer's block on the right."""
    small = _style(8.5)
    left = [
        Paragraph("<b><i>Nơi nhận:</i></b>", _style(9)),
        _text(f"- {letter.recipient} (để báo cáo);", small),
        _text("- Lưu: VT.", small),
    ]
    centred = _style(10, True, alignment=TA_CENTER)
    right = [
        Paragraph("TM. ỦY BAN NHÂN DÂN", centred),
        _text((letter.signer_title or BLANK).upper(), centred),
        Spacer(1, 22 * mm),
        _text(letter.signer_name or BLANK, centred),
    ]
    table = Table([[left, right]], colWidths=[WIDTH * 0.5, WIDTH * 0.5])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _programme_line(p: ProgrammeLine) -> str:
    origin = "tự sản xuất" if p.own else f"tiếp phát từ {p.producer}"
    return f"- “{p.title}” (tháng {p.month[5:]}/{p.month[:4]}; {origin}; {approval_text(p)})"


def _totals(totals: ReportTotals) -> list[Flowable]:
    """The body's first part: what was produced, aired, for how long, by how many stations."""
    body = _style(10, spaceBefore=1 * mm)
    return [
        _text(f"1. Số chương trình đã sản xuất và phát: {len(totals.programmes)} "
              f"(tự sản xuất: {totals.own}; tiếp phát: {totals.relayed}).", body),
        *[_text(_programme_line(p), _style(9, leftIndent=6 * mm)) for p in totals.programmes],
        _text(f"2. Số lượt phát đạt yêu cầu: {totals.airings} lượt.", body),
        _text(f"3. Tổng thời lượng phát sóng: {totals.minutes:g} phút.", body),
        _text(f"4. Số đài tham gia: {totals.stations_aired}/{totals.stations} đài.", body),
    ]


def _summary_table(rows: Sequence[ReportRow]) -> Table:
    """Per station and campaign: months compliant out of months in the period."""
    cell = _style(8.5, **CELL)
    data: list[list[object]] = [["Đài", "Tên đài", "Chiến dịch", "Tháng đạt / số tháng"]]
    for station, name, campaign, ok, total in summary(rows):
        data.append([station, _text(name, cell), campaign, f"{ok}/{total}"])
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
                _text(f"{r.station_name} ({r.station})", cell),
                f"{r.month[5:]}/{r.month[:4]}",
                r.campaign,
                r.required,
                r.counted,
                _length(r.programme_duration_s),
                _text(status_label(r) + (" (đã khóa sổ)" if r.closed else ""), cell),
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
                Paragraph("IV. Đầu chuỗi nhật ký phát sóng dùng để lập báo cáo", _style(11, True)),
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


def _body(rows: Sequence[ReportRow], totals: ReportTotals) -> list[Flowable]:
    """Totals, summary, detail and chain heads; a short line when the period has no rows."""
    h2 = _style(11, True, spaceBefore=5 * mm, spaceAfter=2 * mm)
    head = [Paragraph("I. Kết quả chung", h2), *_totals(totals)]
    if not rows:
        return [*head, Paragraph("Không có đài hoặc chiến dịch nào trong kỳ này.", _style(9))]
    ok = sum(r.status == "compliant" for r in rows)
    return [
        *head,
        Paragraph("II. Tổng hợp theo đài", h2),
        _summary_table(rows),
        Spacer(1, 2 * mm),
        Paragraph(f"Tổng cộng: {ok}/{len(rows)} đài-tháng đạt yêu cầu.", _style(9)),
        Paragraph("III. Chi tiết từng tháng", h2),
        _detail_table(rows),
        Spacer(1, 6 * mm),
        *_chain_heads(rows),
    ]


def to_pdf(
    rows: Sequence[ReportRow],
    title: str,
    letter: Letter,
    totals: ReportTotals,
    period: str,
    generated_at: datetime,
) -> bytes:
    """The report as A4 PDF in the shape of an administrative report (Nghị định 30/2020).

    Letterhead with number, place and date; title and recipient; totals, the
    station summary and detail, the chain heads; distribution list and signer.
    """
    _register_fonts(FONT_DIR)
    label, stamp = period_label(period), f"{generated_at.astimezone(VN):%H:%M %d/%m/%Y}"
    story: list[Flowable] = [
        _letterhead(letter, generated_at),
        Spacer(1, 8 * mm),
        _text(title, _style(13, True, alignment=TA_CENTER)),
        _text(
            f"Đơn vị: {letter.unit_name} — Kỳ báo cáo: {label}",
            _style(10, alignment=TA_CENTER, spaceBefore=2 * mm),
        ),
        _text(f"Kính gửi: {letter.recipient}", _style(11, alignment=TA_CENTER, spaceBefore=4 * mm)),
        *_body(rows, totals),
        Paragraph(f"Lập bởi Loa lúc {stamp} (giờ Việt Nam).", _style(9, spaceBefore=4 * mm)),
        Spacer(1, 6 * mm),
        KeepTogether([_signature(letter)]),
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
    footer = functools.partial(_page_footer, f"{letter.unit_name} — {label} — lập lúc {stamp}")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
