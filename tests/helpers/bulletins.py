"""Bulletin rules: the tree of units and players, a sent bulletin, signed events."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.canonical import canonical_json
from loa.db import transaction
from loa.playlists.assets import record_asset
from loa.playlists.bulletins import (
    create_bulletin,
)
from loa.playlists.models import (
    Bulletin,
    BulletinDelivery,
    BulletinPriority,
    BulletinStatus,
    BulletinTarget,
)
from loa.scheduler.bulletin_slots import slot_placer
from loa.services import Services
from loa.stations.models import Player
from loa.stations.players import add_player
from loa.stations.service import add_station
from loa.stations.units import add_unit, get_unit
from tests.helpers.factories import fake_sha

STORM = "Bão số 3 giật cấp 10. Bà con không ra khơi."


@pytest.fixture
def tree(services: Services) -> dict[str, tuple[int, str]]:
    """Hải Phòng (31) with wards 11560 (station TN) and 11557 (TH); Hà Nội (01) with HN.

    One player per station; the answer maps station code to (player id, token).
    """
    players = {}
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Hải Phòng", "province")
        add_unit(s, "01", "Hà Nội", "province")
        for station, unit, parent in (("TN", "11560", "31"), ("TH", "11557", "31"),
                                      ("HN", "00004", "01")):
            add_unit(s, unit, f"Phường {unit}", "commune", parent)
            add_station(s, station, unit, f"Đài {station}")
            player, token = add_player(s, station, f"Loa {station}")
            players[station] = (player.id, token)
    return players


def send(services: Services, s: Session, unit: str = "31", *, role: str | None = None,
         author: str | None = None, priority: str = "emergency", **kw: Any) -> Bulletin:
    kw.setdefault("text", STORM)
    return create_bulletin(
        s, unit=get_unit(s, unit), author=author, role=role, title=kw.pop("title", None),
        priority=priority, store=services.store, clock=services.clock,
        place_slots=slot_placer(services.settings.airing_gap), **kw)


def notice(
    s: Session, now: datetime, valid_from: datetime, *, priority: str = "normal",
    seconds: int = 60, count: int = 1, every: timedelta = timedelta(0),
    until: timedelta = timedelta(days=2), label: str = "họp",
) -> Bulletin:
    """An active bulletin of Hải Phòng (31) to its whole subtree, with a delivery per player
    (each player fetched its audio when it was sent)."""
    sha = fake_sha(f"bulletin {label} {seconds}")
    record_asset(s, sha, 2000, seconds * 1000, "mp3")
    bulletin = Bulletin(
        unit=get_unit(s, "31"), title=f"Thông báo {label}", text="Mời họp tổ dân phố",
        priority=BulletinPriority(priority), status=BulletinStatus.active, asset_sha256=sha,
        duration_ms=seconds * 1000, valid_from=valid_from, valid_until=valid_from + until,
        repeat_count=count, repeat_every_s=round(every.total_seconds()), created_at=now,
        sent_at=now, updated_at=now, targets=[BulletinTarget(unit_id=get_unit(s, "31").id)],
    )
    s.add(bulletin)
    s.flush()
    s.add_all(
        BulletinDelivery(bulletin_id=bulletin.id, station_id=p.station_id, player_id=p.id, plays=0,
                         asset_sha256=sha, fetched_at=now)
        for p in s.scalars(select(Player))
    )
    s.flush()
    return bulletin


def auth(token: str, etag: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return headers | ({"If-None-Match": f'"{etag}"'} if etag else {})


def _signed(key: Ed25519PrivateKey, **event: Any) -> dict[str, Any]:
    event = {"id": str(uuid.uuid4()), "airing_id": None, "played_ms": 0,
             "detail": {"repeat": 0, "clock_offset_ms": 0}, **event}
    return {**event, "sig": base64.b64encode(key.sign(canonical_json(event).encode())).decode()}
