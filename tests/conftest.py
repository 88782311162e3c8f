"""Fixtures that build real things: a migrated database (SQLite and PostgreSQL), services, app."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from loa import migrate
from loa.app import build_services, create_app
from loa.cli import cli
from loa.clock import FrozenClock
from loa.services import Services
from loa.settings import Settings, load_settings

PG_SERVER = os.environ.get("LOA_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
MQTT_URL = "mqtt://127.0.0.1:1883"
START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 on 1 December in Vietnam


def need_server(what: str, error: Exception) -> None:
    """Fail under CI (a missing server is a broken machine there), skip elsewhere."""
    message = f"{what} is not reachable: {error}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def broker() -> str:
    """The real Mosquitto of this machine, as an LOA_MQTT_URL."""
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=2).close()
    except OSError as err:
        need_server("Mosquitto on 127.0.0.1:1883", err)
    return MQTT_URL


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return PG_SERVER


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    name = f"loa_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as err:
        admin.dispose()
        need_server("PostgreSQL on 127.0.0.1:5432", err)
    yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on SQLite and on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'loa.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """LOA_* variables for the CLI, pointing at this test's home and database."""
    return {
        "LOA_HOME": str(tmp_path / "home"),
        "LOA_DATABASE_URL": database_url,
        "LOA_NOW": START.isoformat(),
        "LOA_SECRET_KEY": os.urandom(24).hex(),  # the server commands refuse a short key
    }


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(env)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def services(settings: Settings, clock: FrozenClock) -> Iterator[Services]:
    migrate.upgrade(settings.database_url)
    built = build_services(settings, clock=clock)
    yield built
    built.sessions.kw["bind"].dispose()


@pytest.fixture
def mqtt_services(settings: Settings, clock: FrozenClock, broker: str) -> Iterator[Services]:
    """Services whose notices go to the real broker after commit (a module's own ``clock``
    fixture, a real-time one say, applies here too)."""
    from loa.stations.mqtt import MqttPublisher

    migrate.upgrade(settings.database_url)
    publisher = MqttPublisher(broker)
    built = build_services(settings, clock=clock, publisher=publisher)
    yield built
    publisher.close()
    built.sessions.kw["bind"].dispose()


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    return create_app(services, {"TESTING": True, "SECRET_KEY": "test-secret"})


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    """The app served on a free port of 127.0.0.1, for a real browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


class Loa:
    """The `loa` command as a script would call it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env, self.runner = env, CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> str:
        result = self.runner.invoke(cli, list(args), env=self.env, catch_exceptions=False)
        assert (result.exit_code == 0) == ok, f"loa {' '.join(args)}:\n{result.output}"
        return result.output


@pytest.fixture
def loa(env: dict[str, str]) -> Loa:
    return Loa(env)
