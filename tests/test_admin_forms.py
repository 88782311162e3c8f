"""The admin's edit forms (issue 18 §3): stations, players, users, a unit's report letter,
a campaign; delete or retire keeping history; names by full name and title."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from loa.compliance.audit import Reading, station_month_report
from loa.compliance.keylog import PLAYER_REVOKED
from loa.compliance.models import AiringLogEntry
from loa.db import transaction
from loa.playlists.bulletins import target_stations
from loa.playlists.models import STILL_TO_AIR, AiringStatus, Campaign, Programme
from loa.scheduler.service import plan
from loa.services import Services
from loa.stations.accounts import Role, User
from loa.stations.models import AdminUnit, Player, Station
from loa.stations.units import get_unit
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.accounts import (
    admins,  # noqa: F401  (the fixture, bound by name)
    airings_of,
    player_id,
    schedule_status,
    token_of,
)
from tests.helpers.admin import post
from tests.helpers.bulletins import send
from tests.helpers.editor import tone
from tests.helpers.factories import hai_phong_month
from tests.helpers.reports import (
    JANUARY,
    december,  # noqa: F401  (the fixture, bound by name)
    pdf_text,
)
from tests.helpers.web import PASSWORD, csrf, login


def _station(services: Services, code: str) -> Station | None:
    with transaction(services.sessions) as s:
        found = s.scalar(select(Station).where(Station.code == code))
        s.expunge_all()
        return found


@pytest.mark.usefixtures("admins")
def test_admin_edits_a_station_and_its_player(client: Any, services: Services) -> None:
    login(client, "quantrixa")
    page = client.get("/admin/stations/TN").get_data(as_text=True)
    assert 'value="Đài Thủy Nguyên"' in page and "Mã đài và đơn vị không đổi được" in page
    page = post(client, "/admin/stations/TN", name="Đài Thủy Nguyên mới",
                windows="T2-T6 05:00-06:00, T2-CN 18:00-19:00").get_data(as_text=True)
    assert "Đã lưu đài TN" in page and 'value="Đài Thủy Nguyên mới"' in page
    assert "18:00-19:00" in page
    station = _station(services, "TN")
    assert station is not None and station.name == "Đài Thủy Nguyên mới"
    assert station.code == "TN" and len(station.windows) == 2
    # Bad windows: a Vietnamese message, nothing saved.
    page = post(client, "/admin/stations/TN", name="Đài X",
                windows="17:00-06:00").get_data(as_text=True)
    assert "giờ kết thúc phải sau giờ bắt đầu" in page and 'class="flash error"' in page
    assert "(end" not in page  # Vietnamese only
    assert _station(services, "TN").name == "Đài Thủy Nguyên mới"  # type: ignore[union-attr]
    # A player: renamed and switched to live, its token still works.
    token = token_of(post(client, "/admin/stations/TN/players", name="Cụm loa chợ"))
    number = player_id(services, "Cụm loa chợ")
    page = post(client, f"/admin/players/{number}", name="Cụm loa cầu",
                mode="live").get_data(as_text=True)
    assert "Đã lưu thiết bị Cụm loa cầu" in page
    with transaction(services.sessions) as s:
        assert s.get_one(Player, number).mode.value == "live"
    assert schedule_status(client, token) == 200
    page = post(client, f"/admin/players/{number}", name="", mode="live").get_data(as_text=True)
    assert "Tên thiết bị cần 1 đến 200 ký tự" in page


@pytest.mark.both_databases  # the history query and the cancelling update
@pytest.mark.usefixtures("admins")
def test_station_without_history_is_deleted_one_with_players_retired(
    client: Any, services: Services
) -> None:
    login(client, "quantrixa")
    post(client, "/admin/stations", code="TN2", unit="11560", name="Đài thử",
         windows="05:00-06:00")
    page = client.get("/admin/stations/TN2").get_data(as_text=True)
    assert "Xóa đài" in page and "data-confirm" in page
    page = post(client, "/admin/stations/TN2/retire").get_data(as_text=True)
    assert "Đã xóa đài TN2" in page and _station(services, "TN2") is None
    # TN gets a player: it has history now, so it is retired, never deleted.
    token = token_of(post(client, "/admin/stations/TN/players", name="Cụm loa chợ"))
    assert "Ngừng hoạt động" in client.get("/admin/stations/TN").get_data(as_text=True)
    page = post(client, "/admin/stations/TN/retire").get_data(as_text=True)
    assert "Đài TN đã ngừng hoạt động" in page and 'id="retired"' in page
    station = _station(services, "TN")
    assert station is not None and station.retired_at == services.clock.now()
    assert schedule_status(client, token) == 401  # its player revoked…
    with transaction(services.sessions) as s:  # …through the key log: the chain says so
        events = s.scalars(select(AiringLogEntry.event)
                           .where(AiringLogEntry.station_id == station.id)).all()
    assert PLAYER_REVOKED in events
    assert "đã ngừng hoạt động" in client.get("/admin/").get_data(as_text=True)
    # Its player stays revoked and it takes no new one.
    number = player_id(services, "Cụm loa chợ")
    page = post(client, f"/admin/players/{number}/rotate").get_data(as_text=True)
    assert "Đài TN đã ngừng hoạt động" in page and schedule_status(client, token) == 401
    page = post(client, "/admin/stations/TN/players", name="Mới").get_data(as_text=True)
    assert "Đài TN đã ngừng hoạt động" in page and "station is retired" not in page
    with transaction(services.sessions) as s:
        assert s.scalars(select(Player).where(Player.name == "Mới")).first() is None


@pytest.mark.both_databases  # the history query and the cancelling update
def test_a_retired_station_is_no_longer_planned_nor_targeted(
    client: Any, services: Services
) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s, "2026-12")
        plan(s, "2026-12", services.clock.now(), services.settings.airing_gap)
        add_user(s, "quantri", PASSWORD, "admin", "31")
    assert [a for a in airings_of(services, "TN") if a.status in STILL_TO_AIR]
    login(client, "quantri")
    assert "Đài TN đã ngừng hoạt động" in post(client, "/admin/stations/TN/retire").get_data(
        as_text=True)
    # What TN still had to air from now is cancelled; planning again adds nothing back.
    with transaction(services.sessions) as s:
        plan(s, "2026-12", services.clock.now(), services.settings.airing_gap)
    tn, th = airings_of(services, "TN"), airings_of(services, "TH")
    assert tn and all(a.status is AiringStatus.cancelled for a in tn)
    assert [a for a in th if a.status in STILL_TO_AIR]
    # A bulletin to the whole province reaches TH only.
    with transaction(services.sessions) as s:
        bulletin = send(services, s, "31")
        assert [st.code for st in target_stations(s, bulletin)] == ["TH"]


@pytest.mark.usefixtures("admins")
def test_station_and_player_outside_the_subtree_are_404(client: Any, services: Services) -> None:
    login(client, "quantri")
    post(client, "/admin/stations/TH/players", name="Cụm loa TH")
    number = player_id(services, "Cụm loa TH")
    logout(client)
    login(client, "quantrixa")
    assert client.get("/admin/stations/TH").status_code == 404
    assert post(client, "/admin/stations/TH", name="Lạ", windows="05:00-06:00").status_code == 404
    assert post(client, "/admin/stations/TH/retire").status_code == 404
    assert post(client, f"/admin/players/{number}", name="Lạ", mode="live").status_code == 404
    assert client.get("/admin/units/11557").status_code == 404
    assert post(client, "/admin/units/31", place="Lạ").status_code == 404
    assert client.get("/admin/units/11560").status_code == 200
    station = _station(services, "TH")
    assert station is not None and station.name == "Đài Thiên Hương"
    assert station.retired_at is None


@pytest.mark.usefixtures("admins")
def test_every_edit_form_without_csrf_is_refused(client: Any, services: Services) -> None:
    login(client, "quantri")
    with transaction(services.sessions) as s:
        user_id = s.scalars(select(User.id).where(User.username == "canbo")).one()
    for path, data in (
        ("/admin/stations/TN", {"name": "Z", "windows": "05:00-06:00"}),
        ("/admin/stations/TN/retire", {}),
        (f"/admin/users/{user_id}", {"full_name": "Z", "role": "admin", "unit": "31"}),
        ("/admin/units/31", {"place": "Z"}),
        ("/admin/campaigns/ZZ", {"title": "Z"}),
    ):
        assert client.post(path, data=data).status_code == 400, path
    station = _station(services, "TN")
    assert station is not None and station.name == "Đài Thủy Nguyên" and not station.retired_at
    with transaction(services.sessions) as s:
        assert s.get_one(User, user_id).role is Role.operator


@pytest.mark.usefixtures("admins")
def test_admin_adds_and_edits_a_user_full_name_title_role_unit(
    client: Any, services: Services
) -> None:
    login(client, "quantri")
    page = post(client, "/admin/users", username="lanhdao", role="leader", unit="11560",
                password=PASSWORD, full_name="  Nguyễn  Văn An ",
                title="Phó Chủ tịch UBND").get_data(as_text=True)
    assert "Đã thêm người dùng lanhdao" in page and "Nguyễn Văn An · Phó Chủ tịch UBND" in page
    with transaction(services.sessions) as s:
        user_id = s.scalars(select(User.id).where(User.username == "canbo")).one()
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'name="full_name"' in page and 'value="11557"' in page
    page = post(client, f"/admin/users/{user_id}", full_name="Trần Thị Bình", title="Cán bộ",
                role="leader", unit="11557").get_data(as_text=True)
    assert "Đã lưu người dùng canbo" in page
    with transaction(services.sessions) as s:
        found = s.get_one(User, user_id)
        assert (found.full_name, found.title, found.role, found.unit.code) == (
            "Trần Thị Bình", "Cán bộ", Role.leader, "11557")
    page = post(client, f"/admin/users/{user_id}", full_name="x" * 201, title="",
                role="leader", unit="11557").get_data(as_text=True)
    assert "Họ và tên tối đa 200 ký tự" in page and "at most" not in page
    # A commune admin sees neither the province's users nor may it move one above itself.
    logout(client)
    login(client, "quantrixa")
    assert client.get(f"/admin/users/{user_id}").status_code == 404  # now in 11557
    with transaction(services.sessions) as s:
        leader = s.scalars(select(User.id).where(User.username == "lanhdao")).one()
        own = s.scalars(select(User.id).where(User.username == "quantrixa")).one()
    assert post(client, f"/admin/users/{leader}", full_name="A", title="", role="leader",
                unit="31").status_code == 404
    page = post(client, f"/admin/users/{own}", full_name="Tôi", title="", role="operator",
                unit="11560").get_data(as_text=True)
    assert "Không thể tự đổi vai trò hoặc đơn vị của mình" in page


@pytest.mark.usefixtures("admins")
def test_unit_page_sets_the_report_letter_with_the_defaults_as_placeholders(
    client: Any, services: Services
) -> None:
    login(client, "quantrixa")
    page = client.get("/admin/units/11560").get_data(as_text=True)
    assert 'placeholder="Ủy ban nhân dân Thành phố Hải Phòng"' in page  # letter_of's default
    assert 'placeholder="Hải Phòng"' in page
    page = post(client, "/admin/units/11560", signer_name="Nguyễn Văn An",
                signer_title="KT. CHỦ TỊCH / PHÓ CHỦ TỊCH", place="Thủy Nguyên",
                report_to="").get_data(as_text=True)
    assert "Đã lưu thông tin báo cáo của Phường Thủy Nguyên" in page
    assert 'value="Nguyễn Văn An"' in page and 'value="Thủy Nguyên"' in page
    with transaction(services.sessions) as s:
        unit = s.scalars(select(AdminUnit).where(AdminUnit.code == "11560")).one()
        assert unit.report is not None
        assert (unit.report.signer_name, unit.report.place, unit.report.report_to) == (
            "Nguyễn Văn An", "Thủy Nguyên", None)
    page = post(client, "/admin/units/11560", place="x" * 101).get_data(as_text=True)
    assert 'class="flash error"' in page and "tối đa 100 ký tự" in page


def _campaign(services: Services) -> Campaign:
    with transaction(services.sessions) as s:
        found = s.scalars(select(Campaign).where(Campaign.code == "ATGT")).one()
        s.expunge_all()
        return found


@pytest.mark.usefixtures("admins")
def test_campaign_page_edits_bounds_months_voice_and_jingle(
    client: Any, services: Services, tmp_path: Path
) -> None:
    tone_mp3 = tone(tmp_path / "nhac.mp3").read_bytes()
    login(client, "quantri")
    post(client, "/admin/campaigns", code="ATGT", title="An toàn giao thông", unit="11560")
    page = client.get("/admin/campaigns/ATGT").get_data(as_text=True)
    assert "giọng Nam" in page and "Chưa có nhạc hiệu" in page
    form = {"title": "An toàn giao thông 2027", "min_airings": "4", "min_minutes": "5",
            "max_minutes": "8", "first_month": "2027-01", "last_month": "2027-06",
            "tts": "espeak-ng|vi-vn-x-south"}
    token = _token(client, "/admin/campaigns/ATGT")
    answer = client.post("/admin/campaigns/ATGT", follow_redirects=True, data={
        **form, "csrf_token": token, "jingle": (io.BytesIO(tone_mp3), "nhac.mp3")})
    page = answer.get_data(as_text=True)
    assert "Đã lưu chiến dịch ATGT" in page and "<audio" in page
    found = _campaign(services)
    assert (found.topic, found.min_airings, found.min_s, found.max_s) == (
        "An toàn giao thông 2027", 4, 300, 480)
    assert (found.first_month, found.last_month) == ("2027-01", "2027-06")
    assert (found.tts_engine, found.tts_voice) == ("espeak-ng", "vi-vn-x-south")
    assert found.jingle_sha256 is not None
    heard = client.get("/admin/campaigns/ATGT/jingle.mp3")
    assert heard.status_code == 200 and heard.data == services.store.path(
        found.jingle_sha256).read_bytes()
    # Refused, each with its Vietnamese message, and nothing changes.
    for bad, said in (
        ({"min_minutes": "9", "max_minutes": "8"}, "thời lượng tối thiểu ≤ tối đa"),
        ({"first_month": "2027-06", "last_month": "2027-01"}, "Tháng kết thúc trước tháng bắt đầu"),
        ({"min_airings": "ba"}, "Số lần phát và số phút phải là số"),
        ({"tts": "piper|/etc/passwd"}, "Bộ đọc hoặc giọng đọc không hợp lệ"),
    ):
        page = post(client, "/admin/campaigns/ATGT", **{**form, **bad}).get_data(as_text=True)
        assert said in page and "(" + "need" not in page, bad
    answer = client.post("/admin/campaigns/ATGT", follow_redirects=True, data={
        **form, "csrf_token": token, "jingle": (io.BytesIO(b"not audio"), "x.mp3")})
    assert 'class="flash error"' in answer.get_data(as_text=True)
    assert _campaign(services).min_s == 300 and _campaign(services).jingle_sha256 == \
        found.jingle_sha256
    logout(client)
    login(client, "quantrixa")
    assert client.get("/admin/campaigns/ATGT").status_code == 200  # its own unit's
    post(client, "/admin/campaigns", code="TINH", title="Tỉnh", unit="11560")
    logout(client)
    login(client, "quantri")
    post(client, "/admin/campaigns", code="HP", title="Thành phố", unit="31")
    logout(client)
    login(client, "quantrixa")
    assert client.get("/admin/campaigns/HP").status_code == 404  # the province's
    assert post(client, "/admin/campaigns/HP", **form).status_code == 404


def _token(client: Any, path: str) -> str:
    return csrf(client.get(path).data)


def logout(client: Any) -> None:
    client.post("/logout", data={"csrf_token": csrf(client.get("/admin/").data)})


def test_pages_and_pdf_name_the_approver_by_full_name(
    client: Any, services: Services, december: dict[str, str]  # noqa: F811
) -> None:
    with transaction(services.sessions) as s:
        add_user(s, "quantri", PASSWORD, "admin", "31")
        add_user(s, "lanhdao", PASSWORD, "leader", "31")
        programme = s.scalars(select(Programme)).one()
        programme.approved_by = "lanhdao"
        programme_id = programme.id
    login(client, "tinh")
    assert "lanhdao" in pdf_text(client.get("/audit.pdf?period=2026").data)
    logout(client)
    login(client, "quantri")
    with transaction(services.sessions) as s:
        leader = s.scalars(select(User.id).where(User.username == "lanhdao")).one()
    post(client, f"/admin/users/{leader}", full_name="Nguyễn Văn An",
         title="Phó Chủ tịch UBND", role="leader", unit="31")
    page = client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "Nguyễn Văn An (Phó Chủ tịch UBND)" in page
    logout(client)
    login(client, "tinh")
    text = pdf_text(client.get("/audit.pdf?period=2026").data)
    assert "bởi Nguyễn Văn An (Phó Chủ tịch UBND)" in text and "lanhdao" not in text


@pytest.mark.usefixtures("admins")
def test_the_cli_sets_a_users_full_name_and_title(loa: Loa, services: Services) -> None:
    loa("user", "add", "lanhdao", "--role", "leader", "--unit", "31", "--password", PASSWORD,
        "--full-name", "Nguyễn Văn An", "--title", "Chủ tịch UBND")
    assert "lanhdao\tleader\t31\tactive\tNguyễn Văn An (Chủ tịch UBND)" in loa("user", "list")
    assert "(names set)" in loa("user", "set", "canbo", "--full-name", "Trần Thị Bình")
    said = loa("user", "set", "canbo", "--title", "x" * 201, ok=False)
    assert "Chức vụ tối đa 200 ký tự" in said
    with transaction(services.sessions) as s:
        found = s.scalars(select(User).where(User.username == "canbo")).one()
        assert (found.full_name, found.title) == ("Trần Thị Bình", None)


def test_reports_keep_a_retired_stations_past_months_only(
    client: Any, services: Services, december: dict[str, str]  # noqa: F811
) -> None:
    reading = Reading.of(services.settings, JANUARY)
    def stations_in(month: str) -> list[str]:
        with transaction(services.sessions) as s:
            rows = station_month_report(s, get_unit(s, "31"), month, reading)
            return sorted({r.station for r in rows})

    assert stations_in("2027-01") == ["TH", "TN"]
    with transaction(services.sessions) as s:
        add_user(s, "quantri", PASSWORD, "admin", "31")
    login(client, "quantri")
    post(client, "/admin/stations/TH/retire")  # in December (the clock's month)
    assert stations_in("2026-12") == ["TH", "TN"]  # the month it retired in stays
    assert stations_in("2027-01") == ["TN"]
