"""The report a district sends up to the province, as an A4 PDF a leader can sign.

Its frame is an administrative report's (Nghị định 30/2020): letterhead, title,
recipient, body, distribution list and signer. The body states the results, the
assessment, the shortcomings and the unit's recommendations; the monthly detail
and the chain heads the report rests on follow as appendices.
"""

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
    PageBreak,
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
from loa.compliance.findings import CampaignAssessment, Findings, Shortcoming
from loa.compliance.periods import period_months
from loa.compliance.relay_findings import RelayFindings, minutes, percent, status_words
from loa.compliance.totals import ProgrammeLine, ReportTotals
from loa.errors import LoaError
from loa.playlists.models import Campaign
from loa.stations.models import AdminUnit, UnitLevel, UnitReport
from loa.stations.units import ancestors

# Debian's fonts-liberation2: Liberation Serif has Times New Roman's metrics, the face of
# administrative documents, and every Vietnamese mark (reportlab's own fonts have none).
FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
CAPITAL = "Hà Nội"  # the place of a country report's date line, unless the unit sets one
FONT, BOLD = "LiberationSerif-Regular", "LiberationSerif-Bold"
ITALIC, BOLD_ITALIC = "LiberationSerif-Italic", "LiberationSerif-BoldItalic"
WIDTH = A4[0] - 30 * mm


@functools.cache
def _register_fonts(folder: Path) -> None:
    """Register Liberation Serif's four faces once per process."""
    for name in (FONT, BOLD, ITALIC, BOLD_ITALIC):
        path = folder / f"{name}.ttf"
        if not path.is_file():
            raise LoaError(
                f"Thiếu phông chữ {path}: cài gói fonts-liberation2 "
                "(apt-get install fonts-liberation2) (missing font for the PDF report)"
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC,
                                  boldItalic=BOLD_ITALIC)


def _style(size: float = 9, bold: bool = False, **kw: object) -> ParagraphStyle:
    kw.setdefault("leading", size * 1.3)
    return ParagraphStyle("loa", fontName=BOLD if bold else FONT, fontSize=size, **kw)


# A table's own leading for plain strings, so wrapped cells line up with their neighbours.
CELL = {"leading": 8.5 * 1.2}
BLANK = "……"  # what a clerk fills in by hand: the number, an unset signer
NO_RELAYS = RelayFindings(min_share=1.0)  # a period without required relays


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


def letter_of(unit: AdminUnit, number: str = "", *, own_settings: bool = True) -> Letter:
    """The unit's letter: its settings (``loa unit set``), else what its place in the tree says.

    ``own_settings=False``: only what the tree says (the admin page shows it as placeholders).
    """
    if not re.fullmatch(r"[0-9]{0,6}", number):
        raise LoaError(f"Số văn bản là 1 đến 6 chữ số, không phải {number!r} "
                       "(document number: 1-6 digits)")
    chain = ancestors(unit)
    # The place is the province's, whether or not the tree goes up to the country.
    province = next((u for u in chain if u.level is UnitLevel.province), chain[-1])
    above = unit.parent if unit.level not in (UnitLevel.province, UnitLevel.country) else None
    own = (unit.report if own_settings else None) or UnitReport()
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


def _two_columns(left: list[Flowable], right: list[Flowable], share: float) -> Table:
    """The frame's two blocks side by side, ``share`` of the width on the left."""
    table = Table([[left, right]], colWidths=[WIDTH * share, WIDTH * (1 - share)])
    # The font too: a table otherwise sets Helvetica, which has no Vietnamese marks.
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("FONT", (0, 0), (-1, -1), FONT)]))
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
    return _two_columns(left, right, 0.42)


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
    return _two_columns(left, right, 0.5)


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
        # Only months still running: nothing judged yet, which is not a failure ("0/0").
        data.append([station, _text(name, cell), campaign,
                     f"{ok}/{total}" if total else "đang thực hiện"])
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
                Paragraph("Phụ lục 2. Đầu chuỗi nhật ký phát sóng dùng để lập báo cáo",
                          _style(11, True)),
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


