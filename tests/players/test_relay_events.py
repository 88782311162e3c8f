"""Relay events through the player API: a player reports only its own station's relay
slots; each field has its type and range; accepted ones join the station's chain."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from loa.audio.stream_probe import StreamProbe
from loa.db import transaction
from loa.playlists.relay_models import RelaySource
from loa.playlists.relays import add_slot, add_source
from loa.stations.service import get_station
from loa.stations.units import get_unit
from tests.players.conftest import Signer, World


def slot_on(world: World, station: int, at: str) -> int:
    services = world.services
    with transaction(services.sessions) as s:
        source = s.scalar(select(RelaySource))
        if source is None:
            source, _ = add_source(s, unit=get_unit(s, "SIM"), code="VOV1", name="VOV1",
                                   url="http://127.0.0.1:9/vov1.mp3", fallback=None,
                                   store=services.store, clock=services.clock,
                                   probe=lambda _u: StreamProbe("mp3"))
        return add_slot(s, source=source, unit=None,
                        station=get_station(s, world.players[station].station_code),
                        days="T2-CN", at=at, minutes=30, required=True,
                        clock=services.clock).id


def test_a_player_reports_only_its_own_stations_relays(signer: Signer, world: World) -> None:
    mine, theirs = slot_on(world, 0, "06:00"), slot_on(world, 1, "06:00")
    at = world.clock.now() + timedelta(minutes=1)
    common = {"starts_at": "2026-12-02T06:00:00+07:00", "source": "VOV1"}
    good = [
        signer.event("relay.started", None, at, slot_id=mine, late_ms=120, **common),
        signer.event("relay.dropout", None, at, slot_id=mine, reason="no_data",
                     **{"from": at.isoformat(), "to": at.isoformat()}, **common),
        signer.event("relay.completed", None, at, played_ms=1_790_000, slot_id=mine,
                     relayed_ms=1_790_000, fallback_ms=8_000, silence_ms=0, dropouts=1,
                     **common),
        signer.event("relay.failed", None, at, slot_id=mine, reason="no stream", **common),
    ]
    bad = [
        signer.event("relay.completed", None, at, slot_id=theirs, relayed_ms=1, **common),
        signer.event("relay.dropout", None, at, slot_id=mine, reason="bored", **common),
        signer.event("relay.started", None, at, **common),  # no slot
        signer.event("relay.completed", None, at, slot_id=mine, relayed_ms="lots", **common),
        signer.event("relay.started", 1, at, slot_id=mine, **common),  # an airing id
    ]
    answer = signer.post(good + bad).json
    assert answer["accepted"] == [e["id"] for e in good]
    reasons = {r["id"]: r["reason"] for r in answer["rejected"]}
    assert list(reasons) == [e["id"] for e in bad]
    assert "không thuộc đài" in reasons[bad[0]["id"]]
    assert "no_data, silence" in reasons[bad[1]["id"]]
    assert "slot_id" in reasons[bad[2]["id"]]
    assert "relayed_ms" in reasons[bad[3]["id"]]
    assert "airing" in reasons[bad[4]["id"]]
