"""Many stations from one CSV: all or none, every error by its line; CLI and admin page."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from loa.db import transaction
from loa.services import Services
from loa.stations.bulk import StationImportError, import_stations
from loa.stations.models import Player, Station
from loa.stations.players import authenticate
from loa.stations.units import add_unit
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.factories import two_wards
from tests.helpers.web import PASSWORD, csrf, login

GOOD = """code,unit,name,windows,players
HP-TN2,11560,Đài Thủy Nguyên 2,"T2-T7 05:30-06:30; CN 17:00-18:00",Cụm loa chợ; Cụm loa thôn 2
HP-TH2,11557,Đài Thiên Hương 2,,
HP-XX,31,Đài tỉnh,06:00-07:00,
"""

BAD = """code,unit,name,windows
OK1,11560,Đài một,05:30-06:30
OK2,11560,Đài hai,T2-T7 05:30-05:00
OK3,99999,Đài ba,05:30-06:30
OK1,11560,Đài bốn,05:30-06:30
TN,11560,Đài trùng,05:30-06:30
,11560,Không mã,05:30-06:30
"""


def station_count(services: Services) -> int:
    with transaction(services.sessions) as s:
        return s.scalar(select(func.count()).select_from(Station)) or 0


@pytest.fixture
def tree(services: Services) -> None:
    with transaction(services.sessions) as s:
        two_wards(s)


@pytest.mark.usefixtures("tree")
def test_a_file_adds_its_stations_windows_and_players_with_working_tokens(
    services: Services,
) -> None:
    with transaction(services.sessions) as s:
        done = import_stations(s, GOOD)
    assert done.stations == 3
    assert [(code, name) for code, name, _, _ in done.players] == [
        ("HP-TN2", "Cụm loa chợ"), ("HP-TN2", "Cụm loa thôn 2"),
    ]
    with transaction(services.sessions) as s:
        tn2 = s.scalars(select(Station).where(Station.code == "HP-TN2")).one()
        assert tn2.windows == ["T2-T7 05:30-06:30", "CN 17:00-18:00"]  # days are per window
        assert tn2.unit.code == "11560" and tn2.name == "Đài Thủy Nguyên 2"
        th2 = s.scalars(select(Station).where(Station.code == "HP-TH2")).one()
        assert th2.windows == ["05:30-06:30", "17:00-18:00"]  # empty: the default windows
        for _, _, player_id, token in done.players:
            assert authenticate(s, token).id == player_id


@pytest.mark.usefixtures("tree")
def test_one_bad_line_adds_nothing_and_every_error_names_its_line(services: Services) -> None:
    before = station_count(services)
    with pytest.raises(StationImportError) as refused, transaction(services.sessions) as s:
        import_stations(s, BAD)
    errors = refused.value.errors
    assert [e.split(":")[0] for e in errors] == ["Dòng 3", "Dòng 5", "Dòng 7"]
    assert "giờ kết thúc phải sau giờ bắt đầu" in errors[0]
    assert "trùng với dòng 2" in errors[1] and "thiếu code" in errors[2]
    assert station_count(services) == before
    # With those fixed, the database's own checks speak, still by line.
    fixed = "\n".join(BAD.splitlines()[:2] + BAD.splitlines()[3:4] + BAD.splitlines()[5:6])
    with pytest.raises(StationImportError) as refused, transaction(services.sessions) as s:
        import_stations(s, fixed)
    assert refused.value.errors == [
        "Dòng 3: không tìm thấy đơn vị hành chính '99999' (line 3: unit not found)",
        "Dòng 4: mã đài 'TN' đã tồn tại (line 4: code exists)",
    ]
    assert station_count(services) == before


@pytest.mark.usefixtures("tree")
def test_a_line_whose_windows_are_only_separators_is_refused(services: Services) -> None:
    before = station_count(services)
    text = 'code,unit,name,windows\nW1,11560,Đài một,";"\nW2,11560,Đài hai," , "\n'
    with pytest.raises(StationImportError) as refused, transaction(services.sessions) as s:
        import_stations(s, text)
    assert [e.split(":")[0] for e in refused.value.errors] == ["Dòng 2", "Dòng 3"]
    assert "khung giờ phát" in refused.value.errors[0]
    assert station_count(services) == before


@pytest.mark.usefixtures("tree")
def test_a_file_saved_by_excel_in_vietnamese_is_read(services: Services) -> None:
    """Excel under Vietnamese regional settings (decimal comma) separates columns with ";"
    and writes a BOM and CRLF: the same file, the same stations, diacritics intact."""
    text = ("\ufeffcode;unit;name;windows\r\nEX1;11560;Đài Thủy Nguyên – Ấp Bắc;"
            '"T2-T7 05:30-06:30; CN 17:00-18:00"\r\nEX2;11557;Đài Thiên Hương;\r\n')
    with transaction(services.sessions) as s:
        assert import_stations(s, text.removeprefix("\ufeff")).stations == 2
    with transaction(services.sessions) as s:
        ex1 = s.scalars(select(Station).where(Station.code == "EX1")).one()
        assert ex1.name == "Đài Thủy Nguyên – Ấp Bắc"
        assert ex1.windows == ["T2-T7 05:30-06:30", "CN 17:00-18:00"]


@pytest.mark.both_databases  # PostgreSQL refuses a NUL
@pytest.mark.usefixtures("tree")
def test_a_nul_or_a_giant_field_is_an_error_by_line_not_a_crash(services: Services) -> None:
    before = station_count(services)
    nul = "code,unit,name,windows\nOK1,11560,Đài một,\nN\x00UL,11560,Đài hai,\n"
    giant = 'code,unit,name,windows\nOK1,11560,Đài một,\nG1,11560,"' + "x" * 200_000 + '",\n'
    for text, line in ((nul, 3), (giant, 3)):
        with pytest.raises(StationImportError) as refused, transaction(services.sessions) as s:
            import_stations(s, text)
        assert refused.value.errors[0].startswith(f"Dòng {line}: "), refused.value.errors
    assert station_count(services) == before


@pytest.mark.usefixtures("tree")
def test_a_file_without_the_columns_is_refused_at_its_header(services: Services) -> None:
    with pytest.raises(StationImportError, match="Dòng 1: thiếu cột windows"), transaction(
        services.sessions
    ) as s:
        import_stations(s, "code,unit,name\nA,11560,Đài A\n")


def test_the_command_imports_and_writes_the_tokens_once(
    services: Services, loa: Loa, tmp_path: Path
) -> None:
    with transaction(services.sessions) as s:
        two_wards(s)
    source = tmp_path / "stations.csv"
    source.write_text(GOOD, encoding="utf-8-sig")  # as a spreadsheet saves it, with a BOM
    out = loa("station", "import", str(source), ok=False)
    assert "--tokens" in out and station_count(services) == 2  # nothing added without a place
    tokens = tmp_path / "tokens.csv"
    out = loa("station", "import", str(source), "--tokens", str(tokens))
    assert "Đã thêm 3 đài, 2 thiết bị" in out
    rows = list(csv.DictReader(io.StringIO(tokens.read_text(encoding="utf-8"))))
    assert [r["player"] for r in rows] == ["Cụm loa chợ", "Cụm loa thôn 2"]
    assert tokens.stat().st_mode & 0o077 == 0
    source.write_text(BAD, encoding="utf-8")
    out = loa("station", "import", str(source), ok=False)
    assert "Dòng 3:" in out and "Dòng 7:" in out


def upload(client: Any, text: str) -> Any:
    token = csrf(client.get("/admin/").data)
    data = {"csrf_token": token, "file": (io.BytesIO(text.encode()), "stations.csv")}
    return client.post("/admin/stations/import", data=data, content_type="multipart/form-data")


def test_an_admin_uploads_stations_of_their_own_subtree_only(
    services: Services, client: Any
) -> None:
    with transaction(services.sessions) as s:
        two_wards(s)
        add_unit(s, "01", "Thành phố Hà Nội", "province")
        add_user(s, "quantrixa", PASSWORD, "admin", "11560")
    login(client, "quantrixa")
    own = "code,unit,name,windows,players\nTN3,11560,Đài ba,05:30-06:30,Loa chợ\n"
    answer = client.get(upload(client, own).headers["Location"])  # redirected after the POST
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Loa chợ" in page
    assert answer.headers["Cache-Control"] == "no-store"
    # Another ward of the same province, and another province: as if they did not exist.
    other = "code,unit,name,windows\nX1,11557,Đài khác,05:30-06:30\nX2,01,Đài Hà Nội,05:30-06:30\n"
    answer = upload(client, other)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Dòng 2: không tìm thấy đơn vị hành chính &#39;11557&#39;" in page
    assert "Dòng 3:" in page and station_count(services) == 3
    client.get("/lang/en")  # on an English page each line says why, not only its number
    page = upload(client, other).get_data(as_text=True)
    assert "line 2: unit not found" in page and "line 3: unit not found" in page
    client.get("/lang/vi")
    without_csrf = client.post(
        "/admin/stations/import",
        data={"file": (io.BytesIO(own.encode()), "s.csv")},
        content_type="multipart/form-data",
    )
    assert without_csrf.status_code == 400 and station_count(services) == 3


def test_the_country_s_stations_go_in_at_once(services: Services) -> None:
    """All 3,321 communes, one station each (the bench times it; here: it all lands)."""
    from loa.stations.units import import_units

    with transaction(services.sessions) as s:
        import_units(s)
        from loa.stations.models import AdminUnit, UnitLevel

        communes = s.scalars(
            select(AdminUnit.code).where(AdminUnit.level == UnitLevel.commune)
        ).all()
    text = "code,unit,name,windows,players\n" + "".join(
        f"S{c},{c},Đài {c},T2-T7 05:30-06:30; T2-T7 17:00-18:00,Loa 1\n" for c in communes
    )
    with transaction(services.sessions) as s:
        done = import_stations(s, text)
    assert done.stations == len(communes) == 3321 and len(done.players) == 3321
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count()).select_from(Player)) == 3321


SAMPLE = Path(__file__).resolve().parents[1] / "packaging" / "stations-sample.csv"


@pytest.mark.usefixtures("tree")
def test_the_shipped_sample_imports_and_its_windows_are_said_back_in_words(
    loa: Loa, tmp_path: Path
) -> None:
    tokens = tmp_path / "tokens.csv"
    said = loa("station", "import", str(SAMPLE), "--tokens", str(tokens))
    assert "Đã thêm 3 đài, 3 thiết bị" in said
    assert ("1 đài (stations) — Thứ Hai đến thứ Bảy: 05:30-06:30, 17:00-18:00; Chủ nhật: "
            "06:00-07:00 (Monday to Saturday: 05:30-06:30, 17:00-18:00; Sunday: 06:00-07:00)"
            ) in said
    assert "2 đài (stations) — Hằng ngày: 05:30-06:30, 17:00-18:00 (Every day:" in said
    assert b"\r" not in tokens.read_bytes()  # a token copied from a line brings no CR along


@pytest.mark.usefixtures("tree")
def test_days_written_on_one_window_only_are_refused_naming_the_other(
    loa: Loa, tmp_path: Path
) -> None:
    """"T2-T7 05:30-06:30,17:00-18:00" used to put the evening window on Sunday too."""
    source = tmp_path / "stations.csv"
    line = 'HP-A,11560,Đài A,"T2-T7 05:30-06:30,17:00-18:00"'
    source.write_text(f"code,unit,name,windows\n{line}\n", encoding="utf-8")
    said = loa("station", "import", str(source), ok=False)
    assert "Dòng 2:" in said and "Khung giờ 17:00-18:00 không ghi ngày" in said
    assert "each window carries its own days" in said
    said = loa("station", "add", "HP-B", "--unit", "11560", "--name", "Đài B", "--windows",
               "T2-T7 05:30-06:30, 17:00-18:00", ok=False)
    assert "each window carries its own days" in said


@pytest.mark.usefixtures("tree")
def test_commune_codes_excel_stripped_of_their_zeros_are_matched(
    services: Services, loa: Loa, tmp_path: Path
) -> None:
    """"00070" saved by Excel as 70 is the commune 00070; a code that then fits a province
    and a commune both is refused naming the two."""
    with transaction(services.sessions) as s:
        add_unit(s, "00070", "Phường Bảy Mươi", "commune", "31")
        add_unit(s, "00031", "Phường Ba Mốt", "commune", "31")
    source = tmp_path / "excel.csv"
    source.write_text("code,unit,name,windows\nHP-70,70,Đài 70,\n", encoding="utf-8")
    loa("station", "import", str(source))
    with transaction(services.sessions) as s:
        station = s.scalars(select(Station).where(Station.code == "HP-70")).one()
        assert station.unit.code == "00070"
    source.write_text("code,unit,name,windows\nHP-31,31,Đài 31,\n", encoding="utf-8")
    said = loa("station", "import", str(source), ok=False)
    assert "00031 (Phường Ba Mốt)" in said and "31 (Thành phố Hải Phòng)" in said
    assert "ambiguous" in said


@pytest.mark.usefixtures("tree")
def test_a_file_in_another_encoding_says_how_to_save_it(loa: Loa, tmp_path: Path) -> None:
    source = tmp_path / "ansi.csv"
    source.write_bytes("code,unit,name,windows\nHP-A,11560,Đài Ba,\n".encode("cp1258"))
    said = loa("station", "import", str(source), ok=False)
    assert "CSV UTF-8 (Comma delimited)" in said


def test_the_admin_page_says_the_windows_back_in_words_and_names_no_unit_outside(
    services: Services, client: Any
) -> None:
    with transaction(services.sessions) as s:
        two_wards(s)
        add_unit(s, "00031", "Phường Ba Mốt", "commune", "31")
        add_user(s, "quantrixa", PASSWORD, "admin", "11560")
    login(client, "quantrixa")
    own = "code,unit,name,windows\nTN3,11560,Đài ba,T2-T6 05:30-06:30; T2-T6 17:00-18:00\n"
    assert upload(client, own).status_code == 302
    page = client.get("/admin/").get_data(as_text=True)  # the flashed lines
    assert "1 đài phát: Thứ Hai đến thứ Sáu: 05:30-06:30, 17:00-18:00" in page
    # "31" pads to a commune of another subtree: unknown here, not "ambiguous" with its name.
    page = upload(client, "code,unit,name,windows\nTN4,31,Đài tư,\n").get_data(as_text=True)
    assert "không tìm thấy đơn vị hành chính &#39;31&#39;" in page and "Ba Mốt" not in page
