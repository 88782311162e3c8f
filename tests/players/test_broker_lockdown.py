"""The broker locked as shipped (packaging/mosquitto/), on a real Mosquitto this test starts.

Players and their logins come from the `loa` command (player add, revoke, broker
passwd-file); the broker is `mosquitto -c` on the shipped loa.conf and loa.acl,
on private ports, TLS with an internal CA on the players' listener.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loa.player.notices import Notice, PlayNow, ScheduleChanged
from loa.player.runner import MqttListener
from loa.stations.mqtt import MqttPublisher
from tests.conftest import Loa
from tests.helpers.mosquitto import WAIT_S, LockedBroker, Session

SERVER_USER, SERVER_PASSWORD = "loa-server", "server-secret-for-this-test-only"


@dataclass(frozen=True)
class Login:
    player_id: int
    token: str
    username: str
    password: str


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LockedBroker]:
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    locked = LockedBroker(folder).start()
    yield locked
    locked.stop()


@pytest.fixture
def server_loa(env: dict[str, str], broker: LockedBroker) -> Loa:
    """`loa` with the server's own broker login in LOA_MQTT_URL, a station and no player yet."""
    loa = Loa({**env, "LOA_MQTT_URL": broker.server_url(SERVER_USER, SERVER_PASSWORD)})
    loa("unit", "add", "31", "Hải Phòng", "--level", "province")
    loa("station", "add", "TN", "--unit", "31", "--name", "Đài Tiên Lãng")
    return loa


def add_player(loa: Loa, name: str) -> Login:
    shown = dict(re.findall(r"^(\w+): (\S+)$", loa("player", "add", "TN", "--name", name), re.M))
    return Login(int(shown["player_id"]), shown["token"], shown["mqtt_username"],
                 shown["mqtt_password"])


def write_passwords(loa: Loa, broker: LockedBroker) -> str:
    return loa("broker", "passwd-file", "--out", str(broker.players_passwd),
               "--server-out", str(broker.server_passwd))


def accepted_after_reload(broker: LockedBroker, login: Login, password: str) -> bool:
    """Reload the broker, then whether ``password`` logs in once the reload is done.

    SIGHUP is handled in the broker's own time: a refusal may come from before it,
    so the login is tried again until accepted or the wait is over.
    """
    broker.reload()
    deadline = time.monotonic() + WAIT_S
    while True:
        session = Session(broker.player_port, login.username, password, cafile=broker.ca)
        refused = session.answer().is_failure
        session.close()
        if not refused or time.monotonic() > deadline:
            return not refused
        threading.Event().wait(0.05)  # the next look, not a wait for success


@pytest.fixture
def players(server_loa: Loa, broker: LockedBroker) -> list[Login]:
    made = [add_player(server_loa, "Cụm 1"), add_player(server_loa, "Cụm 2")]
    assert "2 players, written" in write_passwords(server_loa, broker)
    assert accepted_after_reload(broker, made[0], made[0].password)
    return made


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    opened: list[Session] = []
    yield opened
    for session in opened:
        session.close()


@pytest.fixture
def connect(broker: LockedBroker, sessions: list[Session]):  # type: ignore[no-untyped-def]
    """A client on the players' listener (TLS) or, with ``server=True``, the server's."""

    def open_session(username: str | None = None, password: str | None = None,
                     client_id: str = "", server: bool = False) -> Session:
        port = broker.server_port if server else broker.player_port
        session = Session(port, username, password, client_id,
                          None if server else broker.ca)
        sessions.append(session)
        return session

    return open_session


def player_session(connect, login: Login) -> Session:  # type: ignore[no-untyped-def]
    session = connect(login.username, login.password)
    assert not session.answer().is_failure, session.answer()
    return session


def server_session(connect) -> Session:  # type: ignore[no-untyped-def]
    session = connect(SERVER_USER, SERVER_PASSWORD, client_id="loa-server-test", server=True)
    assert not session.answer().is_failure, session.answer()
    return session


def test_anonymous_and_wrong_logins_are_refused_on_both_listeners(
    connect, players: list[Login]  # type: ignore[no-untyped-def]
) -> None:
    first = players[0]
    refused = [
        connect(),  # anonymous
        connect(first.username, "not-the-password"),
        connect(client_id="1"),  # anonymous with a player's client id
        connect(server=True),
        connect(first.username, first.password, server=True),  # a player on the server's port
        connect(SERVER_USER, "not-the-password", server=True),
    ]
    assert [s.answer().is_failure for s in refused] == [True] * len(refused)
    assert all(s.answer().getName() == "Not authorized" for s in refused)


