"""Real rows for tests that do not need real audio: a unit tree, stations, an approved programme."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.audio.stream_probe import StreamProbe
from loa.canonical import canonical_json
from loa.compliance import keylog
from loa.player.keys import sign_event
from loa.playlists.assets import record_asset
from loa.playlists.campaigns import add_campaign, get_campaign
from loa.playlists.models import Airing, AiringStatus, Programme, ProgrammeStatus
from loa.playlists.relay_models import RelaySlot, RelaySource
from loa.playlists.relays import add_slot, add_source
from loa.scheduler.service import plan
from loa.services import Services
from loa.stations.models import Player, Station
from loa.stations.players import add_player
from loa.stations.service import add_station
from loa.stations.units import add_unit, get_unit


@dataclass
class Month:
    programme_id: int
    sha256: str
    players: dict[str, tuple[int, str]]  # station code -> (player id, token)


def fake_sha(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def approved_programme(
    s: Session, unit_code: str, month: str, duration_ms: int, at: datetime, campaign: str = "CDS"
) -> Programme:
    """An approved programme whose master asset row exists (its file does not)."""
    sha = fake_sha(f"{unit_code}-{month}-{campaign}")
    record_asset(s, sha, 1000, duration_ms, "mp3")
    programme = Programme(
        campaign=get_campaign(s, campaign),
        unit=get_unit(s, unit_code),
        month=month,
        title=f"Chương trình {unit_code} {month}",
        status=ProgrammeStatus.approved,
        master_sha256=sha,
        duration_ms=duration_ms,
        approved_at=at,
    )
    s.add(programme)
    s.flush()
    return programme


def aired(s: Session, programme_id: int, station_code: str, at: datetime) -> Airing:
    """An airing of the programme at the station, settled as aired (residents heard it)."""
    station = s.scalars(select(Station).where(Station.code == station_code)).one()
    airing = Airing(programme_id=programme_id, station_id=station.id, starts_at=at,
                    status=AiringStatus.aired)
    s.add(airing)
    s.flush()
    return airing


def hai_phong_month(
    services: Services, s: Session, month: str = "2026-12", live: bool = False
) -> Month:
    """Hải Phòng with two wards, a station and a player each, campaign CDS, approved programme."""
    add_unit(s, "31", "Thành phố Hải Phòng", "province")
    players: dict[str, tuple[int, str]] = {}
    for code, unit in (("TN", "11560"), ("TH", "11557")):
        add_unit(s, unit, f"Phường {unit}", "commune", "31")
        add_station(s, code, unit, f"Đài {code}")
        player, token = add_player(s, code, f"Cụm loa {code}", "live" if live else "prefetch")
        players[code] = (player.id, token)
    add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31")
    programme = approved_programme(s, "31", month, 720_000, services.clock.now())
    return Month(programme.id, programme.master_sha256 or "", players)


def signed_completion(
    key: Ed25519PrivateKey, airing: Airing, sha256: str, event_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    """An airing.completed event for a 12-minute programme played in full, signed by ``key``."""
    event = {
        "id": event_id or str(uuid.uuid4()),
        "type": "airing.completed",
        "airing_id": airing.id,
        "at": (airing.starts_at + timedelta(minutes=12)).isoformat(),
        "sha256": sha256,
        "played_ms": 720_000,
        "detail": {"ghi chú": "đủ"},
    }
    event.update(fields)
    return {**event, "sig": base64.b64encode(key.sign(canonical_json(event).encode())).decode()}


# The relay tests' first morning: 06:00 on 2 December in Vietnam; a slot of 30 minutes.
RELAY_MORNING = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
HALF_HOUR = 1_800_000


def signed_relay(key: Ed25519PrivateKey, slot_id: int, starts: datetime, relayed_ms: int,
                 fallback_ms: int = 0, dropouts: int = 0) -> dict[str, Any]:
    """A relay.completed of the occurrence of ``slot_id`` starting at ``starts``, signed."""
    return sign_event(key, {
        "id": str(uuid.uuid4()), "type": "relay.completed", "airing_id": None,
        "at": (starts + timedelta(milliseconds=relayed_ms + fallback_ms)).isoformat(),
        "sha256": None, "played_ms": relayed_ms,
        "detail": {"slot_id": slot_id, "starts_at": starts.isoformat(), "source": "VOV1",
                   "relayed_ms": relayed_ms, "fallback_ms": fallback_ms, "silence_ms": 0,
                   "dropouts": dropouts}})


def city_relay(s: Session, services: Services, at: str = "06:00", *, required: bool = True,
               name: str = "VOV1") -> RelaySlot:
    """A daily 30-minute relay of VOV1 (a stream of Hải Phòng, 31, made once) set on the
    city: every station below carries it."""
    source = s.scalar(select(RelaySource).where(RelaySource.code == "VOV1"))
    if source is None:
        source, _probe = add_source(s, unit=get_unit(s, "31"), code="VOV1", name=name,
                                    url="http://127.0.0.1:9/vov1.mp3", fallback=None,
                                    store=services.store, clock=services.clock,
                                    probe=lambda _url: StreamProbe("mp3"))
    return add_slot(s, source=source, unit=get_unit(s, "31"), station=None, days="T2-CN",
                    at=at, minutes=30, required=required, clock=services.clock)


def two_wards(s: Session) -> None:
    """Hải Phòng (31) with two wards, each with its station: TN (11560) and TH (11557)."""
    add_unit(s, "31", "Thành phố Hải Phòng", "province")
    add_unit(s, "11560", "Phường Thủy Nguyên", "commune", "31")
    add_unit(s, "11557", "Phường Thiên Hương", "commune", "31")
    add_station(s, "TN", "11560", "Đài Thủy Nguyên")
    add_station(s, "TH", "11557", "Đài Thiên Hương")


def enrolled_month(
    services: Services, s: Session, key: Ed25519PrivateKey
) -> tuple[Month, Player, list[Airing]]:
    """``hai_phong_month`` planned, with TN's player enrolling ``key``; TN's airings by time."""
    month = hai_phong_month(services, s)
    plan(s, "2026-12", services.clock.now(), services.settings.airing_gap)
    player = s.get_one(Player, month.players["TN"][0])
    raw = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    keylog.enrol(s, player, raw, services.clock.now())
    airings = s.scalars(
        select(Airing).where(Airing.station_id == player.station_id).order_by(Airing.starts_at)
    ).all()
    return month, player, list(airings)
