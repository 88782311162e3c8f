"""The pages speak Vietnamese, switch to English and back, and fail in words a person reads."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from loa.db import transaction
from loa.playlists.models import Airing
from loa.scheduler.service import plan
from loa.services import Services
from loa.stations.models import Station
from loa.web.i18n import COOKIE
from loa.web.users import add_user
from tests.helpers.factories import hai_phong_month
from tests.helpers.web import PASSWORD, csrf, login

WEB = Path(__file__).parent.parent / "web"
TRANSLATIONS = WEB / "translations"


@pytest.fixture
def month(services: Services) -> int:
    """Hải Phòng's planned December; an operator of ward 11560. Returns the programme id."""
    with transaction(services.sessions) as s:
        found = hai_phong_month(services, s)
        plan(s, "2026-12", services.clock.now(), services.settings.airing_gap)
        add_user(s, "xa", PASSWORD, "operator", "11560")
    return found.programme_id


def english(client: Any) -> None:
    answer = client.get("/lang/en?next=/stations")
    assert answer.status_code == 302 and answer.headers["Location"] == "/stations"


def test_pages_are_vietnamese_without_english_subtitles(client: Any, month: int) -> None:
    page = login(client, "xa").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Tình hình phát sóng tháng 12/2026" in page
    assert "<small>Overview</small>" not in page and "Compliance by station" not in page
    page = client.get(f"/programmes/{month}").get_data(as_text=True)
    assert "Đã duyệt" in page and "Đã xếp lịch" in page  # statuses in words
    assert ">planned<" not in page and ">approved<" not in page


def test_the_switch_turns_pages_to_english_and_back_and_holds(client: Any, month: int) -> None:
    login(client, "xa")
    english(client)
    page = client.get(f"/programmes/{month}").get_data(as_text=True)
    assert '<html lang="en">' in page and "Airings" in page and "Lịch phát" not in page
    assert "Approved" in page and "Planned" in page and "Đã xếp lịch" not in page
    stations = client.get("/stations").get_data(as_text=True)
    assert "Stations and players" in stations and "Prefetch" in stations
    client.get("/lang/vi?next=/stations")
    assert "Đài truyền thanh và thiết bị phát" in client.get("/stations").get_data(as_text=True)


def test_the_choice_survives_logging_out_and_an_unknown_language_changes_nothing(
    client: Any, month: int
) -> None:
    english(client)
    client.get("/lang/xx?next=/login")
    page = client.get("/login").get_data(as_text=True)
    assert "Log in" in page and "Username" in page
    token = csrf(page.encode())
    page = client.post(
        "/login", data={"username": "xa", "password": "sai", "csrf_token": token}
    ).get_data(as_text=True)
    assert "wrong username or password" in page and "Sai tên" not in page  # the flash too


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example", "/\t/evil.example/", "https://evil.example/"]
)
def test_the_switch_never_leaves_the_site(client: Any, target: str) -> None:
    answer = client.get("/lang/en", query_string={"next": target})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert f"{COOKIE}=en" in answer.headers["Set-Cookie"]


def test_error_pages_in_vietnamese_with_a_way_back(client: Any, month: int) -> None:
    login(client, "xa")
    answer = client.get("/programmes/999999", headers={"Referer": "http://localhost/programmes"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "Không tìm thấy trang" in page
    assert 'href="/programmes"' in page and "Về trang tổng quan" in page
    assert "Not Found" not in page
    answer = client.get("/admin/users")  # an operator is not an admin
    assert answer.status_code == 403 and "Không có quyền" in answer.get_data(as_text=True)
    answer = client.get("/?month=2026-13")
    assert answer.status_code == 400 and "Yêu cầu không hợp lệ" in answer.get_data(as_text=True)
    english(client)
    page = client.get("/programmes/999999").get_data(as_text=True)
    assert "Page not found" in page and "To the overview" in page


def test_a_file_too_large_is_a_vietnamese_413_with_a_way_back(
    client: Any, app: Any, month: int
) -> None:
    login(client, "xa")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    answer = client.post(
        f"/programmes/{month}/segments",
        data={"kind": "clip", "file": (io.BytesIO(b"\0" * 4096), "big.mp3")},
        headers={"Referer": f"http://localhost/programmes/{month}"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 413 and "Tệp quá lớn" in page and "Request Entity" not in page
    assert f'href="/programmes/{month}"' in page


def test_an_unexpected_failure_is_a_500_page_in_vietnamese(client: Any, app: Any) -> None:
    def boom() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/boom", view_func=boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = client.get("/boom")
    assert answer.status_code == 500 and "Lỗi máy chủ" in answer.get_data(as_text=True)
    assert "a bug" not in answer.get_data(as_text=True)


def test_the_player_api_keeps_json_errors(client: Any) -> None:
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404 and answer.is_json


def test_every_label_of_the_pages_has_its_english_and_the_mo_is_compiled() -> None:
    """Each text marked in web/ has an English translation in the committed .mo files."""
    methods = [("**.py", "python"), ("templates/**.html", "jinja2")]
    marked = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(WEB), methods, keywords={"_": None, "gettext": None, "_l": None}
        )
    }
    for language in ("vi", "en"):
        folder = TRANSLATIONS / language / "LC_MESSAGES"
        with (folder / "messages.mo").open("rb") as mo, (folder / "messages.po").open("rb") as po:
            compiled, source = read_mo(mo), read_po(po)
        assert marked <= {m.id for m in source if m.id}, f"{language}: run pybabel update"
        assert {m.id: m.string for m in compiled if m.id} == {
            m.id: m.string for m in source if m.id and m.string
        }, f"{language}: run pybabel compile -d web/translations"
    english = {m.id: m.string for m in compiled if m.id}
    assert [m for m in marked if not english.get(m)] == []


def test_the_station_page_in_english_down_to_its_weekdays_and_the_edit_messages(
    client: Any, services: Services, month: int
) -> None:
    with transaction(services.sessions) as s:
        station = s.scalar(select(Station).where(Station.code == "TN"))
        assert station is not None
        station.windows = ["T2-T7 05:30-06:30", "CN 17:00-18:00"]
        first = s.scalars(
            select(Airing).where(Airing.station_id == station.id).order_by(Airing.starts_at)
        ).first()
        assert first is not None
        airing = first.id
    login(client, "xa")
    page = client.get("/stations/TN?month=2026-12").get_data(as_text=True)
    assert "Thứ Hai đến thứ Bảy: 05:30-06:30; Chủ nhật: 17:00-18:00" in page
    assert "Lịch phát tháng 12/2026" in page
    english(client)
    page = client.get("/stations/TN?month=2026-12").get_data(as_text=True)
    assert "Monday to Saturday: 05:30-06:30; Sunday: 17:00-18:00" in page
    assert "Schedule for 12/2026" in page
    assert '<span role="columnheader">Mon</span>' in page and ">Planned<" in page
    assert "Đã lên lịch" not in page and "Khung giờ" not in page
    assert "tiếp theo" not in page
    token = csrf(page.encode())
    moved = client.post(
        "/stations/TN/airings/move",
        data={"csrf_token": token, "airing": airing, "starts_at": "2026-12-10T12:00"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "12:00 10/12/2026 is outside the station&#39;s broadcast windows" in moved
    assert "không nằm trọn" not in moved
    cancelled = client.post(
        "/stations/TN/airings/cancel",
        data={"csrf_token": token, "airing": airing},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Schedule updated" in cancelled and "Đã cập nhật" not in cancelled
