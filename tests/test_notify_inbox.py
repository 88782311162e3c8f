"""The to-do inbox through HTTP: each role's dashboard starts with what needs them, in their
unit's subtree only, each item a link; the header counts them on every page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.helpers import notify
from tests.helpers.accounts import logged_in
from tests.helpers.notify import todo_section

pytestmark = pytest.mark.both_databases
office = notify.office  # the fixture, bound by name


def dashboard(app: Flask, username: str) -> tuple[Any, str]:
    browser = logged_in(app, username)
    return browser, todo_section(browser.get("/").get_data(as_text=True))


def items(section: str) -> list[str]:
    return re.findall(r'<li class="todo-[^"]+">\s*<a href="([^"]+)">', section)


def badge(page: str) -> int:
    found = re.search(r'id="todo-badge"[^>]*>[^<]*<span class="count">(\d+)</span>', page)
    assert found, "no to-do badge in the header"
    return int(found.group(1))


def test_a_leader_sees_what_waits_for_approval_in_the_ward_only(
    app: Flask, office: dict[str, int]
) -> None:
    browser, section = dashboard(app, "lanhdao")
    assert items(section) == [f"/programmes/{office['waiting']}",
                              f"/bulletins/{office['bulletin']}"]
    assert "Chương trình chờ duyệt</strong>: Chờ duyệt" in section
    assert "Thông báo chờ duyệt</strong>: Lịch tiêm phòng" in section
    assert "gửi bởi xa" in section
    assert f"/programmes/{office['waitingkhac']}" not in section  # the sibling ward's
    assert badge(browser.get("/programmes").get_data(as_text=True)) == 2


def test_an_operator_sees_sent_back_with_the_comment_failed_renders_and_lost_airings(
    app: Flask, office: dict[str, int]
) -> None:
    browser, section = dashboard(app, "xa")
    assert items(section) == [f"/programmes/{office['back']}",
                              f"/programmes/{office['broken']}",
                              "/stations/TN?month=2026-12"]
    assert "Lý do: Thiếu phần mở đầu" in section
    assert "Lỗi đọc văn bản" in section and "Bỏ lỡ" in section
    assert "Đài Thiên Hương" not in section and "khac" not in section
    assert badge(browser.get("/stations").get_data(as_text=True)) == 3


def test_an_admin_sees_players_offline_stations_without_one_and_unused_tokens(
    app: Flask, office: dict[str, int]
) -> None:
    _, section = dashboard(app, "quantri")
    assert "Thiết bị mất kết nối</strong>: Cụm loa chợ · Đài Thủy Nguyên" in section
    assert "Mã thiết bị chưa dùng</strong>: Cụm loa mới · Đài Thủy Nguyên" in section
    assert "Đài chưa có thiết bị</strong>: Đài Thủy Nguyên 2" in section
    assert "Thiên Hương" not in section  # TH has no player either, but is not theirs
    assert items(section) == ["/stations/TN", "/stations/TN", "/stations/TN2"]


def test_an_auditor_sees_the_months_at_risk_of_the_province(
    app: Flask, office: dict[str, int]
) -> None:
    _, section = dashboard(app, "tinh")
    # No airing will happen by itself at TN2 and TH: no approved programme covers them.
    links = items(section)
    assert "/audit/TH/2026-12?campaign=CDS" in links and "/audit/TN2/2026-12?campaign=CDS" in links
    assert "Có nguy cơ không đạt" in section


def test_nothing_to_do_reads_so(app: Flask, office: dict[str, int]) -> None:
    _, section = dashboard(app, "xakhac")  # operator of the sibling ward…
    assert "Không có việc nào" not in section  # …has its own sent-back programme
    browser = logged_in(app, "xakhac")
    for target in (office["backkhac"], office["brokenkhac"]):
        assert f"/programmes/{target}" in todo_section(browser.get("/").get_data(as_text=True))


def test_an_empty_inbox_says_so_in_both_languages(app: Flask, services: Any) -> None:
    from loa.db import transaction
    from loa.web.users import add_user
    from tests.helpers.factories import two_wards
    from tests.helpers.web import PASSWORD

    with transaction(services.sessions) as s:
        two_wards(s)
        add_user(s, "lanhdao", PASSWORD, "leader", "11560")
    browser, section = dashboard(app, "lanhdao")
    assert "Không có việc nào" in section and not items(section)
    browser.get("/lang/en?next=/")
    english = todo_section(browser.get("/").get_data(as_text=True))
    assert "Nothing to do" in english and "To do" in english


def test_a_long_inbox_shows_twelve_and_folds_the_rest(
    app: Flask, services: Any, office: dict[str, int]
) -> None:
    from loa.db import transaction
    from loa.stations.service import add_station

    with transaction(services.sessions) as s:
        for n in range(12):
            add_station(s, f"TN-{n:02d}", "11560", f"Cụm {n:02d}")
    _, section = dashboard(app, "quantri")
    shown, folded = section.split('<details class="todo-more">')
    assert len(items(shown)) == 12 and len(items(folded)) == 3  # 15 in all
    assert "Xem thêm 3 việc" in folded
