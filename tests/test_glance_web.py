"""The month at a glance through the web: station calendar, airing edits, plan-ahead, public RSS."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from loa.clock import VN, FrozenClock
from loa.compliance.audit import Reading
from loa.compliance.close import close_month
from loa.db import transaction
from loa.playlists.models import Airing, AiringStatus, Programme, ProgrammeStatus
from loa.scheduler.runtime import plan_ahead_job
from loa.scheduler.service import approve_and_plan, plan
from loa.services import Services
from loa.stations.models import Player, Station
from loa.web.users import add_user
from tests.helpers.accounts import airings_of, outlook_of
from tests.helpers.factories import aired, approved_programme, hai_phong_month
from tests.helpers.web import PASSWORD, csrf, login

CALENDAR_PLANNED = re.compile(r'class="airing airing-planned" title=')


def _rendered(s: Any, services: Services, unit: str, month: str) -> int:
    """A rendered (not yet approved) programme of ``unit`` for ``month``: its id."""
    programme = approved_programme(s, unit, month, 720_000, services.clock.now())
    programme.status, programme.approved_at = ProgrammeStatus.rendered, None
    return programme.id


@pytest.fixture
def city(services: Services) -> int:
    """Hải Phòng with wards TN and TH; December's province programme rendered, not approved."""
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        s.get_one(Programme, month.programme_id).status = ProgrammeStatus.rendered
        add_user(s, "tinh", PASSWORD, "auditor", "31")
        add_user(s, "xa", PASSWORD, "operator", "11560")
        return month.programme_id


def _post(client: Any, path: str, **form: str) -> str:
    token = csrf(client.get("/stations/TN?month=2026-12").data)
    answer = client.post(path, data={"csrf_token": token, **form}, follow_redirects=True)
    assert answer.status_code == 200
    return str(answer.get_data(as_text=True))


def test_station_calendar_shows_the_airings_planned_on_approval(
    city: int, services: Services, client: Any
) -> None:
    login(client, "xa")
    before = client.get("/stations/TN?month=2026-12").get_data(as_text=True)
    assert "Chưa có lượt phát nào" in before and not CALENDAR_PLANNED.search(before)
    with transaction(services.sessions) as s:
        approve_and_plan(s, city, services.clock.now(), services.settings.airing_gap)
    page = client.get("/stations/TN?month=2026-12").get_data(as_text=True)
    assert len(CALENDAR_PLANNED.findall(page)) == 3
    assert "Lượt phát tiếp theo" in page and "Chương trình 31 2026-12" in page
    assert f'src="/programmes/{city}/audio"' in page  # the listen button
    assert "Mất liên lạc" in page  # its player never polled
    evidence = client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    listen = f'<audio class="listen" controls preload="none" src="/programmes/{city}/audio"'
    assert listen in evidence
    assert client.get(f"/programmes/{city}/audio").status_code == 404  # its file is not stored
    assert client.get("/stations/TH").status_code == 404  # another ward's station


def test_operator_adds_moves_and_cancels_inside_the_windows(
    city: int, services: Services, client: Any
) -> None:
    with transaction(services.sessions) as s:
        approve_and_plan(s, city, services.clock.now(), services.settings.airing_gap)
    first = airings_of(services, "TN")[0]
    taken = first.starts_at.astimezone(VN)
    login(client, "xa")
    refusals = {
        "2026-12-10T12:00": "không nằm trọn trong khung giờ",
        "2026-11-30T17:00": "đã qua",
        taken.strftime("%Y-%m-%dT%H:%M"): "trùng với lượt phát",
        "2026-12-10 17:0": "không hợp lệ",
    }
    for when, message in refusals.items():
        page = _post(client, "/stations/TN/airings", campaign="CDS", starts_at=when)
        assert message in page, when
    assert len(airings_of(services, "TN")) == 3  # nothing stored by a refusal

    page = _post(client, "/stations/TN/airings", campaign="CDS", starts_at="2026-12-02T05:40")
    assert "Đã cập nhật lịch phát" in page
    added = max(airings_of(services, "TN"), key=lambda a: a.id)
    assert added.starts_at == datetime(2026, 12, 2, 5, 40, tzinfo=VN)
    assert len(CALENDAR_PLANNED.findall(page)) == 3 and "Phát bù" in page  # the 4th is extra

    moved = _post(
        client, "/stations/TN/airings/move", airing=str(first.id), starts_at="2026-12-03T17:20"
    )
    assert "Đã cập nhật lịch phát" in moved
    assert "ngoài" not in moved
    by_id = {a.id: a for a in airings_of(services, "TN")}
    assert by_id[first.id].starts_at == datetime(2026, 12, 3, 17, 20, tzinfo=VN)
    refused = _post(
        client, "/stations/TN/airings/move", airing=str(first.id), starts_at="2027-01-04T17:20"
    )
    assert "chỉ dời trong tháng 2026-12" in refused

    cancelled = _post(client, "/stations/TN/airings/cancel", airing=str(first.id))
    assert "Đã cập nhật lịch phát" in cancelled
    assert {a.id: a for a in airings_of(services, "TN")}[first.id].status is AiringStatus.cancelled
    again = _post(client, "/stations/TN/airings/cancel", airing=str(first.id))
    assert "không sửa được" in again
    other = airings_of(services, "TH")[0]
    foreign = _post(client, "/stations/TN/airings/cancel", airing=str(other.id))
    assert "không tìm thấy lượt phát" in foreign  # TH's airing through TN's page
    assert client.post(
        "/stations/TN/airings/cancel", data={"airing": str(other.id)}
    ).status_code == 400  # no CSRF token


