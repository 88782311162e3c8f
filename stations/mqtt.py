"""Publishing schedule changes to players over MQTT (paho-mqtt 2), never blocking the caller."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt

from loa.player.broker import make_client, parse_broker_url, player_topic
from loa.player.notices import BulletinNotice, Notice, PlayNow, ScheduleChanged

logger = logging.getLogger(__name__)

FLUSH_S = 5.0  # how long close() waits for the broker to confirm what is queued


class MqttPublisher:
    """The Publisher of stations.push over a broker.

    paho's network thread does the I/O: ``publish`` only queues, so a web
    request never waits on the broker, and a broker that is down costs a
    logged warning, not an error (players still poll). ``close`` waits, for a
    bounded time, until the broker has confirmed every queued notice, so a
    command that exits right after planning does not lose its notices.
    """

    def __init__(self, url: str, max_queued: int = 10_000) -> None:
        self._address = parse_broker_url(url)
        self._client = make_client(self._address, f"loa-server-{uuid.uuid4().hex[:12]}")
        # Bound the queue so a long broker outage cannot grow memory without limit.
        self._client.max_queued_messages_set(max_queued)
        self._client.on_connect = self._on_connect
        self._client.on_publish = self._on_publish
        # Message ids the broker has not acknowledged yet, and acknowledgements that
        # arrived before publish() returned their id (paho's thread may be that quick).
        self._unacked: set[int] = set()
        self._acked_early: set[int] = set()
        self._acks = threading.Condition()
        self._client.connect_async(self._address.host, self._address.port, keepalive=30)
        self._client.loop_start()

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            logger.warning("MQTT broker refused the connection: %s", reason)
        else:
            logger.info("connected to MQTT broker %s:%s", self._address.host, self._address.port)

    def _publish(self, player_id: int, notice: Notice) -> bool:
        topic = player_topic(self._address, player_id)
        try:
            info = self._client.publish(topic, json.dumps(notice.body()), qos=1)
        except (OSError, ValueError, RuntimeError) as exc:
            logger.warning("MQTT publish to %s failed: %s", topic, exc)
            return False
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            # NO_CONN still queues a QoS 1 message for the reconnect; anything else is lost.
            logger.warning("MQTT publish to %s not queued: %s", topic, mqtt.error_string(info.rc))
            return False
        with self._acks:
            if info.mid in self._acked_early:
                self._acked_early.discard(info.mid)
            else:
                self._unacked.add(info.mid)
        return True

    def _on_publish(self, _c: Any, _u: Any, mid: int, _reason: Any, _p: Any) -> None:
        # Called by paho under its own lock: only touch ours, never call back into paho.
        with self._acks:
            if mid in self._unacked:
                self._unacked.discard(mid)
                self._acks.notify_all()
            else:
                self._acked_early.add(mid)

    def schedule_changed(self, player_ids: Iterable[int]) -> None:
        """Tell each player to fetch its schedule now."""
        for player_id in player_ids:
            self._publish(player_id, ScheduleChanged())

    def play_now(self, player_id: int, airing_id: int) -> None:
        """Tell a live-mode player to start an airing now."""
        self._publish(player_id, PlayNow(airing_id))

    def bulletin(self, kind: str, bulletin_id: int, player_ids: Iterable[int]) -> list[int]:
        """Tell each player to fetch /player/bulletins now; the players it was queued for."""
        notice = BulletinNotice(kind == "bulletin.cancelled", bulletin_id)
        return [p for p in player_ids if self._publish(p, notice)]

    def close(self, timeout_s: float = FLUSH_S) -> None:
        """Wait up to ``timeout_s`` for the broker to confirm every notice, then disconnect."""
        with self._acks:
            if not self._acks.wait_for(lambda: not self._unacked, timeout_s):
                logger.warning(
                    "MQTT broker confirmed not all notices within %.0f s (%d left); "
                    "those players will see the change when they poll",
                    timeout_s, len(self._unacked),
                )
        self._client.disconnect()
        self._client.loop_stop()
