"""Login and session security: limits, redirects, logout, cookies, headers, usernames."""

from __future__ import annotations

import dataclasses
import re
import threading
from typing import Any

import pytest

import loa.web.users
import tests.helpers.web
from loa.app import create_app
from loa.clock import FrozenClock
from loa.db import transaction
from loa.errors import LoaError
from loa.services import Services
from loa.settings import SettingsError, load_settings
from loa.web.throttle import PER_ADDRESS, PER_USERNAME
from loa.web.users import add_user
from tests.helpers.accounts import logged_in, post_once
from tests.helpers.web import PASSWORD, csrf, login

tree = tests.helpers.web.tree  # a shared fixture

pytestmark = pytest.mark.usefixtures("tree")


def post_login(client: Any, username: str, password: str, next_: str = "") -> Any:
    token = csrf(client.get("/login").data)
    return client.post(
        f"/login{next_}", data={"username": username, "password": password, "csrf_token": token}
    )


def test_wrong_passwords_lock_the_name_even_for_the_right_one(
    client: Any, clock: FrozenClock
) -> None:
    for _ in range(PER_USERNAME):
        assert post_login(client, "xa", "sai-mat-khau").status_code == 200
    refused = post_login(client, "xa", PASSWORD)
    assert refused.status_code == 429 and "thử lại sau 15 phút" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "900"
    assert post_login(client, "XA ", PASSWORD).status_code == 429  # the same name, however typed
    assert post_login(client, "tinh", PASSWORD).status_code == 302  # other names are not locked
    clock.advance(minutes=16)
    assert post_login(client, "xa", PASSWORD).status_code == 302


def test_one_address_trying_many_names_is_stopped(app: Any) -> None:
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for n in range(PER_ADDRESS):
        assert post_login(attacker, f"ten-{n}", "sai-mat-khau").status_code == 200
    assert post_login(attacker, "xa", PASSWORD).status_code == 429
    office = app.test_client()
    office.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert post_login(office, "xa", PASSWORD).status_code == 302


def test_a_success_clears_the_count(client: Any) -> None:
    for _ in range(PER_USERNAME - 1):
        post_login(client, "xa", "sai-mat-khau")
    assert post_login(client, "xa", PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client.get("/").data)})
    for _ in range(PER_USERNAME - 1):
        post_login(client, "xa", "sai-mat-khau")
    assert post_login(client, "xa", PASSWORD).status_code == 302


def test_guesses_at_once_get_no_more_checks_than_the_limit(services: Services) -> None:
    """Twenty guesses posted together: the count is in the database, shared by every thread."""
    app = create_app(services, {"TESTING": True, "SECRET_KEY": "k", "WTF_CSRF_ENABLED": False})
    checked: list[int] = []
    start = threading.Barrier(20)

    def guess() -> None:
        client = app.test_client()
        start.wait(timeout=30)
        answer = client.post("/login", data={"username": "xa", "password": "sai-mat-khau"})
        checked.append(answer.status_code)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(checked) == 20 and set(checked) <= {200, 429}
    assert checked.count(200) <= PER_USERNAME  # at most the limit reached a password check
    right = app.test_client().post("/login", data={"username": "xa", "password": PASSWORD})
    assert right.status_code == 429


@pytest.mark.parametrize(
    "next_",
    ["/%09/evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
     "https://evil.example/", "/%0d%0a/evil.example", "/%5Cevil.example", "javascript:alert(1)",
     "/%2F%2Fevil.example", "evil.example"],
)
def test_login_never_sends_the_user_off_site(client: Any, next_: str) -> None:
    answer = post_login(client, "xa", PASSWORD, f"?next={next_}")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"  # the overview


def test_login_returns_to_the_page_asked_for(client: Any) -> None:
    answer = client.get("/stations")
    assert answer.status_code == 302 and "next=/stations" in answer.headers["Location"]
    assert post_login(client, "xa", PASSWORD, "?next=/stations").headers["Location"] == "/stations"


def test_a_copied_session_cookie_dies_at_logout(app: Any, client: Any) -> None:
    page = login(client, "xa").data
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    client.post("/logout", data={"csrf_token": csrf(page)})
    assert thief.get("/").status_code == 302  # ... and not after logout
    assert "/login" in thief.get("/stations").headers["Location"]
    login(client, "xa")  # logging in again works, with a new cookie
    assert client.get("/").status_code == 200


