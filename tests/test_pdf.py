"""The PDF report a district sends up: Vietnamese text, counts, verdicts and chain heads."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

import loa.compliance.pdf
import tests.helpers.reports
from loa.clock import VN
from loa.compliance import keylog
from loa.compliance.audit import Reading, station_month_report
from loa.compliance.findings import Findings
from loa.compliance.findings_data import report_findings
from loa.compliance.ingest import ingest_events
from loa.compliance.pdf import Letter, letter_of, period_label, report_title, to_pdf
from loa.compliance.report_exports import export_pdf
from loa.compliance.totals import ReportTotals, report_totals
from loa.db import transaction
from loa.errors import LoaError
from loa.player.keys import public_key_b64
from loa.services import Services
from loa.stations.models import Player
from loa.stations.units import get_unit
from tests.conftest import START, Loa
from tests.helpers.factories import city_relay, signed_relay
from tests.helpers.reports import JANUARY, pdf_fonts, pdf_text
from tests.helpers.web import login

december = tests.helpers.reports.december  # a shared fixture

HEADING = "BÁO CÁO KẾT QUẢ PHÁT THANH CHUYÊN MỤC “CHUYỂN ĐỔI SỐ”"


@pytest.mark.parametrize(
    ("period", "label"),
    [
        ("2026-12", "tháng 12/2026"),
        ("2026-H1", "6 tháng đầu năm 2026"),
        ("2026-H2", "6 tháng cuối năm 2026"),
        ("2026", "năm 2026"),
        ("2026-01..2026-05", "từ tháng 01/2026 đến tháng 05/2026"),
    ],
)
def test_period_is_named_as_an_administrative_report_names_it(period: str, label: str) -> None:
    assert period_label(period) == label


def test_the_pdf_holds_heading_counts_verdicts_and_chain_heads(
    services: Services, december: dict[str, str]
) -> None:
    with transaction(services.sessions) as s:
        reading = Reading(JANUARY, timedelta(minutes=5))
        unit = get_unit(s, "31")
        rows = station_month_report(s, unit, "2026-12", reading)
        title, letter, totals = report_title(s, rows), letter_of(unit), report_totals(s, unit, rows)
        findings = report_findings(s, rows, reading)
    assert title == HEADING
    data = to_pdf(rows, title, letter, totals, findings, "2026-12", START)
    text = pdf_text(data)
    # A serif close to Times New Roman, in its four faces (bold italic: "Nơi nhận").
    assert pdf_fonts(data) <= {"LiberationSerif", "LiberationSerif-Bold",
                               "LiberationSerif-Italic", "LiberationSerif-BoldItalic"}
    assert HEADING in text
    assert "Kỳ báo cáo: tháng 12/2026" in text and "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG" in text
    assert "Đài TN (TN) 12/2026 CDS 3 3 12:00 Đạt" in text
    assert "Đài TH (TH) 12/2026 CDS 3 0 12:00 Chưa đủ lượt phát" in text
    assert "Tổng cộng: 1/2 đài-tháng đạt yêu cầu." in text
    # Four entries: the key's enrolment and three completions.
    assert f"TN 4 {december['TN'][:16]}" in text and december["TN"][16:] not in text
    assert "TH 0 chưa có nhật ký" in text
    assert "08:00 01/12/2026" in text  # generated at START, shown in Vietnam's time
    # The words an auditor must write, before the signature; the tables they rest on after.
    assess = text.index("II. Đánh giá")
    assert "Chuyên mục “Chuyển đổi số” (CDS): 1/2 đài-tháng đạt yêu cầu." in text[assess:]
    short = text.index("III. Tồn tại, hạn chế")
    assert "Đài TH (TH), tháng 12/2026, CDS: Chưa đủ lượt phát. Chỉ 0/3 lượt phát" in text
    assert "Kiến nghị" not in text  # nothing written: no empty heading
    signed = text.index("TM. ỦY BAN NHÂN DÂN")
    assert assess < short < signed < text.index("PHỤ LỤC") < text.index("Phụ lục 2. Đầu chuỗi")


HALF_HOUR = 1_800_000


def test_the_pdf_has_the_required_relays_per_station_and_slot(
    services: Services, december: dict[str, str]
) -> None:
    """VOV1 06:00-06:30, set on 1 December at 08:00: 30 mornings. TN relayed 29 of them (a
    minute of fallback each), TH none: the workbook's verdicts, in the assessment, the
    shortcomings and an appendix."""
    key = Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        slot = city_relay(s, services)
        tn = s.scalars(select(Player).where(Player.name == "Cụm loa TN")).one()
        keylog.enrol(s, tn, public_key_b64(key), services.clock.now())
        first = datetime(2026, 12, 1, 6, 0, tzinfo=VN)
        events = [signed_relay(key, slot.id, first + timedelta(days=d), HALF_HOUR - 60_000,
                               fallback_ms=60_000, dropouts=1) for d in range(1, 30)]
        assert len(ingest_events(s, tn, events, JANUARY).accepted) == 29
    with transaction(services.sessions) as s:
        reading = Reading.of(services.settings, JANUARY)
        unit = get_unit(s, "31")
        rows = station_month_report(s, unit, "2026-12", reading)
        text = pdf_text(export_pdf(s, unit, rows, "2026-12", reading).content)
    assess, short = text.index("II. Đánh giá"), text.index("III. Tồn tại, hạn chế")
    said = text[assess:short]
    assert ("Tiếp sóng bắt buộc (đạt khi tiếp sóng ít nhất 90% thời lượng trong tháng): "
            "1/2 tháng đạt yêu cầu, tính theo từng đài và khung tiếp sóng.") in said
    assert f"Đài TN (TN) VOV1 ({slot.id}) 900 841 93,4% 1/1" in said  # 29×29 of 30×30 min
    assert f"Đài TH (TH) VOV1 ({slot.id}) 900 0 0% 0/1" in said
    assert (f"Đài TH (TH), tháng 12/2026, tiếp sóng VOV1 (khung {slot.id}): chỉ tiếp sóng "
            "0/900 phút (0%, yêu cầu 90%).") in text[short:]
    appendix = text[text.index("Phụ lục 3. Kết quả tiếp sóng bắt buộc từng tháng"):]
    assert f"Đài TN (TN) 12/2026 VOV1 ({slot.id}) 900 841 29 29 93,4% Đạt" in appendix
    assert f"Đài TH (TH) 12/2026 VOV1 ({slot.id}) 900 0 0 0 0% Chưa đủ thời lượng" in appendix


def test_a_period_without_required_relays_has_no_relay_section(
    services: Services, december: dict[str, str]
) -> None:
    with transaction(services.sessions) as s:
        reading = Reading.of(services.settings, JANUARY)
        unit = get_unit(s, "31")
        rows = station_month_report(s, unit, "2026-12", reading)
        text = pdf_text(export_pdf(s, unit, rows, "2026-12", reading).content)
    assert "Tiếp sóng bắt buộc" not in text and "Phụ lục 3" not in text


def test_half_year_report_from_the_command_line(
    env: dict[str, str], december: dict[str, str], tmp_path: Path
) -> None:
    loa = Loa({**env, "LOA_NOW": JANUARY.isoformat()})
    out = tmp_path / "bao-cao.pdf"
    report = ["audit", "report", "--unit", "31", "--period", "2026-H2", "--format", "pdf"]
    assert "cần --output" in loa(*report, ok=False)
    loa(*report, "--output", str(out))
    text = pdf_text(out.read_bytes())
    assert HEADING in text and "Kỳ báo cáo: 6 tháng cuối năm 2026" in text
    assert "TN Đài TN CDS 1/1" in text and "TH Đài TH CDS 0/1" in text
    # The campaign began in December (its first programme): July to November are not failures.
    assert "Chưa có chương trình" not in text and "11/2026" not in text
    assert december["TN"][:16] in text


def test_web_pdf_for_the_province_auditor(client: Any, december: dict[str, str]) -> None:
    assert client.get("/audit.pdf?period=2026").status_code == 302  # to the login page
    login(client, "tinh")
    answer = client.get("/audit.pdf?period=2026")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert "loa-31-2026.pdf" in answer.headers["Content-Disposition"]
    text = pdf_text(answer.data)
    assert "Kỳ báo cáo: năm 2026" in text and "Đài TN" in text and "Đài TH" in text
    assert client.get("/audit.pdf?period=2026-H3").status_code == 400
    assert 'href="/reports?period=2026-H1"' in client.get("/").get_data(as_text=True)


def test_commune_operator_pdf_holds_only_its_station(client: Any, december: dict[str, str]) -> None:
    login(client, "xa")
    text = pdf_text(client.get("/audit.pdf?period=2026-H2").data)
    assert "Đài TN" in text and "Đài TH" not in text and "TH 0" not in text
    assert "ỦY BAN NHÂN DÂN PHƯỜNG 11560" in text


def test_missing_font_names_the_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(loa.compliance.pdf, "FONT_DIR", tmp_path)
    with pytest.raises(LoaError, match="fonts-liberation2"):
        nothing = ReportTotals([], 0, 0, 0, 0)
        to_pdf([], "BÁO CÁO", Letter("Hải Phòng", "Hải Phòng", "Bộ"), nothing,
               Findings([], [], {}), "2026", START)
