"""Values past what a date or a database column holds get a 4xx or "Lỗi: …", never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from loa.db import transaction
from loa.playlists.models import Campaign
from loa.services import Services
from loa.stations.models import Station
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.factories import hai_phong_month, two_wards
from tests.helpers.web import csrf, login

PASSWORD = "mat-khau-dai-2026"
BAD_MONTHS = ["9999-12", "0000-01", "2026-13", "26-01", "0001-01"]


@pytest.fixture
def month(services: Services) -> None:
    """Hải Phòng's two wards with players, campaign CDS, an approved December programme."""
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        add_user(s, "tinh", PASSWORD, "auditor", "31")


@pytest.mark.usefixtures("month")
@pytest.mark.parametrize("bad", BAD_MONTHS)
def test_plan_and_report_for_a_month_no_calendar_holds_say_so(loa: Loa, bad: str) -> None:
    for command in (["plan", "--month", bad], ["audit", "report", "--unit", "31", "--month", bad]):
        out = loa(*command, ok=False)
        assert "Lỗi: Tháng không hợp lệ" in out and "invalid month" in out, out
    assert "TN" in loa("plan", "--month", "2026-12")  # the real month still plans


@pytest.mark.usefixtures("month")
@pytest.mark.parametrize("period", ["9999", "0000-H1", "9999-12"])
def test_a_report_period_no_calendar_holds_says_so(loa: Loa, client: Any, period: str) -> None:
    out = loa("audit", "report", "--unit", "31", "--period", period, ok=False)
    assert "Lỗi: Tháng không hợp lệ" in out, out
    login(client, "tinh")
    assert client.get(f"/audit.xlsx?period={period}").status_code == 400


@pytest.mark.both_databases
@pytest.mark.usefixtures("month")
def test_pages_answer_404_for_ids_and_months_out_of_range(client: Any) -> None:
    login(client, "tinh")
    for path in ("/programmes/2147483648", "/programmes/99999999999999999999",
                 "/programmes/0", "/programmes/2147483648/audio",
                 "/audit/TN/0000-01?campaign=CDS", "/audit/TN/9999-12?campaign=CDS"):
        assert client.get(path).status_code == 404, path
    assert client.get("/?month=9999-12").status_code == 400
    # PostgreSQL text cannot hold a NUL: refused before any query is made.
    for path in ("/audit/T%00N/2026-12?campaign=CDS", "/audit/TN/2026-12?campaign=C%00DS"):
        assert client.get(path).status_code == 400, path
    assert client.get("/audit/TN/2026-12?campaign=CDS").status_code == 200


@pytest.mark.both_databases
@pytest.mark.usefixtures("month")
@pytest.mark.parametrize(
    "option",
    [("--min-airings", "99999999999"), ("--max-minutes", "inf"), ("--min-minutes", "nan"),
     ("--first-month", "9999-12")],
)
def test_campaign_numbers_past_their_column_say_so(
    loa: Loa, services: Services, option: tuple[str, str]
) -> None:
    out = loa("campaign", "add", "NEW", "--title", "Mới", "--unit", "31", *option, ok=False)
    assert out.startswith("Lỗi: "), out
    with services.sessions() as s:
        assert s.scalar(select(Campaign).where(Campaign.code == "NEW")) is None


@pytest.mark.usefixtures("month")
@pytest.mark.parametrize(
    "command",
    [["programme", "approve", "2147483648"], ["programme", "render", "99999999999999999999"],
     ["player", "rotate-token", "2147483648"], ["player", "revoke", "0"],
     ["player", "revoke", "abc"]],
)
def test_ids_no_row_can_have_are_refused_by_the_cli(loa: Loa, command: list[str]) -> None:
    out = loa(*command, ok=False)
    assert "không phải mã số hợp lệ" in out and "not a valid id" in out, out


@pytest.fixture
def admin(services: Services) -> None:
    with transaction(services.sessions) as s:
        two_wards(s)
        add_user(s, "quantri", PASSWORD, "admin", "31")


@pytest.mark.both_databases
@pytest.mark.usefixtures("admin")
def test_a_value_longer_than_its_column_is_a_400_not_a_500(client: Any, services: Services) -> None:
    """SQLite keeps any length; PostgreSQL refuses, and that must not become a 500."""
    login(client, "quantri")
    token = csrf(client.get("/admin/").data)
    answer = client.post("/admin/stations", data={
        "csrf_token": token, "code": "X" * 100, "unit": "11560", "name": "Đài dài",
        "windows": "05:00-06:00"})
    with services.sessions() as s:
        named = select(func.count()).select_from(Station).where(Station.name == "Đài dài")
        stored = s.scalar(named)
    postgres = not services.settings.database_url.startswith("sqlite")
    assert (answer.status_code, stored) == ((400, 0) if postgres else (302, 1))
