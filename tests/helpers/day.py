"""A station's full day: a relay cut by an emergency, a programme, a bulletin play."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from loa.clock import VN, FrozenClock
from loa.db import transaction
from loa.playlists.models import Airing, AiringStatus, BulletinSlot, BulletinSlotStatus
from loa.services import Services
from loa.stations.models import Station
from loa.web.users import add_user
from tests.helpers.bulletins import notice
from tests.helpers.factories import city_relay, hai_phong_month
from tests.helpers.web import PASSWORD

DAY = datetime(2026, 12, 2, tzinfo=VN)  # a Wednesday


def local(hhmm: str, day: datetime = DAY) -> datetime:
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return day.replace(hour=hours, minute=minutes)


@pytest.fixture
def day(services: Services, clock: FrozenClock) -> None:
    """TN's 2 December, at 06:10: VOV1 relayed 06:00-06:30 (a required slot of the city),
    cut at 06:20 by a one-minute emergency; the programme at 17:00; a bulletin at 17:20.
    Operator "xa" of TN's ward."""
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        add_user(s, "xa", PASSWORD, "operator", "11560")
        city_relay(s, services)
        tn = s.scalars(select(Station).where(Station.code == "TN")).one()
        s.add(Airing(programme_id=month.programme_id, station_id=tn.id,
                     starts_at=local("17:00"), status=AiringStatus.planned))
        notice(s, local("06:20"), local("06:20"), priority="emergency", label="bão")
        normal = notice(s, clock.now(), local("17:00"), label="họp")
        s.add(BulletinSlot(bulletin_id=normal.id, station_id=tn.id, starts_at=local("17:20"),
                           ends_at=local("17:21"), status=BulletinSlotStatus.planned))
    clock.set(local("06:10"))
