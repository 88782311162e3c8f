"""Emergency notices over the real Mosquitto: sent after commit, to the target players only.

Each player listens on its topic and fetches /player/bulletins the moment a notice
arrives, as the reference agent does; the fetch must already show what the notice
announced (sent, then cancelled), within 2 s of the commit.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import select

from loa.db import transaction
from loa.player.broker import parse_broker_url, player_topic
from loa.playlists.bulletins import cancel_bulletin, create_bulletin, get_bulletin
from loa.playlists.models import BulletinDelivery
from loa.scheduler.bulletin_slots import slot_placer
from loa.services import Services
from loa.stations.models import Player
from loa.stations.players import hash_token
from loa.stations.service import add_station, get_station
from loa.stations.units import add_unit, get_unit

pytestmark = [pytest.mark.mqtt, pytest.mark.both_databases]
WITHIN_S = 2.0


@pytest.fixture
def services(mqtt_services: Services) -> Services:
    return mqtt_services


@dataclass
class Listener:
    """One player: each notice on its topic, with what a fetch right then showed."""

    server: str
    token: str
    heard: list[tuple[float, dict[str, Any], dict[int, str]]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        received, notice = time.monotonic(), json.loads(message.payload)
        request = urllib.request.Request(f"{self.server}/api/v1/player/bulletins",
                                         headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            shown = {b["id"]: b["status"] for b in json.load(answer)["bulletins"]}
        with self.arrived:
            self.heard.append((received, notice, shown))
            self.arrived.notify_all()

    def wait(self, kind: str, bulletin_id: int, status: str, after: float) -> float | None:
        """Seconds from ``after`` to the notice whose fetch showed ``status``, or None."""

        def found() -> float | None:
            return next((t - after for t, n, shown in self.heard
                         if t > after and n == {"type": kind, "bulletin_id": bulletin_id}
                         and shown.get(bulletin_id) == status), None)

        with self.arrived:
            self.arrived.wait_for(lambda: found() is not None, WITHIN_S)
            return found()


@pytest.fixture
def players(services: Services, live_url: str, broker: str) -> Iterator[dict[str, Listener]]:
    """TN and TH in Hải Phòng, HN in Hà Nội: one listening player each."""
    root = parse_broker_url(broker)
    listeners, ids, clients = {}, [], []
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Hải Phòng", "province")
        add_unit(s, "01", "Hà Nội", "province")
        for code, unit, parent in (("TN", "11560", "31"), ("TH", "11557", "31"),
                                   ("HN", "00004", "01")):
            add_unit(s, unit, f"Phường {unit}", "commune", parent)
            add_station(s, code, unit, f"Đài {code}")
            token = secrets.token_urlsafe(32)
            player = Player(station=get_station(s, code), name=code,
                            token_hash=hash_token(token), health={})
            s.add(player)
            s.flush()
            listeners[code] = Listener(live_url, token)
            ids.append((player.id, listeners[code]))
    for player_id, listener in ids:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        subscribed = threading.Event()
        client.on_message = listener.on_message
        topic = player_topic(root, player_id)
        client.on_connect = lambda c, *_a, topic=topic: c.subscribe(topic, qos=1)
        client.on_subscribe = lambda *_a, done=subscribed: done.set()
        client.connect("127.0.0.1", 1883)
        client.loop_start()
        assert subscribed.wait(10)
        clients.append(client)
    yield listeners
    for client in clients:
        client.disconnect()
        client.loop_stop()


def test_an_emergency_and_its_cancel_reach_the_targets_after_commit(
    services: Services, players: dict[str, Listener]
) -> None:
    with transaction(services.sessions) as s:
        sent = create_bulletin(
            s, unit=get_unit(s, "31"), author=None, role=None, title="Bão số 3",
            priority="emergency", text="Bão số 3 giật cấp 10, bà con vào nơi tránh trú.",
            repeat_count=3, repeat_every_s=600, store=services.store, clock=services.clock,
            place_slots=slot_placer(services.settings.airing_gap))
        bulletin_id = sent.id
        committed = time.monotonic()  # the commit follows: notices may arrive before we return
    for code in ("TN", "TH"):
        delay = players[code].wait("bulletin", bulletin_id, "active", committed)
        assert delay is not None and delay <= WITHIN_S, code
    with transaction(services.sessions) as s:
        pushed = s.scalars(select(BulletinDelivery.pushed_at)
                           .where(BulletinDelivery.bulletin_id == bulletin_id)).all()
        assert pushed == [services.clock.now()] * 2
    with transaction(services.sessions) as s:
        cancel_bulletin(s, get_bulletin(s, bulletin_id), by=None, role=None,
                        clock=services.clock)
        cancelled = time.monotonic()
    for code in ("TN", "TH"):
        delay = players[code].wait("bulletin.cancelled", bulletin_id, "cancelled", cancelled)
        assert delay is not None and delay <= WITHIN_S, code
    # Hà Nội is no target: not a single notice (its random id is no other run's either).
    assert players["HN"].heard == []