def test_a_player_reads_only_its_own_topic_and_publishes_nothing(
    connect, players: list[Login]  # type: ignore[no-untyped-def]
) -> None:
    first, second = (player_session(connect, p) for p in players)
    # Mosquitto grants the subscriptions and filters what each may read when it delivers.
    first.subscribe("loa/players/1", "loa/players/2", "loa/players/#", "#")
    second.subscribe("loa/players/2")
    # Player 1 forges notices for itself and for player 2; the broker takes them (PUBACK)...
    forged = b'{"type":"play.now","airing_id":7}'
    first.publish("loa/players/1", forged)
    first.publish("loa/players/2", forged)
    server = server_session(connect)
    server.publish("loa/players/2", b'{"type":"schedule.changed"}')
    server.publish("loa/players/1", b'{"type":"schedule.changed"}')
    # ...but delivers only the server's: player 1 sees its own topic once, none of player 2's.
    assert first.wait_for(1) == [("loa/players/1", b'{"type":"schedule.changed"}')]
    assert second.wait_for(1) == [("loa/players/2", b'{"type":"schedule.changed"}')]
    server.publish("loa/players/1", b'{"type":"schedule.changed"}')  # and nothing queued behind
    assert len(first.wait_for(2)) == 2 and len(second.messages) == 1


def test_the_servers_notice_reaches_the_agent_of_player_1(
    broker: LockedBroker, players: list[Login]
) -> None:
    """The server's publisher and the agent's listener, with the logins the CLI gave."""
    got: list[Notice] = []
    arrived = threading.Event()
    listener = MqttListener(broker.player_url(), players[0].player_id, players[0].token,
                            lambda n: (got.append(n), arrived.set()))
    publisher = MqttPublisher(broker.server_url(SERVER_USER, SERVER_PASSWORD))
    try:
        assert listener.subscribed.wait(WAIT_S), broker.log()
        publisher.schedule_changed([players[0].player_id])
        assert arrived.wait(WAIT_S)
        assert got == [ScheduleChanged()]
    finally:
        publisher.close()
        listener.close()


def test_a_revoked_players_login_stops_working_after_the_file_and_a_reload(
    connect, server_loa: Loa, broker: LockedBroker, players: list[Login]  # type: ignore[no-untyped-def]
) -> None:
    first, second = players
    online = player_session(connect, first)
    online.subscribe("loa/players/1")
    server_loa("player", "revoke", str(first.player_id))
    assert "1 players, written" in write_passwords(server_loa, broker)
    assert "unchanged" in write_passwords(server_loa, broker)  # nothing more to reload
    broker.reload()
    assert online.disconnected.wait(WAIT_S), "the revoked player's session was not ended"
    assert connect(first.username, first.password).answer().getName() == "Not authorized"
    assert not connect(second.username, second.password).answer().is_failure
    # A rotated token brings a new login; the old password stays refused.
    rotated = dict(re.findall(r"^(\w+): (\S+)$",
                              server_loa("player", "rotate-token", str(first.player_id)), re.M))
    write_passwords(server_loa, broker)
    assert accepted_after_reload(broker, first, rotated["mqtt_password"])
    assert connect(first.username, first.password).answer().getName() == "Not authorized"


def test_reusing_another_players_client_id_does_not_kick_it(
    connect, players: list[Login]  # type: ignore[no-untyped-def]
) -> None:
    first = player_session(connect, players[0])
    first.subscribe("loa/players/1")
    for _ in range(3):  # player 2 logs in again and again claiming player 1's client id
        intruder = connect(players[1].username, players[1].password, client_id="1")
        assert not intruder.answer().is_failure
        intruder.close()
    assert not first.disconnected.is_set()
    server_session(connect).publish("loa/players/1", b'{"type":"schedule.changed"}')
    assert len(first.wait_for(1)) == 1 and not first.disconnected.is_set()


JUNK = st.one_of(
    st.binary(max_size=2048),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                 lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                 max_leaves=12).map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"[1]", b'{"type":"play.now","airing_id":"1"}', b"[" * 900,
                     b'{"type":"play.now","airing_id":true}', b"\xff\xfe", b"x" * 70_000]),
)


class Listening:
    """The agent's real listener as player 1, keeping the notices it passes on."""

    def __init__(self, broker: LockedBroker, login: Login) -> None:
        self.notices: list[Notice] = []
        self.heard = threading.Event()
        self.listener = MqttListener(broker.player_url(), login.player_id, login.token,
                                     self._on_notice)

    def _on_notice(self, notice: Notice) -> None:
        self.notices.append(notice)
        if notice == PlayNow(42):
            self.heard.set()


@pytest.fixture
def listening(broker: LockedBroker, players: list[Login]) -> Iterator[Listening]:
    made = Listening(broker, players[0])
    assert made.listener.subscribed.wait(WAIT_S), broker.log()
    yield made
    made.listener.close()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=JUNK)
def test_the_agents_listener_survives_any_payload_on_the_real_broker(
    listening: Listening, connect, junk: bytes  # type: ignore[no-untyped-def]
) -> None:
    """Whatever the server's login publishes, the notice after it is still heard."""
    server = server_session(connect)
    listening.heard.clear()
    server.publish("loa/players/1", junk)
    server.publish("loa/players/1", b'{"type":"play.now","airing_id":42}')
    assert listening.heard.wait(WAIT_S)
    assert listening.notices[-1] == PlayNow(42)
    server.close()
