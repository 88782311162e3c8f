"""Fixtures that build real things: a migrated database (SQLite and PostgreSQL), services, app."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
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


DAYS_AHEAD = os.environ.get("LOA_TEST_DAYS_AHEAD")  # tests/test_clock_ahead.py sets it


def pytest_configure(config: pytest.Config) -> None:
    """With LOA_TEST_DAYS_AHEAD the wall clock of this test process runs that many days
    ahead (time-machine; the monotonic clock is left alone): a test that mixes START with
    the real clock fails here, not in a year."""
    if DAYS_AHEAD:
        import time_machine

        travel = time_machine.travel(datetime.now(UTC) + timedelta(days=int(DAYS_AHEAD)),
                                     tick=True)
        travel.start()
        config.stash[_TRAVEL] = travel


def pytest_report_header() -> str | None:
    return f"wall clock moved to {datetime.now(UTC):%Y-%m-%d}" if DAYS_AHEAD else None


_TRAVEL = pytest.StashKey[Any]()
BUSY_WORKERS = 3  # xdist workers kept free of real-time tests (two cores' work and a spare)


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``real_time`` (agents, servers and streams that take their time on
    purpose, mostly waiting) go first, dealt round-robin into a few xdist groups: each group
    runs on one worker, so a few workers wait side by side from the start while the others
    keep the cores busy with the rest, and the run does not end on a long wait. The other
    modules follow in a fixed shuffle, so the agent tests of tests/players (which wait too)
    do not all come at once and leave the cores idle."""
    items.sort(key=lambda item: (item.get_closest_marker("real_time") is None,
                                 zlib.crc32(item.nodeid.partition("::")[0].encode())))
    workers = getattr(config, "workerinput", {}).get("workercount")
    if not workers:
        return
    groups = max(workers - BUSY_WORKERS, workers // 2, 1)
    waiting = (item for item in items if item.get_closest_marker("real_time"))
    for n, item in enumerate(waiting):
        item.add_marker(pytest.mark.xdist_group(f"real-time-{n % groups}"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stop if xdist did not take the groups: the run would still pass, spread so that every
    worker waits on real-time tests at once, and take twice as long."""
    if not getattr(session.config.option, "loadgroup", False):  # xdist's, set on its workers
        return
    lost = [item.nodeid for item in session.items
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if lost:
        raise pytest.UsageError(f"--dist loadgroup did not group {lost[0]} (and {len(lost) - 1} "
                                "more): see pytest-xdist#1386 and pyproject.toml's pin")


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Users' passwords hashed with few PBKDF2 rounds instead of scrypt (0.15 s a hash or a
    login): every check still runs, thousands of times faster. test_web_security checks
    the shipped method."""
    import loa.web.users

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loa.web.users, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        loa.web.users._dummy_hash.cache_clear()
        yield
    loa.web.users._dummy_hash.cache_clear()


@pytest.fixture
def broker() -> str:
    """The real Mosquitto of this machine, as an LOA_MQTT_URL with a topic root of this
    test's own: tests running side by side (and other runs on the machine) number their
    players from 1 alike, and would otherwise hear each other's notices."""
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=2).close()
    except OSError as err:
        need_server("Mosquitto on 127.0.0.1:1883", err)
    return f"{MQTT_URL}/loa-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return PG_SERVER


def _pg_admin() -> Any:
    return create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")


def _new_pg_database(template: str | None = None) -> str:
    """A new database on the test server (a copy of ``template`` if given); its name."""
    name = f"loa_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            copy = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    except OperationalError as err:
        need_server("PostgreSQL on 127.0.0.1:5432", err)
    finally:
        admin.dispose()
    return name


def _drop_pg_database(name: str) -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_DROPS = ThreadPoolExecutor(1, thread_name_prefix="drop-database")


def _drop_later(name: str) -> None:
    """Drop a test's database in the background: a drop waits on the server's disk (a second
    on a busy machine), which the next test need not wait for. The session waits for them all."""
    _DROPS.submit(_drop_pg_database, name)


def pytest_sessionfinish() -> None:
    _DROPS.shutdown(wait=True)


def _pg_url(name: str) -> str:
    return PG_SERVER.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = _new_pg_database()
    yield _pg_url(name)
    _drop_later(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once per test process; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "loa.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated once per test process, the template of each test's database."""
    name = _new_pg_database()
    migrate.upgrade(_pg_url(name))
    yield name
    _drop_pg_database(name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """SQLite for every test; PostgreSQL too where the database is the point (locks, SKIP
    LOCKED, the append-only trigger, set-based SQL, backup and restore), marked
    ``both_databases`` on the test or its module."""
    if not metafunc.definition.get_closest_marker("both_databases"):
        return
    chosen = set()
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        chosen |= {n.strip() for n in names.split(",")} if isinstance(names, str) else set(names)
    for name in ("database_url", "empty_database_url"):
        if name in metafunc.fixturenames and name not in chosen:
            metafunc.parametrize(name, ["sqlite", pytest.param(
                "postgresql", marks=pytest.mark.postgres)], indirect=True)
            return


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own for one test: SQLite, or PostgreSQL where asked."""
    if getattr(request, "param", "sqlite") == "sqlite":
        path = tmp_path / "loa.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    name = _new_pg_database(template=request.getfixturevalue("postgres_template"))
    yield _pg_url(name)
    _drop_later(name)


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema), for the migrations' own tests."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    yield request.getfixturevalue("postgres_url")


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
    built = build_services(settings, clock=clock)
    yield built
    built.sessions.kw["bind"].dispose()


@pytest.fixture
def mqtt_services(settings: Settings, clock: FrozenClock, broker: str) -> Iterator[Services]:
    """Services whose notices go to the real broker after commit (a module's own ``clock``
    fixture, a real-time one say, applies here too)."""
    from loa.stations.mqtt import MqttPublisher

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


# The headless shell (what Playwright's own headless runs use): the same Blink without the
# full browser around it, a third less CPU over the browser tests than `chromium --headless`.
CHROMIUM = next(filter(None, map(shutil.which, (
    "chromium-headless-shell", "chromium", "chromium-browser"))), None)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One Chromium per test process (a launch costs a second); each test gets its own
    context, so no cookie or permission leaks from one test to the next."""
    if CHROMIUM is None:
        need_server("Chromium (scripts/setup.sh test installs it)",
                    FileNotFoundError("chromium"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  # a beeping test microphone, for the recording tests
                  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def microphone_page(chromium: Any) -> Iterator[Any]:
    """A page allowed to use the (fake) microphone without asking."""
    context = chromium.new_context(permissions=["microphone"])
    yield context.new_page()
    context.close()


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
