"""Publishing schedule changes to players over MQTT (paho-mqtt 2), never blocking the caller."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt

from loa_player.broker import make_client, parse_broker_url

logger = logging.getLogger(__name__)

TOPIC = "loa/players/{player_id}"


class MqttPublisher:
    """The Publisher of stations.push over a broker.

    paho's network thread does the I/O: ``publish`` only queues, so a web
    request never waits on the broker, and a broker that is down costs a
    logged warning, not an error (players still poll).
    """

    def __init__(self, url: str, max_queued: int = 10_000) -> None:
        self._address = parse_broker_url(url)
        self._client = make_client(self._address, f"loa-server-{uuid.uuid4().hex[:12]}")
        # Bound the queue so a long broker outage cannot grow memory without limit.
        self._client.max_queued_messages_set(max_queued)
        self._client.on_connect = self._on_connect
        self._client.connect_async(self._address.host, self._address.port, keepalive=30)
        self._client.loop_start()

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            logger.warning("MQTT broker refused the connection: %s", reason)
        else:
            logger.info("connected to MQTT broker %s:%s", self._address.host, self._address.port)

    def _publish(self, player_id: int, message: dict[str, object]) -> None:
        topic = TOPIC.format(player_id=player_id)
        try:
            info = self._client.publish(topic, json.dumps(message), qos=1)
        except (OSError, ValueError, RuntimeError) as exc:
            logger.warning("MQTT publish to %s failed: %s", topic, exc)
            return
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            # NO_CONN still queues a QoS 1 message for the reconnect; anything else is lost.
            logger.warning("MQTT publish to %s not queued: %s", topic, mqtt.error_string(info.rc))

    def schedule_changed(self, player_ids: Iterable[int]) -> None:
        """Tell each player to fetch its schedule now."""
        for player_id in player_ids:
            self._publish(player_id, {"type": "schedule.changed"})

    def play_now(self, player_id: int, airing_id: int) -> None:
        """Tell a live-mode player to start an airing now."""
        self._publish(player_id, {"type": "play.now", "airing_id": airing_id})

    def close(self) -> None:
        """Flush what the network thread can, then stop it."""
        self._client.disconnect()
        self._client.loop_stop()
