"""The notification room's rules, table-driven: quiet hours, backoff, the mail URL, the
signature; and the events read from state (lost airings, months at risk once a day)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from loa.clock import VN, FrozenClock
from loa.notify.channels import mail_url, signature
from loa.notify.deliver import backoff
from loa.notify.inbox import short_of_count
from loa.notify.jobs import notify_job, risk_job
from loa.notify.models import NotifyEvent
from loa.notify.profiles import quiet_until
from loa.services import Services
from tests.helpers import notify
from tests.helpers.accounts import logged_in
from tests.helpers.databases import tables
from tests.helpers.web import csrf

office = notify.office  # the fixture, bound by name


def vn(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize("start,end,at,until", [
    ("22:00", "06:00", vn(23, 30), vn(6, day=2)),
    ("22:00", "06:00", vn(5), vn(6)),
    ("22:00", "06:00", vn(12), None),
    ("22:00", "06:00", vn(6), None),  # the end is outside
    ("12:00", "13:30", vn(12), vn(13, 30)),
    (None, None, vn(23), None),
])
def test_quiet_hours(start: str | None, end: str | None, at: datetime,
                     until: datetime | None) -> None:
    assert quiet_until(start, end, at.astimezone(UTC), VN) == until


def test_backoff_grows_fourfold_up_to_six_hours() -> None:
    assert [backoff(n) for n in range(1, 7)] == [
        timedelta(minutes=m) for m in (1, 4, 16, 64, 256, 360)]


def test_short_of_count() -> None:
    assert not short_of_count(3, 3) and short_of_count(3, 2)


@pytest.mark.parametrize("smtp,says", [
    ("smtp://u:p%40ss@mail.tinh.gov.vn:587?from=loa@tinh.gov.vn",
     "mailtos://u:p%40ss@mail.tinh.gov.vn:587/?from=loa%40tinh.gov.vn&mode=starttls&cto=10"
     "&smtp=mail.tinh.gov.vn&to=a%40b.vn"),
    ("smtp://mail.tinh.gov.vn",
     "mailtos://mail.tinh.gov.vn:587/?mode=starttls&from=loa%40mail.tinh.gov.vn&cto=10"
     "&smtp=mail.tinh.gov.vn&to=a%40b.vn"),
    ("smtp://relay:25?mode=insecure",
     "mailtos://relay:25/?mode=insecure&from=loa%40localhost.localdomain&cto=10&smtp=relay"
     "&to=a%40b.vn"),
])
def test_the_smtp_url_becomes_apprises_with_starttls(smtp: str, says: str) -> None:
    assert mail_url(smtp, "a@b.vn") == says


def test_the_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = '{"subject": "Thiết bị mất kết nối"}'.encode()
    expected = hmac.new(b"k" * 16, body, hashlib.sha256).hexdigest()
    assert signature("k" * 16, body) == f"sha256={expected}"
    assert signature("k" * 16, body + b" ") != signature("k" * 16, body)


def kinds(services: Services) -> list[str]:
    with services.sessions() as s:
        return list(s.scalars(select(NotifyEvent.kind).order_by(NotifyEvent.id)))


@pytest.mark.both_databases
def test_lost_airings_are_told_to_the_operators_once(
    app: Flask, services: Services, office: dict[str, int]
) -> None:
    notify_job(services)
    notify_job(services)
    assert kinds(services).count("airing.lost") == 2  # TN's and TH's, each once
    page = logged_in(app, "xa").get("/").get_data(as_text=True)
    assert "Lượt phát bị lỡ: Đài Thủy Nguyên" in page
    assert "Lượt phát bị lỡ: Đài Thiên Hương" not in page  # the sibling's operator's
    other = logged_in(app, "xakhac").get("/").get_data(as_text=True)
    assert "Lượt phát bị lỡ: Đài Thiên Hương" in other


@pytest.mark.both_databases
def test_a_month_at_risk_is_told_at_most_once_a_day(
    app: Flask, services: Services, office: dict[str, int], clock: FrozenClock
) -> None:
    risk_job(services)
    first = kinds(services).count("month.at_risk")
    assert first >= 2  # TH and TN2 have no programme: nothing will air by itself
    clock.advance(hours=1)
    risk_job(services)
    assert kinds(services).count("month.at_risk") == first
    clock.advance(days=1)
    risk_job(services)
    assert kinds(services).count("month.at_risk") == 2 * first
    page = logged_in(app, "tinh").get("/").get_data(as_text=True)
    assert "Có nguy cơ không đạt: Đài Thiên Hương tháng 12/2026" in page


def test_the_alert_settings_refuse_bad_input_and_forms_without_a_token(
    app: Flask, office: dict[str, int]
) -> None:
    browser = logged_in(app, "xa")
    token = csrf(browser.get("/account/alerts").data)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"email": "khong-phai-email"}, "Địa chỉ thư điện tử không hợp lệ"),
        ({"channel": "email"}, "Cần nhập địa chỉ thư điện tử"),
        ({"quiet_from": "22:00"}, "Giờ yên tĩnh cần cả giờ bắt đầu và giờ kết thúc"),
        ({"quiet_from": "25:00", "quiet_until": "06:00"}, "phải có dạng GG:PP"),
        ({"channel": "zalo"}, "Kênh không hợp lệ"),
    ]
    for data, says in cases:
        answer = browser.post("/account/alerts", data={"csrf_token": token, **data})
        assert answer.status_code == 400 and says in answer.get_data(as_text=True), data
    assert browser.post("/account/alerts", data={"email": "a@b.vn"}).status_code == 400
    ok = browser.post("/account/alerts", data={"csrf_token": token, "email": "xa@b.vn",
                                               "channel": "email"}, follow_redirects=True)
    assert "Đã lưu cách nhận cảnh báo" in ok.get_data(as_text=True)
    assert 'value="xa@b.vn"' in ok.get_data(as_text=True)


@pytest.mark.both_databases
def test_the_notify_tables_go_up_and_down(empty_database_url: str) -> None:
    from alembic import command

    from loa import migrate

    notify_tables = {"notify_profile", "notify_event", "notify_delivery"}
    migrate.upgrade(empty_database_url)
    assert notify_tables <= tables(empty_database_url)
    command.downgrade(migrate.alembic_config(empty_database_url), "0008_report")
    assert not notify_tables & tables(empty_database_url)
    migrate.upgrade(empty_database_url)
    assert notify_tables <= tables(empty_database_url)


def test_the_review_tells_the_leader_and_the_author_in_their_inbox(
    app: Flask, services: Services, office: dict[str, int]
) -> None:
    leader = logged_in(app, "lanhdao")
    token = csrf(leader.get(f"/programmes/{office['waiting']}").data)
    answer = leader.post(f"/programmes/{office['waiting']}/approve",
                         data={"csrf_token": token}, follow_redirects=True)
    assert "Đã duyệt chương trình" in answer.get_data(as_text=True)
    page = logged_in(app, "xa").get("/").get_data(as_text=True)
    assert "Chương trình đã được duyệt: Chờ duyệt" in page
    assert f'href="/programmes/{office["waiting"]}"' in page
    assert "Chương trình đã được duyệt" not in logged_in(app, "xakhac").get("/").get_data(
        as_text=True)


@pytest.mark.parametrize("env,says", [
    ({"LOA_WEBHOOK_URL": "https://cau-noi.tinh.gov.vn/loa"}, "LOA_WEBHOOK_SECRET cần ít nhất 16"),
    ({"LOA_WEBHOOK_URL": "https://cau-noi.tinh.gov.vn/loa", "LOA_WEBHOOK_SECRET": "ngan"},
     "LOA_WEBHOOK_SECRET cần ít nhất 16"),
    ({"LOA_OFFLINE_ALERT_MINUTES": "0"}, "LOA_OFFLINE_ALERT_MINUTES phải từ 1 trở lên"),
])
def test_alert_settings_are_refused_in_words(tmp_path: Any, env: dict[str, str],
                                             says: str) -> None:
    from loa.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match=says):
        load_settings({"LOA_HOME": str(tmp_path), **env})
    ready = load_settings({"LOA_HOME": str(tmp_path), "LOA_WEBHOOK_URL": "https://x.vn/loa",
                           "LOA_WEBHOOK_SECRET": "a" * 16, "LOA_PUBLIC_URL": "https://loa.vn/"})
    assert ready.webhook_secret == "a" * 16 and ready.public_url == "https://loa.vn"
    assert ready.offline_alert_minutes == 30


def test_an_approval_on_the_command_line_reaches_the_author_too(
    app: Flask, loa: Any, office: dict[str, int]
) -> None:
    loa("programme", "approve", str(office["waiting"]), "--by", "lanhdao")
    page = logged_in(app, "xa").get("/").get_data(as_text=True)
    assert "Chương trình đã được duyệt: Chờ duyệt" in page


def test_a_submission_reaches_the_nearest_leaders_only(
    app: Flask, services: Services, office: dict[str, int]
) -> None:
    from loa.db import transaction
    from loa.playlists.models import ProgrammeStatus
    from loa.web.users import add_user
    from tests.helpers.notify import programme
    from tests.helpers.web import PASSWORD

    with transaction(services.sessions) as s:
        add_user(s, "lanhdaotinh", PASSWORD, "leader", "31")
        ours = programme(s, "11560", "2027-05", "Tháng năm phường", ProgrammeStatus.rendered,
                         duration_ms=700_000).id
        theirs = programme(s, "11557", "2027-05", "Tháng năm xã bên", ProgrammeStatus.rendered,
                           duration_ms=700_000, created_by="xakhac").id
    for username, target in (("xa", ours), ("xakhac", theirs)):
        browser = logged_in(app, username)
        token = csrf(browser.get(f"/programmes/{target}").data)
        assert browser.post(f"/programmes/{target}/submit",
                            data={"csrf_token": token}).status_code == 302
    ward = logged_in(app, "lanhdao").get("/").get_data(as_text=True)
    province = logged_in(app, "lanhdaotinh").get("/").get_data(as_text=True)
    # The ward has its own leader; the other ward has none, so the province's answers.
    assert "Chương trình chờ duyệt: Tháng năm phường" in ward
    assert "Chương trình chờ duyệt: Tháng năm phường" not in province
    assert "Chương trình chờ duyệt: Tháng năm xã bên" in province
    assert "Tháng năm xã bên" not in ward
