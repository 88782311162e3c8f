"""Running an agent in real time: playout, sync, send and bulletin threads, and an MQTT listener."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt

from loa.player.agent import Agent
from loa.player.broker import (
    DEFAULT_ROOT,
    make_client,
    parse_broker_url,
    player_password,
    player_topic,
    player_username,
)
from loa.player.notices import (
    BulletinNotice,
    NotANotice,
    Notice,
    PlayNow,
    ScheduleChanged,
    parse_notice,
)

logger = logging.getLogger(__name__)


class MqttListener:
    """Subscribes to ``<root>/players/<id>``; a notice only wakes the agent, polling stays correct.

    It logs in as the player (its id, and the password its token derives) unless
    the URL names a login. Whatever arrives on the topic, the listener lives on:
    what is not a notice is logged and dropped, and a handler that fails is
    logged, so paho's network thread never dies of a message.
    """

    def __init__(self, url: str, player_id: int, token: str,
                 on_notice: Callable[[Notice], None]) -> None:
        address = parse_broker_url(url)
        username = address.username or player_username(player_id)
        if not address.username:
            address = address.with_login(username, player_password(token))
        self.topic = player_topic(address, player_id)
        self.subscribed = threading.Event()
        self._on_notice = on_notice
        # The client id is the login, as the locked broker makes it anyway; under another
        # root it carries the root, so two deployments' player 1 do not take turns.
        client_id = username if address.root == DEFAULT_ROOT else f"{address.root}/{username}"
        self._client = make_client(address, client_id)
        self._client.on_connect = self._connected
        self._client.on_subscribe = self._subscribed
        self._client.on_message = self._message
        self._client.connect_async(address.host, address.port, keepalive=60)
        self._client.loop_start()

    def _connected(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            logger.warning("MQTT connection refused: %s", reason)
            return
        client.subscribe(self.topic, qos=1)  # again on every reconnect

    def _subscribed(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: list[Any],
                    _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            logger.warning("the broker refused the subscription to %s (check the player's "
                           "broker login and the ACL)", self.topic)
            return
        self.subscribed.set()

    def _message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            notice = parse_notice(message.payload)
        except NotANotice as exc:
            logger.warning("ignoring a message on %s that is no notice: %s", message.topic, exc)
            return
        try:
            self._on_notice(notice)
        except Exception:  # paho's thread is our outermost loop here: log, keep listening
            logger.exception("handling notice %s failed", notice)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


class Runner:
    """Four stoppable workers around one agent; ``stop()`` joins them and closes the agent.

    Each sleeps until its next wake-up, but never longer than ``recheck_s``: the
    agent's time comes from the wall clock, and a step of it must be seen before a
    start slips past its grace. A recorded event wakes the sender at once; a
    bulletin notice wakes the bulletin thread, and fetched bulletins wake playout.
    """

    def __init__(self, agent: Agent, mqtt_url: str | None = None) -> None:
        self.agent = agent
        self.stop_event = threading.Event()
        self._wake_playout = threading.Event()
        self._wake_sync = threading.Event()
        self._wake_send = threading.Event()
        self._wake_bulletin = threading.Event()
        self._mqtt_url = mqtt_url
        self.listener: MqttListener | None = None
        agent.on_event = self._wake_send.set
        agent.preemption.on_bulletins = self._wake_playout.set
        self._threads = [
            threading.Thread(target=self._loop, name=name, daemon=True, args=args)
            for name, args in (
                ("loa-playout", (agent.playout_step, agent.next_playout_wake,
                                 self._wake_playout)),
                ("loa-sync", (self._sync, agent.link.next_sync_wake, self._wake_sync)),
                ("loa-send", (agent.link.send_step, agent.link.next_send_wake,
                              self._wake_send)),
                ("loa-bulletin", (agent.preemption.bulletin_step,
                                  agent.preemption.next_bulletin_wake, self._wake_bulletin)),
            )
        ]

    def start(self) -> Runner:
        for thread in self._threads:
            thread.start()
        return self

    def notice(self) -> None:
        """A push notice: the schedule changed."""
        self.agent.link.request_sync()
        self._wake_sync.set()

    def bulletin_notice(self) -> None:
        """A push notice: an emergency was sent or cancelled."""
        self.agent.preemption.request_bulletins()
        self._wake_bulletin.set()

    def on_notice(self, notice: Notice) -> None:
        """What a push notice asks: fetch the schedule or the bulletins, or look at playout."""
        if isinstance(notice, ScheduleChanged):
            self.notice()
        elif isinstance(notice, BulletinNotice):
            self.bulletin_notice()
        elif isinstance(notice, PlayNow):
            answer = self.agent.play_now(notice.airing_id)
            if answer == "unknown":
                self.notice()  # an airing not fetched yet: once fetched, a due one airs
            elif answer == "accepted":
                self._wake_playout.set()

    def _sync(self) -> None:
        self.agent.link.sync_step()
        self._wake_playout.set()  # the schedule may have changed: recompute the next start
        player_id = self.agent.schedule.player_id
        if self._mqtt_url and self.listener is None and player_id is not None:
            self.listener = MqttListener(self._mqtt_url, player_id,
                                         self.agent.config.token, self.on_notice)

    def _loop(self, step: Callable[[], None], next_wake: Callable[[], datetime],
              wake: threading.Event) -> None:
        while not self.stop_event.is_set():
            wake.clear()  # before the step, so a notice during it is not lost
            try:
                step()
                delay = (next_wake() - self.agent.now()).total_seconds()
            except Exception:  # the outermost loop: log, keep the station on air
                logger.exception("agent step failed")
                delay = 1.0  # not a hot loop if the failure repeats
            wake.wait(timeout=min(max(delay, 0.0), self.agent.config.recheck_s))

    def stop(self, close: bool = True) -> None:
        """Stop the workers; ``close=False`` leaves the agent as a killed process would."""
        self.stop_event.set()
        for event in (self._wake_playout, self._wake_sync, self._wake_send, self._wake_bulletin):
            event.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if self.listener:
            self.listener.close()
        if close:
            self.agent.close()
