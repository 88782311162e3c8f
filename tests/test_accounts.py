"""Users a province can manage (issue 15 §7): passwords, disable, enable, remove, log out."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from loa.db import transaction
from loa.services import Services
from loa.stations.accounts import User
from tests.conftest import Loa
from tests.helpers.accounts import (
    admins,  # noqa: F401  (the fixture, bound by name)
    is_logged_out,
    logged_in,
)
from tests.helpers.admin import post
from tests.helpers.web import PASSWORD, csrf, login

NEW = "mot-mat-khau-moi-dai"
TEMPORARY = "tam-thoi-2026-12"


def user_id(services: Services, username: str) -> int:
    with transaction(services.sessions) as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def change_password(browser: Any, current: str, new: str, again: str | None = None) -> Any:
    token = csrf(browser.get("/account/password").data)
    form = {"csrf_token": token, "current": current, "new": new, "again": again or new}
    return browser.post("/account/password", data=form, follow_redirects=True)


def admin_act(admin: Any, services: Services, username: str, action: str, **form: str) -> Any:
    return post(admin, f"/admin/users/{user_id(services, username)}/{action}", **form)


@pytest.mark.usefixtures("admins")
def test_a_user_changes_their_password_with_the_current_one(app: Flask) -> None:
    other_phone = logged_in(app, "canbo")
    browser = logged_in(app, "canbo")
    said = change_password(browser, "sai-mat-khau-cu", NEW).get_data(as_text=True)
    assert "Mật khẩu hiện tại không đúng" in said and "current password is wrong" not in said
    assert "cần ít nhất 10 ký tự" in change_password(browser, PASSWORD, "ngan-9-kt").get_data(
        as_text=True)
    for common in ("Password123", "matkhau2026", "1234567890"):
        said = change_password(browser, PASSWORD, common).get_data(as_text=True)
        assert "Mật khẩu quá phổ biến" in said, common
    said = change_password(browser, PASSWORD, NEW, "khac-" + NEW).get_data(as_text=True)
    assert "không khớp" in said
    said = change_password(browser, PASSWORD, NEW).get_data(as_text=True)
    assert "Đã đổi mật khẩu" in said
    assert not is_logged_out(browser)  # this session goes on
    assert is_logged_out(other_phone)  # the others end
    assert "Sai tên đăng nhập" in login(app.test_client(), "canbo").get_data(as_text=True)
    logged_in(app, "canbo", NEW)


@pytest.mark.usefixtures("admins")
def test_guessing_the_current_password_meets_the_login_limits(app: Flask) -> None:
    """A stolen session cannot try passwords here faster than at the login page."""
    browser = logged_in(app, "canbo")
    for n in range(6):  # as many as the login page takes for one name
        assert change_password(browser, f"doan-sai-{n:04d}", NEW).status_code == 400
    refused = change_password(browser, PASSWORD, NEW)  # even the right one, for a while
    assert refused.status_code == 429 and "thử lại sau 15 phút" in refused.get_data(as_text=True)
    # One count with the login page: guessing here is guessing there.
    assert "Đăng nhập sai quá nhiều lần" in login(app.test_client(), "canbo").get_data(
        as_text=True)


@pytest.mark.usefixtures("admins")
def test_a_temporary_password_must_be_changed_at_the_next_login(
    app: Flask, services: Services
) -> None:
    before = logged_in(app, "canbo")
    admin = logged_in(app, "quantrixa")
    said = admin_act(admin, services, "canbo", "password", password=TEMPORARY)
    assert "Đã đặt mật khẩu tạm cho canbo" in said.get_data(as_text=True)
    assert is_logged_out(before)  # whoever had the old password is out
    browser = app.test_client()
    page = login(browser, "canbo", TEMPORARY).get_data(as_text=True)
    assert 'id="must-change"' in page
    for path in ("/", "/programmes", "/stations", "/bulletins"):
        answer = browser.get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == "/account/password"
    assert "Đã đổi mật khẩu" in change_password(browser, TEMPORARY, NEW).get_data(as_text=True)
    assert browser.get("/programmes").status_code == 200
    with transaction(services.sessions) as s:
        assert not s.scalars(select(User.must_change_password).where(User.username == "canbo")
                             ).one()


@pytest.mark.usefixtures("admins")
def test_a_disabled_user_is_out_at_once_and_comes_back_when_enabled(
    app: Flask, services: Services
) -> None:
    browser = logged_in(app, "canbo")
    admin = logged_in(app, "quantrixa")
    page = admin_act(admin, services, "canbo", "disable").get_data(as_text=True)
    assert "Đã khóa canbo" in page and "Đã khóa</td>" in page.replace("\n", "")
    assert is_logged_out(browser)
    said = login(app.test_client(), "canbo").get_data(as_text=True)
    assert "Sai tên đăng nhập hoặc mật khẩu" in said  # the same answer as a wrong password
    assert "Đã mở khóa canbo" in admin_act(admin, services, "canbo", "enable").get_data(
        as_text=True)
    logged_in(app, "canbo")


@pytest.mark.usefixtures("admins")
def test_ending_all_sessions_of_a_user_leaves_the_password(app: Flask, services: Services) -> None:
    phone, desk = logged_in(app, "canbo"), logged_in(app, "canbo")
    admin = logged_in(app, "quantri")
    said = admin_act(admin, services, "canbo", "logout").get_data(as_text=True)
    assert "Đã kết thúc mọi phiên đăng nhập của canbo" in said
    assert is_logged_out(phone) and is_logged_out(desk)
    logged_in(app, "canbo")


@pytest.mark.usefixtures("admins")
def test_a_removed_user_never_returns_and_the_name_stays_taken(
    app: Flask, services: Services, loa: Loa
) -> None:
    admin = logged_in(app, "quantri")
    page = admin_act(admin, services, "canbo", "remove").get_data(as_text=True)
    assert "Đã xóa canbo" in page and 'id="user-canbo"' not in page
    assert "Sai tên đăng nhập" in login(app.test_client(), "canbo").get_data(as_text=True)
    assert admin_act(admin, services, "canbo", "enable").status_code == 404
    said = loa("user", "add", "canbo", "--role", "operator", "--unit", "11560",
               "--password", NEW, ok=False)
    assert "đã tồn tại (username taken)" in said
    assert "đã bị xóa (user was removed)" in loa("user", "enable", "canbo", ok=False)
    assert "canbo\toperator\t11560\tremoved" in loa("user", "list")


@pytest.mark.usefixtures("admins")
def test_an_admin_acts_only_within_their_subtree_and_not_on_themselves(
    app: Flask, services: Services
) -> None:
    ward_admin = logged_in(app, "quantrixa")
    for above in ("quantri", "kiemtra"):  # the province's users
        for action in ("disable", "remove", "logout", "password"):
            answer = admin_act(ward_admin, services, above, action, password=TEMPORARY)
            assert answer.status_code == 404, (above, action)
    said = admin_act(ward_admin, services, "quantrixa", "disable").get_data(as_text=True)
    assert "Không thể làm việc này với chính mình" in said
    operator = logged_in(app, "canbo")
    assert admin_act(operator, services, "canbo", "logout").status_code in (403, 404)
    logged_in(app, "quantri")  # nothing happened to the province's admin


@pytest.mark.usefixtures("admins")
def test_every_account_form_needs_its_csrf_token(app: Flask, services: Services) -> None:
    admin = logged_in(app, "quantri")
    target = user_id(services, "canbo")
    for action in ("disable", "enable", "remove", "logout", "password"):
        answer = admin.post(f"/admin/users/{target}/{action}", data={"password": TEMPORARY})
        assert answer.status_code == 400, action
    answer = admin.post("/account/password", data={"current": PASSWORD, "new": NEW, "again": NEW})
    assert answer.status_code == 400
    logged_in(app, "canbo")  # still the old password, still enabled


@pytest.mark.usefixtures("admins")
def test_the_account_pages_speak_english_too(app: Flask, services: Services) -> None:
    admin = logged_in(app, "quantri")
    admin.get("/lang/en?next=/admin/users")
    page = admin.get("/admin/users").get_data(as_text=True)
    for words in ("Set temporary password", "Disable", "End all sessions", "Remove", "Active"):
        assert words in page, words
    said = change_password(admin, "wrong-password-here", NEW).get_data(as_text=True)
    assert "current password is wrong" in said and "Mật khẩu hiện tại" not in said
    assert "Change password" in said


def test_the_cli_resets_disables_enables_removes_and_logs_out(
    loa: Loa, app: Flask, services: Services
) -> None:
    from tests.helpers.factories import two_wards

    with transaction(services.sessions) as s:
        two_wards(s)
    for weak in ("ngan", "password123", "Qwertyuiop"):
        said = loa("user", "add", "canbo", "--role", "operator", "--unit", "11560",
                   "--password", weak, ok=False)
        assert "Mật khẩu" in said and "(password" in said, weak
    loa("user", "add", "canbo", "--role", "operator", "--unit", "11560", "--password", PASSWORD)
    browser = logged_in(app, "canbo")
    assert "all sessions ended" in loa("user", "logout", "canbo")
    assert is_logged_out(browser)
    assert "temporary password set" in loa("user", "passwd", "canbo", "--password", TEMPORARY)
    assert "canbo\toperator\t11560\tactive\tphải đổi mật khẩu" in loa("user", "list")
    browser = logged_in(app, "canbo", TEMPORARY)
    assert browser.get("/programmes").headers["Location"] == "/account/password"
    assert "disabled" in loa("user", "disable", "canbo")
    assert is_logged_out(browser)
    loa("user", "enable", "canbo")
    logged_in(app, "canbo", TEMPORARY)
    assert "(no such user)" in loa("user", "disable", "khong-co", ok=False)
    assert "password too short" in loa("user", "passwd", "canbo", "--password", "ngan", ok=False)
