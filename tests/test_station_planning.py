"""A new station is planned at once, a server plans before it serves, and a station with
nothing planned reads "có nguy cơ" (issue 15 §8)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from loa.clock import VN, FrozenClock
from loa.db import transaction
from loa.services import Services
from loa.stations.service import add_station
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.accounts import airings_of, logged_in, outlook_of, post_once
from tests.helpers.factories import approved_programme, hai_phong_month
from tests.helpers.servers import free_port
from tests.helpers.web import PASSWORD

LOA = Path(sys.executable).parent / "loa"


@pytest.fixture
def month(services: Services) -> dict[str, tuple[int, str]]:
    """Hải Phòng's approved December (nothing planned yet); an admin of the province."""
    with transaction(services.sessions) as s:
        found = hai_phong_month(services, s)
        add_user(s, "quantri", PASSWORD, "admin", "31")
    return found.players


def months_of(services: Services, code: str) -> dict[str, int]:
    counted: dict[str, int] = {}
    for airing in airings_of(services, code):
        key = airing.starts_at.astimezone(VN).strftime("%Y-%m")
        counted[key] = counted.get(key, 0) + 1
    return counted


@pytest.mark.both_databases  # the import inserts its stations in bulk, RETURNING their ids
@pytest.mark.usefixtures("month")
def test_a_station_added_on_the_web_is_planned_at_once(app: Flask, services: Services) -> None:
    admin = logged_in(app, "quantri")
    answer = post_once(admin, "/admin/stations", code="TN5", unit="11560", name="Đài 5",
                       windows="T2-CN 05:00-06:00")
    assert answer.status_code == 302
    assert months_of(services, "TN5") == {"2026-12": 3}
    assert outlook_of(admin, "TN5") == "on_track"
    csv = "code,unit,name,windows\nTH6,11557,Đài 6,T2-CN 17:00-18:00\n"
    post_once(admin, "/admin/stations/import", file=(io.BytesIO(csv.encode()), "s.csv"))
    assert months_of(services, "TH6") == {"2026-12": 3}


@pytest.mark.both_databases
@pytest.mark.usefixtures("month")
def test_from_the_20th_the_cli_plans_next_month_too(
    services: Services, clock: FrozenClock, env: dict[str, str], tmp_path: Path
) -> None:
    with transaction(services.sessions) as s:
        approved_programme(s, "31", "2027-01", 720_000, clock.now())
    loa = Loa({**env, "LOA_NOW": datetime(2026, 12, 21, 8, 0, tzinfo=VN).isoformat()})
    said = loa("station", "add", "TN7", "--unit", "11560", "--name", "Đài 7",
               "--windows", "T2-CN 17:00-18:00")
    assert "(planned 6 airings)" in said
    assert months_of(services, "TN7") == {"2026-12": 3, "2027-01": 3}
    stations = tmp_path / "stations.csv"
    stations.write_text("code,unit,name,windows\nTH8,11557,Đài 8,T2-CN 17:00-18:00\n")
    assert "6 airings" in loa("station", "import", str(stations))
    assert months_of(services, "TH8") == {"2026-12": 3, "2027-01": 3}


def test_a_station_with_nothing_planned_reads_at_risk(
    services: Services, app: Flask
) -> None:
    """One added before this rule, or while no programme was approved: room, no plan."""
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        add_station(s, "TN9", "11560", "Đài 9", "T2-CN 05:00-06:00")  # the domain: no plan
        add_user(s, "quantri", PASSWORD, "admin", "31")
    assert outlook_of(logged_in(app, "quantri"), "TN9") == "at_risk"


def _first_schedule(url: str, token: str, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    """The first answer the starting server gives the player, whatever it is."""
    request = urllib.request.Request(f"{url}/api/v1/player/schedule",
                                     headers={"Authorization": f"Bearer {token}"})
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.load(answer)
        except (urllib.error.URLError, ConnectionError):
            assert process.poll() is None and time.monotonic() < deadline, "server never came"
            time.sleep(0.1)


@pytest.mark.parametrize("command", ["serve", "web"])
def test_a_server_starting_on_the_1st_plans_before_it_serves_a_player(
    services: Services, env: dict[str, str], month: dict[str, tuple[int, str]],
    command: str, tmp_path: Path,
) -> None:
    """Down over midnight of the 1st: the nightly job never ran, December is unplanned."""
    port = free_port()
    argv = ([str(LOA), "serve", "--port", str(port)] if command == "serve" else
            [str(LOA), "web", "--workers", "1", "--bind", f"127.0.0.1:{port}"])
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        first = _first_schedule(f"http://127.0.0.1:{port}", month["TN"][1], process)
    finally:
        process.terminate()
        process.wait(60)
    assert len(first["airings"]) == 3, (tmp_path / "server.log").read_text()
    with transaction(services.sessions) as s:
        from loa.playlists.models import Airing

        assert len(s.scalars(select(Airing)).all()) == 6  # TN and TH