def _assessment(a: CampaignAssessment, topic: str) -> list[Flowable]:
    """One campaign's standing in words, and why its airings were lost."""
    parts = [f"{a.compliant}/{a.judged} đài-tháng đạt yêu cầu" if a.judged
             else "chưa có tháng nào kết thúc"]
    if a.at_risk:
        parts.append(f"{a.at_risk} đài-tháng có nguy cơ không đạt")
    if a.in_progress:
        parts.append(f"{a.in_progress} đài-tháng đang thực hiện")
    airings = f"{a.counted} lượt phát được tính; {a.missed} lượt không có báo cáo phát; " \
              f"{a.failed_airings} lượt phát lỗi hoặc không được tính"
    said = [_text(f"- Chuyên mục “{topic}” ({a.campaign}): {'; '.join(parts)}. {airings}.",
                  _style(10, leftIndent=4 * mm, spaceBefore=1 * mm))]
    said += [_text(f"+ {reason}: {count} lượt", _style(9, leftIndent=10 * mm))
             for reason, count in a.reasons]
    return said


def _shortcoming(s: Shortcoming) -> Paragraph:
    month = f"{s.month[5:]}/{s.month[:4]}"
    causes = "; ".join(s.causes)
    return _text(f"- {s.station_name} ({s.station}), tháng {month}, {s.campaign}: {s.verdict}. "
                 f"{causes[:1].upper()}{causes[1:]}.",
                 _style(10, leftIndent=4 * mm, spaceBefore=1 * mm))


def _relay_assessment(relays: RelayFindings) -> list[Flowable]:
    """The required relays in words, then per station and slot over the period."""
    if not relays.lines:
        return []
    running = f"; {relays.running} tháng đang thực hiện" if relays.running else ""
    cell = _style(8.5, **CELL)
    data: list[list[object]] = [["Đài", "Nguồn (khung)", "Theo lịch (phút)",
                                 "Đã tiếp sóng (phút)", "Tỷ lệ", "Tháng đạt / số tháng"]]
    for line in relays.lines:
        named = line.named
        data.append([_text(f"{named.station_name} ({named.station})", cell),
                     _text(f"{named.source} ({named.slot_id})", cell),
                     minutes(line.scheduled_ms), minutes(line.relayed_ms), percent(line.share),
                     line.months])
    return [
        _text(f"- Tiếp sóng bắt buộc (đạt khi tiếp sóng ít nhất {percent(relays.min_share)} "
              f"thời lượng trong tháng): {relays.compliant}/{relays.judged} tháng đạt yêu cầu, "
              f"tính theo từng đài và khung tiếp sóng{running}.",
              _style(10, leftIndent=4 * mm, spaceBefore=2 * mm)),
        Spacer(1, 2 * mm),
        _grid(data, [48, 32, 24, 26, 18, 32], centre=range(2, 6)),
    ]


def _body(
    rows: Sequence[ReportRow], totals: ReportTotals, findings: Findings, recommendations: str,
    relays: RelayFindings,
) -> list[Flowable]:
    """Results, assessment, shortcomings and recommendations; a short line when the period
    has no rows nor relays. A heading is written only with something under it."""
    h2 = _style(11, True, spaceBefore=5 * mm, spaceAfter=2 * mm)
    head = [Paragraph("I. Kết quả chung", h2), *_totals(totals)]
    if not rows and not relays.lines:
        return [*head, Paragraph("Không có đài hoặc chiến dịch nào trong kỳ này.", _style(10))]
    ok = sum(r.status == "compliant" for r in rows)
    judged = sum(r.status != "in_progress" for r in rows)
    campaigns = [
        *[f for a in findings.assessments
          for f in _assessment(a, findings.topics.get(a.campaign, a.campaign))],
        Spacer(1, 2 * mm),
        _summary_table(rows),
        Spacer(1, 2 * mm),
        Paragraph(f"Tổng cộng: {ok}/{judged} đài-tháng đạt yêu cầu."
                  + (f" {len(rows) - judged} đài-tháng đang thực hiện." if judged < len(rows)
                     else ""), _style(10)),
    ] if rows else [Paragraph("Không có chiến dịch nào trong kỳ này.", _style(10))]
    short = _style(10, leftIndent=4 * mm, spaceBefore=1 * mm)
    body = [
        *head,
        Paragraph("II. Đánh giá", h2),
        *campaigns,
        *_relay_assessment(relays),
        Paragraph("III. Tồn tại, hạn chế", h2),
        *([_shortcoming(s) for s in findings.shortcomings]
          + [_text(f"- {said}.", short) for said in relays.shortfalls] or [
            Paragraph("Không có đài nào không đạt yêu cầu trong kỳ.", _style(10))]),
    ]
    paragraphs = [p.strip() for p in recommendations.splitlines() if p.strip()]
    if paragraphs:
        body += [Paragraph("IV. Kiến nghị", h2),
                 *[_text(p, _style(10, spaceBefore=1 * mm)) for p in paragraphs]]
    return body


