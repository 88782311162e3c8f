"""The station's day at a glance on its page (issue 17 §5): relays with their source, airings,
bulletin plays and free time from 00:00 to 24:00, now and next, a day before and after."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import tests.helpers.day
from loa.clock import FrozenClock
from loa.db import transaction
from loa.playlists.models import Airing, AiringStatus
from loa.services import Services
from loa.stations.models import Station
from tests.helpers.day import local
from tests.helpers.web import login

BLOCK = re.compile(r'<li class="day-block day-(\w+)[^"]*">\s*<span class="day-time">([^<]+)</span>')
day = tests.helpers.day.day  # a shared fixture


def blocks(page: str) -> list[tuple[str, str]]:
    return [(kind, re.sub(r"\s+", "", time)) for kind, time in BLOCK.findall(page)]


def test_the_day_of_the_station_now_and_next(client: FlaskClient, day: None) -> None:
    login(client, "xa")
    page = client.get("/stations/TN").get_data(as_text=True)
    assert "Lịch ngày 02/12/2026 <small>hôm nay</small>" in page
    assert blocks(page) == [
        ("free", "00:00–06:00"), ("relay", "06:00–06:20"), ("emergency", "06:20–06:21"),
        ("relay", "06:21–06:30"), ("free", "06:30–17:00"), ("airing", "17:00–17:12"),
        ("free", "17:12–17:20"), ("bulletin", "17:20–17:21"), ("free", "17:21–24:00")]
    now = page[page.index('id="moment-now"'):page.index('id="moment-next"')]
    assert "Đang tiếp sóng: VOV1" in now and "đến 06:20" in now
    coming = page[page.index('id="moment-next"'):page.index('id="moment-last"')]
    assert "Thông báo khẩn cấp: Thông báo bão" in coming and "06:20–06:21 02/12/2026" in coming
    plan = page[page.index('id="day"'):]
    relay = plan[plan.index("06:00–06:20"):plan.index("06:20–06:21")]
    assert "Phát tiếp sóng" in relay and "VOV1" in relay and "bắt buộc" in relay
    assert "bị ngắt" in relay and "đang phát" in relay  # the block on air now is marked
    assert "tiếp tục" in plan[plan.index("06:21–06:30"):]
    assert "Chương trình 31 2026-12" in page and "Đã xếp lịch" in page  # the airing's status
    assert "10 giờ 30 phút" in page  # the free time 06:30-17:00, in words
    assert 'href="/stations/TN?day=2026-12-01#day"' in page
    assert 'href="/stations/TN?day=2026-12-03#day"' in page


def test_another_day_and_its_month(client: FlaskClient, day: None) -> None:
    login(client, "xa")
    page = client.get("/stations/TN?day=2026-12-03").get_data(as_text=True)
    assert "Lịch ngày 03/12/2026" in page and "hôm nay" not in page.split('id="day"')[1][:400]
    assert blocks(page) == [("free", "00:00–06:00"), ("relay", "06:00–06:30"),
                            ("free", "06:30–24:00")]
    assert 'href="/stations/TN#day">Hôm nay</a>' in page
    # Now and next stay now's, whatever day is shown.
    assert "Đang tiếp sóng: VOV1" in page
    january = client.get("/stations/TN?day=2027-01-05").get_data(as_text=True)
    assert "Lịch phát tháng 01/2027" in january  # the calendar of the day's month
    both = client.get("/stations/TN?day=2027-01-05&month=2026-12").get_data(as_text=True)
    assert "Lịch phát tháng 12/2026" in both


@pytest.mark.parametrize(("at", "heading", "english", "said"), [
    ("05:00", "Tiếp sóng tiếp theo", "Next relay", "Tiếp sóng: VOV1"),
    ("06:10", "Phát khẩn cấp tiếp theo", "Next emergency play",
     "Thông báo khẩn cấp: Thông báo bão"),
    ("12:00", "Lượt phát tiếp theo", "Next airing", "Chương trình 31 2026-12"),
    ("17:15", "Thông báo tiếp theo", "Next bulletin", "📢 Thông báo họp"),
])
def test_the_next_card_says_what_comes_next(
    client: FlaskClient, day: None, clock: FrozenClock, at: str, heading: str, english: str,
    said: str,
) -> None:
    """The "next" card is headed by what it is: a relay, an emergency play, an airing or a
    bulletin, never "next airing" for a relay."""
    clock.set(local(at))
    login(client, "xa")
    page = client.get("/stations/TN").get_data(as_text=True)
    coming = page[page.index('id="moment-next"'):page.index('id="moment-last"')]
    assert f"<h3>{heading}</h3>" in coming and said in coming
    client.get("/lang/en?next=/stations/TN")
    page = client.get("/stations/TN").get_data(as_text=True)
    coming = page[page.index('id="moment-next"'):page.index('id="moment-last"')]
    assert f"<h3>{english}</h3>" in coming and heading not in coming


@pytest.mark.parametrize("bad", ["2026-02-30", "02/12/2026", "2026-12-2", "9999-12-31"])
def test_a_bad_day_says_so_in_words(client: FlaskClient, day: None, bad: str) -> None:
    login(client, "xa")
    answer = client.get(f"/stations/TN?day={bad}")
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert "Ngày không hợp lệ" in text and "cần dạng YYYY-MM-DD, ví dụ 2026-12-01" in text
    client.get("/lang/en?next=/stations/TN")
    english = client.get(f"/stations/TN?day={bad}").get_data(as_text=True)
    assert "invalid day: use YYYY-MM-DD" in english and "Ngày không hợp lệ" not in english


def test_the_day_in_english(client: FlaskClient, day: None) -> None:
    login(client, "xa")
    client.get("/lang/en?next=/stations/TN")
    page = client.get("/stations/TN").get_data(as_text=True)
    assert "Relaying: VOV1" in page and "Emergency bulletin: Thông báo bão" in page
    assert "Schedule for 02/12/2026" in page and "until 06:20" in page
    assert "Previous day" in page and "Next day" in page and "required" in page
    for vietnamese in ("Đang tiếp sóng", "Lịch ngày", "Phát tiếp sóng", "bị ngắt", "Trống",
                       "Ngày sau", "giờ", "phút"):
        assert vietnamese not in page, vietnamese


def test_a_day_with_nothing_is_free_and_nothing_is_on(
    client: FlaskClient, day: None, clock: FrozenClock
) -> None:
    login(client, "xa")
    # The 24th of November, before the relay was set: nothing at all.
    page = client.get("/stations/TN?day=2026-11-24").get_data(as_text=True)
    assert blocks(page) == [("free", "00:00–24:00")] and "24 giờ" in page
    clock.set(local("12:00"))
    page = client.get("/stations/TN").get_data(as_text=True)
    now = page[page.index('id="moment-now"'):page.index('id="moment-next"')]
    assert "<p>—</p>" in now
    coming = page[page.index('id="moment-next"'):page.index('id="moment-last"')]
    assert "Chương trình 31 2026-12" in coming and "17:00–17:12 02/12/2026" in coming
    assert 'class="listen"' in coming  # an airing's listen button


def test_an_airing_cancelled_or_of_another_station_is_not_on_the_day(
    client: FlaskClient, day: None, services: Services
) -> None:
    with transaction(services.sessions) as s:
        airing = s.scalars(select(Airing)).one()
        airing.status = AiringStatus.cancelled
        th = s.scalars(select(Station).where(Station.code == "TH")).one()
        s.add(Airing(programme_id=airing.programme_id, station_id=th.id,
                     starts_at=local("17:40"), status=AiringStatus.planned))
    login(client, "xa")
    page = client.get("/stations/TN").get_data(as_text=True)
    assert ("airing", "17:00–17:12") not in blocks(page)
    assert all(kind != "airing" for kind, _time in blocks(page))
    assert client.get("/stations/TH?day=2026-12-02").status_code == 404  # the other ward's