def test_auditor_cannot_edit_and_a_closed_month_refuses(
    city: int, services: Services, client: Any
) -> None:
    with transaction(services.sessions) as s:
        approve_and_plan(s, city, services.clock.now(), services.settings.airing_gap)
        close_month(s, "2026-11", Reading.of(services.settings, services.clock.now()))
    login(client, "tinh")
    assert "Thêm lượt phát" not in client.get("/stations/TN").get_data(as_text=True)
    token = csrf(client.get("/stations/TN").data)
    answer = client.post(
        "/stations/TN/airings", data={"csrf_token": token, "campaign": "CDS",
                                      "starts_at": "2026-12-20T17:00"},
    )
    assert answer.status_code == 403
    with transaction(services.sessions) as s:
        add_user(s, "quan", PASSWORD, "operator", "31")
    client.post("/logout", data={"csrf_token": token})
    login(client, "quan")
    page = _post(client, "/stations/TN/airings", campaign="CDS", starts_at="2026-11-20T17:00")
    assert "đã khóa sổ" in page


def test_cancel_that_leaves_the_count_unreachable_warns_and_the_overview_says_at_risk(
    services: Services, client: Any, clock: FrozenClock
) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        add_user(s, "xa", PASSWORD, "operator", "11560")
        tn = s.scalar(select(Station).where(Station.code == "TN"))
        assert tn is not None
        tn.windows = ["CN 17:00-17:15"]  # Sundays only: 6, 13, 20, 27 December
    with transaction(services.sessions) as s:
        plan(s, "2026-12", clock.now(), services.settings.airing_gap)
    airings = airings_of(services, "TN")
    assert len(airings) == 3
    login(client, "xa")
    assert outlook_of(client, "TN") == "on_track"
    clock.set(datetime(2026, 12, 20, 18, 0, tzinfo=VN))  # only the 27th's window is left
    with transaction(services.sessions) as s:
        s.get_one(Airing, airings[0].id).status = AiringStatus.missed
        s.get_one(Airing, airings[1].id).status = AiringStatus.aired
    page = _post(client, "/stations/TN/airings/cancel", airing=str(airings[2].id))
    assert "Cảnh báo: chỉ còn 2/3 lượt" in page
    assert outlook_of(client, "TN") == "at_risk"
    assert "chỉ còn chỗ cho 1 lượt nữa" in client.get("/?month=2026-12").get_data(as_text=True)


def test_overview_words_players_online_and_the_chart_for_auditors(
    city: int, services: Services, client: Any, clock: FrozenClock
) -> None:
    with transaction(services.sessions) as s:
        approve_and_plan(s, city, clock.now(), services.settings.airing_gap)
        player = s.scalar(select(Player).where(Player.name == "Cụm loa TN"))
        assert player is not None
        player.last_seen = clock.now() - timedelta(minutes=2)
    login(client, "tinh")
    page = client.get("/?month=2026-12").get_data(as_text=True)
    assert outlook_of(client, "TN") == outlook_of(client, "TH") == "on_track"
    assert "Không đạt" not in page.split("<tbody>")[1]
    assert "1/1 trực tuyến" in page and "0/1 trực tuyến" in page
    assert '<svg class="compliance-chart"' in page and "<title>12/2026: 0/2 đài đạt</title>" in page
    future = client.get("/?month=2027-03").get_data(as_text=True)
    assert "Không đạt" not in future.split("<tbody>")[1] and "outlook-row-on_track" in future
    client.post("/logout", data={"csrf_token": csrf(page.encode())})
    login(client, "xa")
    assert "compliance-chart" not in client.get("/?month=2026-12").get_data(as_text=True)


