"""Two `loa plan` processes at once never double a station's airings (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.playlists.models import Airing, AiringStatus
from loa.services import Services
from loa.stations.models import Station
from loa.stations.service import add_station
from loa.stations.units import add_unit
from tests.helpers.factories import approved_programme

pytestmark = pytest.mark.both_databases  # the database is the point here

LOA = str(Path(sys.executable).parent / "loa")
STATIONS = 20  # enough work that two planners' transactions overlap
ROUNDS = 3


def seed(services: Services) -> None:
    """A province whose 20 communes each have a station, one campaign, its approved programme."""
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Thành phố Hải Phòng", "province")
        for n in range(STATIONS):
            add_unit(s, f"9{n:03d}", f"Xã {n}", "commune", "31")
            add_station(s, f"X{n:02d}", f"9{n:03d}", f"Đài xã {n}")
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31")
        approved_programme(s, "31", "2026-12", 720_000, services.clock.now())


def test_two_plans_at_once_never_double_the_airings(
    services: Services, env: dict[str, str]
) -> None:
    seed(services)
    for _ in range(ROUNDS):
        with transaction(services.sessions) as s:
            s.execute(delete(Airing))  # an unplanned month again
        planners = [
            subprocess.Popen(
                [LOA, "plan", "--month", "2026-12"],
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0].decode() for p in planners]
        assert [p.returncode for p in planners] == [0, 0], outputs
        # Between them they planned each station's three airings once.
        added = sum(line.count("\t+3\t") for out in outputs for line in out.splitlines())
        assert added == STATIONS, outputs
        with transaction(services.sessions) as s:
            per_station = Counter(
                s.scalars(
                    select(Station.code)
                    .join(Airing, Airing.station_id == Station.id)
                    .where(Airing.status == AiringStatus.planned)
                )
            )
            assert per_station == {f"X{n:02d}": 3 for n in range(STATIONS)}
