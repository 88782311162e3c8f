"""A programme's language variant longer than its master: its airings hold the air of their
longest recording, as a bulletin's plays do, so the zone playing the variant never runs into
the next item; a variant added once the month is planned moves the airings it no longer fits
(design §3 `scheduler/`, §4 "Loudspeaker zones")."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from loa.clock import VN
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.campaigns import add_campaign, get_campaign
from loa.playlists.models import (
    STILL_TO_AIR,
    Airing,
    AiringStatus,
    BulletinSlot,
    BulletinSlotStatus,
    Programme,
)
from loa.scheduler.day_data import station_day
from loa.scheduler.edits import add_airing
from loa.scheduler.service import plan
from loa.services import Services
from loa.stations.models import Station
from loa.stations.zones import add_zone
from tests.conftest import Loa
from tests.helpers.bulletins import notice
from tests.helpers.editor import tone
from tests.helpers.factories import approved_programme, enrolled_month

VARIANT = timedelta(minutes=14)  # within the campaign's 10-15, 2 longer than the 12 of the master
GAP = timedelta(seconds=30)  # LOA_AIRING_GAP_SECONDS's default
FIFTH = datetime(2026, 12, 5, 5, 30, tzinfo=VN)  # where the planner put TN's first airing


@pytest.fixture(scope="module")
def long_hmong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone(tmp_path_factory.mktemp("variant") / "hmong-14.mp3", VARIANT.total_seconds())


@pytest.fixture
def planned(services: Services) -> int:
    """TN's December planned (a 12-minute programme: 5th 05:30, 16th 17:00, 26th 05:30), with a
    Nà Hang (H'Mông) zone. Returns the programme's id."""
    with transaction(services.sessions) as s:
        month, _player, airings = enrolled_month(services, s, Ed25519PrivateKey.generate())
        add_zone(s, "TN", "na-hang", "Cụm thôn Nà Hang", "hmn")
        assert airings[0].starts_at == FIFTH
        return month.programme_id


def add_hmong(loa: Loa, programme_id: int, file: Path) -> str:
    return loa("programme", "variant", "add", str(programme_id), str(file), "--language", "hmn")


def tn_airings(services: Services) -> list[tuple[datetime, AiringStatus, int]]:
    with services.sessions() as s:
        return [(a.starts_at.astimezone(VN), a.status, a.programme_id) for a in s.scalars(
            select(Airing).join(Station).where(Station.code == "TN")
            .order_by(Airing.starts_at))]


def test_its_airings_hold_the_variant_s_air(
        loa: Loa, services: Services, planned: int, long_hmong: Path) -> None:
    said = add_hmong(loa, planned, long_hmong)
    assert "840 giây" in said and "Đã dời" not in said  # each airing still fits: none moves
    with transaction(services.sessions) as s:
        tn = s.scalars(select(Station).where(Station.code == "TN")).one()
        assert s.get_one(Programme, planned).air_ms == VARIANT.total_seconds() * 1000
        # The day shows what the loudspeakers carry: Nà Hang's 14 minutes.
        day = station_day(s, tn, FIFTH.date(), [])
        (block,) = [b for b in day.blocks if b.kind == "airing"]
        assert (block.start, block.end) == (FIFTH, FIFTH + VARIANT)
        # An operator's airing right after the master's end would cut into the variant.
        with pytest.raises(LoaError, match="overlaps the airing at 05:30 05/12/2026"):
            add_airing(s, tn, get_campaign(s, "CDS"), FIFTH + timedelta(minutes=12) + GAP,
                       services.clock.now(), GAP)
        add_airing(s, tn, get_campaign(s, "CDS"), FIFTH + VARIANT + GAP, services.clock.now(),
                   GAP)


def test_the_planner_places_the_next_campaign_after_the_variant(
        services: Services, planned: int, long_hmong: Path, loa: Loa) -> None:
    add_hmong(loa, planned, long_hmong)
    with transaction(services.sessions) as s:
        add_campaign(s, services.store, "DS2", "Dân số", "31")
        approved_programme(s, "31", "2026-12", 600_000, services.clock.now(), campaign="DS2")
        plan(s, "2026-12", services.clock.now(), GAP)
    held = tn_airings(services)
    cds = [at for at, _status, programme in held if programme == planned]
    ds2 = [at for at, _status, programme in held if programme != planned]
    assert len(cds) == len(ds2) == 3
    for start in cds:
        assert all(not start - timedelta(minutes=10) - GAP < other < start + VARIANT + GAP
                   for other in ds2), (start, ds2)


def test_an_airing_the_variant_no_longer_fits_is_made_up_elsewhere(
        loa: Loa, services: Services, planned: int, long_hmong: Path) -> None:
    """A bulletin play 30 s after the master's end on the 5th, and the 26th's airing moved
    by hand to 06:17 (its 12 minutes end at 06:29, in the window; 14 would not): both
    airings move, the bulletin play stays, and the month still has its three."""
    late = datetime(2026, 12, 26, 6, 17, tzinfo=VN)
    with transaction(services.sessions) as s:
        tn = s.scalars(select(Station).where(Station.code == "TN")).one()
        bulletin = notice(s, services.clock.now(), FIFTH)
        s.add(BulletinSlot(bulletin_id=bulletin.id, station_id=tn.id,
                           starts_at=FIFTH + timedelta(minutes=12) + GAP,
                           ends_at=FIFTH + timedelta(minutes=13) + GAP,
                           status=BulletinSlotStatus.planned))
        s.scalars(select(Airing).where(Airing.station_id == tn.id, Airing.starts_at == datetime(
            2026, 12, 26, 5, 30, tzinfo=VN))).one().starts_at = late
    said = add_hmong(loa, planned, long_hmong)
    assert "Đã dời 2 lượt phát" in said
    held = tn_airings(services)
    assert [(at, status) for at, status, _p in held if status is AiringStatus.cancelled] == [
        (FIFTH, AiringStatus.cancelled), (late, AiringStatus.cancelled)]
    still = [at for at, status, _p in held if status in STILL_TO_AIR]
    assert len(still) == 3
    for start in still:  # each inside a window with the gap kept before the bulletin play
        local = start.time()
        assert (local.hour, local.minute) < (6, 16) or local.hour >= 17
        assert not (FIFTH - VARIANT - GAP < start < FIFTH + timedelta(minutes=13) + GAP * 2)
