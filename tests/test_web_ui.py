"""The operator and auditor pages: login, CSRF, expiry, and each user's own subtree only."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook

import tests.helpers.web
from loa.canonical import canonical_json
from loa.db import transaction
from loa.services import Services
from loa.stations.players import add_player
from tests.helpers.web import PASSWORD, csrf, login

tree = tests.helpers.web.tree  # a shared fixture


@pytest.mark.usefixtures("tree")
def test_pages_need_login(client: Any) -> None:
    answer = client.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


@pytest.mark.usefixtures("tree")
def test_wrong_password_says_so_in_vietnamese(client: Any) -> None:
    page = login(client, "tinh", "sai-mat-khau").get_data(as_text=True)
    assert "Sai tên đăng nhập hoặc mật khẩu" in page


@pytest.mark.usefixtures("tree")
def test_login_without_csrf_token_is_refused(client: Any) -> None:
    answer = client.post("/login", data={"username": "tinh", "password": PASSWORD})
    assert answer.status_code == 400


@pytest.mark.usefixtures("tree")
def test_province_auditor_sees_every_station(client: Any) -> None:
    page = login(client, "tinh").get_data(as_text=True)
    assert "Đài Thủy Nguyên" in page and "Đài Thiên Hương" in page
    assert "Tình hình phát sóng tháng 12/2026" in page


@pytest.mark.usefixtures("tree")
def test_commune_operator_sees_only_its_own_station(client: Any) -> None:
    login(client, "xa")
    for path in ("/", "/stations"):
        page = client.get(path).get_data(as_text=True)
        assert "Đài Thủy Nguyên" in page and "Đài Thiên Hương" not in page
    csv_text = client.get("/audit.csv?month=2026-12").get_data(as_text=True)
    assert "TN" in csv_text and "TH," not in csv_text


@pytest.mark.usefixtures("tree")
def test_session_expires(app: Any, client: Any) -> None:
    app.permanent_session_lifetime = timedelta(seconds=-1)  # already past
    login(client, "tinh")
    assert client.get("/").status_code == 302


@pytest.mark.usefixtures("tree")
def test_logout_needs_csrf_and_ends_the_session(client: Any) -> None:
    page = login(client, "tinh").data
    assert client.post("/logout").status_code == 400
    client.post("/logout", data={"csrf_token": csrf(page)})
    assert client.get("/").status_code == 302


@pytest.mark.usefixtures("tree")
def test_annual_report_workbook_holds_only_the_users_stations(client: Any) -> None:
    login(client, "xa")
    answer = client.get("/audit.xlsx?period=2026")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data))
    header, *rows = book["Chi tiết"].iter_rows(values_only=True)
    verdicts = {(row[0], row[4]): row[header.index("Kết quả")] for row in rows}
    assert {station for station, _ in verdicts} == {"TN"}
    assert len(rows) == 12  # one row per month of the year
    # The campaign has no programme yet (so no known start: every month is listed);
    # December has just begun, so it is not judged yet.
    assert {verdicts[("TN", f"2026-{m:02}")] for m in range(1, 12)} == {"Chưa có chương trình"}
    assert verdicts[("TN", "2026-12")] == "Đang thực hiện"
    sheet = list(book["Tổng hợp"].iter_rows(min_row=3, values_only=True))
    assert sheet[0] == ("TN", "Đài Thủy Nguyên", "CDS", 0, 11)  # the totals follow below
    assert sheet[1] == (None,) * 5
    assert client.get("/audit.xlsx?period=2026-H3").status_code == 400


@pytest.mark.usefixtures("tree")
def test_stations_page_shows_player_health_and_a_clock_that_is_off(
    client: Any, services: Services
) -> None:
    with transaction(services.sessions) as s:
        _, token = add_player(s, "TN", "Cụm loa chợ")
    key = Ed25519PrivateKey.generate()
    auth = {"Authorization": f"Bearer {token}"}
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    assert client.post("/api/v1/player/enroll", json={"public_key": public},
                       headers=auth).status_code in (200, 201)
    heartbeat = {
        "id": str(uuid.uuid4()), "type": "heartbeat", "airing_id": None,
        "at": (services.clock.now() + timedelta(seconds=300)).isoformat(),
        "sha256": None, "played_ms": None,
        "detail": {"state": "idle", "version": "0.1.0", "outbox": 4, "disk_free_mb": 812},
    }
    signed = {**heartbeat, "sig": base64.b64encode(key.sign(canonical_json(heartbeat).encode()))
              .decode()}
    answer = client.post("/api/v1/player/events", json={"events": [signed]}, headers=auth)
    assert answer.status_code == 200 and answer.get_json()["warnings"]
    login(client, "xa")
    page = client.get("/stations").get_data(as_text=True)
    assert "Cụm loa chợ" in page and "+300 giây" in page and "lệch giờ" in page
    assert "812 MB" in page and "mất liên lạc" not in page