def _relay_detail(relays: RelayFindings, number: int) -> list[Flowable]:
    """Each month, station and required slot, as the workbook's sheet has them."""
    if not relays.monthly:
        return []
    cell = _style(8.5, **CELL)
    data: list[list[object]] = [["Đài", "Tháng", "Nguồn (khung)", "Theo lịch", "Đã tiếp sóng",
                                 "Dự phòng", "Mất sóng", "Tỷ lệ", "Kết quả"]]
    for month, v in relays.monthly:
        data.append([_text(f"{v.station_name} ({v.station})", cell), f"{month[5:]}/{month[:4]}",
                     _text(f"{v.source} ({v.slot_id})", cell), minutes(v.scheduled_ms),
                     minutes(v.relayed_ms), minutes(v.fallback_ms), v.dropouts,
                     percent(v.share), _text(status_words(v), cell)])
        # A station judged zone by zone stands at its zone that relayed least: each zone's
        # part under it (what the players of that zone relayed).
        for zone in v.zones:
            data.append([_text(f"– cụm loa {zone.code}", cell), "", "", "",
                         minutes(zone.relayed_ms), "", "", percent(zone.share),
                         _text(status_words(zone), cell)])
    return [
        Spacer(1, 6 * mm),
        KeepTogether([
            Paragraph(f"Phụ lục {number}. Kết quả tiếp sóng bắt buộc từng tháng (phút)",
                      _style(11, True, spaceAfter=2 * mm)),
            _grid(data, [40, 15, 24, 16, 18, 16, 14, 15, 22], centre=range(1, 8)),
        ]),
    ]


def _appendix(rows: Sequence[ReportRow], relays: RelayFindings) -> list[Flowable]:
    """The monthly detail, the chain heads and the relays, after the signature: what the
    body rests on."""
    if not rows and not relays.monthly:
        return []
    heading = [PageBreak(),
               Paragraph("PHỤ LỤC", _style(12, True, alignment=TA_CENTER, spaceAfter=3 * mm))]
    if not rows:
        return [*heading, *_relay_detail(relays, 1)]
    return [
        *heading,
        Paragraph("Phụ lục 1. Chi tiết từng tháng", _style(11, True, spaceAfter=2 * mm)),
        _detail_table(rows),
        Spacer(1, 6 * mm),
        *_chain_heads(rows),
        *_relay_detail(relays, 3),
    ]


def to_pdf(
    rows: Sequence[ReportRow],
    title: str,
    letter: Letter,
    totals: ReportTotals,
    findings: Findings,
    period: str,
    generated_at: datetime,
    recommendations: str = "",
    relays: RelayFindings = NO_RELAYS,
) -> bytes:
    """The report as A4 PDF in the shape of an administrative report (Nghị định 30/2020).

    Letterhead with number, place and date; title and recipient; results,
    assessment (the required relays too, when the period has any), shortcomings and
    recommendations; distribution list and signer; then the monthly detail, the chain
    heads and the relays' months as appendices.
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
        *_body(rows, totals, findings, recommendations, relays),
        Paragraph(f"Lập bởi Loa lúc {stamp} (giờ Việt Nam).", _style(9, spaceBefore=4 * mm)),
        Spacer(1, 6 * mm),
        KeepTogether([_signature(letter)]),
        *_appendix(rows, relays),
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
        initialFontName=FONT,  # else every page also declares Helvetica, which has no "ệ"
    )
    footer = functools.partial(_page_footer, f"{letter.unit_name} — {label} — lập lúc {stamp}")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