def test_unknown_names_cost_a_password_check_too(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Equal time: an unknown name is checked against a dummy hash, as a known one is."""
    checks: list[str] = []
    real = loa.web.users.check_password_hash

    def counting(stored: str, password: str) -> bool:
        checks.append(stored)
        return real(stored, password)

    monkeypatch.setattr(loa.web.users, "check_password_hash", counting)
    post_login(client, "khong-co-ai", "sai-mat-khau")
    post_login(client, "xa", "sai-mat-khau")
    assert len(checks) == 2 and checks[0].split("$")[0] == checks[1].split("$")[0]  # same method


def test_passwords_are_stored_as_scrypt_hashes_as_shipped(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite hashes cheaply (conftest); the shipped method is scrypt, memory-hard, with
    a salt of its own for every user."""
    monkeypatch.setattr(loa.web.users, "PASSWORD_METHOD", "scrypt")
    with transaction(services.sessions) as s:
        one = add_user(s, "mot", "mat-khau-rieng-2026", "operator", "11560").password_hash
        two = add_user(s, "hai", "mat-khau-rieng-2026", "operator", "11560").password_hash
        assert one.startswith("scrypt:") and one != two and "mat-khau" not in one
        assert loa.web.users.check_login(s, "mot", "mat-khau-rieng-2026") is not None


def test_usernames_are_trimmed_and_case_insensitive(client: Any, services: Services) -> None:
    with transaction(services.sessions) as s:
        assert add_user(s, "  CanBo.Xa ", PASSWORD, "operator", "11560").username == "canbo.xa"
        with pytest.raises(LoaError, match="đã tồn tại"):
            add_user(s, "CANBO.XA", PASSWORD, "operator", "11560")
        with pytest.raises(LoaError, match="không có dấu cách"):
            add_user(s, "can bo", PASSWORD, "operator", "11560")
    assert post_login(client, " CANBO.xa  ", PASSWORD).status_code == 302


def test_security_headers_on_every_answer(client: Any) -> None:
    login(client, "xa")
    for path in ("/", "/login", "/acronyms", "/no-such-page", "/api/v1/player/schedule"):
        answer = client.get(path)
        assert answer.headers["X-Frame-Options"] == "DENY", path
        policy = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert re.search(r"script-src 'self' 'nonce-[\w-]{16,}';", policy)
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_inline_scripts_carry_the_nonce_of_their_answer(app: Any, services: Services) -> None:
    """Every <script> on a page is a file of this site or carries the header's nonce. The
    new token's page holds the one inline script (its copy button), so it is read too."""
    with transaction(services.sessions) as s:
        add_user(s, "quantri", PASSWORD, "admin", "31")
    admin = logged_in(app, "quantri")
    made = post_once(admin, "/admin/stations/TN/players", name="Cụm loa chợ", mode="prefetch")
    inline = 0
    for answer in (admin.get("/"), admin.get(made.headers["Location"])):
        nonce = re.search(r"'nonce-([\w-]+)'", answer.headers["Content-Security-Policy"]).group(1)
        page = answer.get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", page):
            if 'src="/static/' not in tag:
                inline += 1
                assert f'nonce="{nonce}"' in tag, tag
        assert not re.search(r"\son[a-z]+=", page)  # no inline handlers: the policy refuses them
    assert inline >= 1, "the token page's inline script was not seen"


def test_secure_cookies_when_served_over_https(services: Services) -> None:
    assert load_settings({"LOA_SECURE_COOKIES": "1"}).secure_cookies
    assert not load_settings({}).secure_cookies
    with pytest.raises(SettingsError, match="LOA_SECURE_COOKIES"):
        load_settings({"LOA_SECURE_COOKIES": "maybe"})
    for secure in (False, True):
        settings = dataclasses.replace(services.settings, secure_cookies=secure)
        app = create_app(dataclasses.replace(services, settings=settings), {"TESTING": True})
        client = app.test_client()
        answer = post_login(client, "xa", PASSWORD)
        cookie = " ".join(answer.headers.getlist("Set-Cookie"))
        assert "session=" in cookie and "HttpOnly" in cookie
        assert ("; Secure" in cookie) is secure