def test_next_month_is_planned_by_the_20th(
    city: int, services: Services, clock: FrozenClock
) -> None:
    with transaction(services.sessions) as s:
        approve_and_plan(s, city, clock.now(), services.settings.airing_gap)
        approved_programme(s, "31", "2027-01", 720_000, clock.now())
    january = datetime(2027, 1, 1, tzinfo=VN)
    clock.set(datetime(2026, 12, 19, 23, 0, tzinfo=VN))
    plan_ahead_job(services)
    assert not [a for a in airings_of(services, "TN") if a.starts_at >= january]
    clock.set(datetime(2026, 12, 20, 0, 10, tzinfo=VN))
    plan_ahead_job(services)
    plan_ahead_job(services)  # again, e.g. at start: nothing twice
    for code in ("TN", "TH"):
        ahead = [a for a in airings_of(services, code) if a.starts_at >= january]
        assert len(ahead) == 3 and min(a.starts_at for a in ahead) - clock.now() >= timedelta(
            days=10)


def test_public_page_and_rss_need_no_login_and_show_only_what_the_unit_aired(
    city: int, services: Services, client: Any
) -> None:
    with transaction(services.sessions) as s:
        approve_and_plan(s, city, services.clock.now(), services.settings.airing_gap)
        aired(s, city, "TH", services.clock.now())  # the province's, relayed at TH only
        own = approved_programme(s, "11557", "2027-01", 700_000, services.clock.now())
        own.title = "Bản tin <phường> & \"Thiên Hương\""
        aired(s, own.id, "TH", services.clock.now())
        _rendered(s, services, "11560", "2027-01")  # TN's draft-ish: not approved
        path = services.store.path(own.master_sha256 or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"ID3" + b"\0" * 997)
        own_id = own.id
    page = client.get("/public/11557")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Chương trình 31 2026-12" in text  # relayed from the province
    assert "Bản tin &lt;phường&gt;" in text and f"/public/11557/programmes/{own_id}.mp3" in text
    assert "11560 2027-01" not in text

    feed = client.get("/public/11557/rss.xml")
    assert feed.status_code == 200 and feed.mimetype == "application/rss+xml"
    root = ET.fromstring(feed.data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    assert [i.findtext("title") for i in items] == [
        'Bản tin <phường> & "Thiên Hương"', "Chương trình 31 2026-12"
    ]
    enclosure = items[0].find("enclosure")
    assert enclosure is not None and enclosure.get("type") == "audio/mpeg"
    assert enclosure.get("length") == "1000"
    assert enclosure.get("url", "").endswith(f"/public/11557/programmes/{own_id}.mp3")
    audio = client.get(f"/public/11557/programmes/{own_id}.mp3")
    assert audio.status_code == 200 and audio.data.startswith(b"ID3")

    def tn_titles() -> list[str | None]:
        tn_feed = ET.fromstring(client.get("/public/11560/rss.xml").data)
        return [i.findtext("title") for i in tn_feed.findall("./channel/item")]

    # Planned at TN but not aired there yet: nothing to listen again; nor its unapproved
    # draft, nor its sibling's programme.
    assert tn_titles() == []
    assert "Chưa có chương trình nào đã phát" in client.get("/public/11560").get_data(as_text=True)
    with transaction(services.sessions) as s:
        first = s.scalars(select(Airing).join(Station).where(
            Station.code == "TN", Airing.programme_id == city).order_by(Airing.starts_at)).first()
        assert first is not None
        first.status = AiringStatus.aired
    assert tn_titles() == ["Chương trình 31 2026-12"]
    assert client.get(f"/public/11560/programmes/{own_id}.mp3").status_code == 404
    assert client.get("/public/99999/rss.xml").status_code == 404


def test_two_operators_adding_the_same_slot_at_once_store_one(
    city: int, services: Services, app: Any
) -> None:
    with transaction(services.sessions) as s:
        approve_and_plan(s, city, services.clock.now(), services.settings.airing_gap)
    clients = [app.test_client() for _ in range(2)]
    for c in clients:
        login(c, "xa")
    tokens = [csrf(c.get("/stations/TN").data) for c in clients]
    start = threading.Barrier(2)
    pages: list[str] = []

    def add(c: Any, token: str) -> None:
        start.wait(timeout=10)
        answer = c.post(
            "/stations/TN/airings",
            data={"csrf_token": token, "campaign": "CDS", "starts_at": "2026-12-02T05:40"},
            follow_redirects=True,
        )
        pages.append(answer.get_data(as_text=True))

    pairs = zip(clients, tokens, strict=True)
    threads = [threading.Thread(target=add, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted("Đã cập nhật lịch phát" in p for p in pages) == [False, True]
    assert any("trùng với lượt phát" in p for p in pages)
    slot = datetime(2026, 12, 2, 5, 40, tzinfo=VN)
    assert sum(a.starts_at == slot for a in airings_of(services, "TN")) == 1
