"""The production server as an operator runs it: gunicorn workers, body limits before
reading, one secret key kept in LOA_HOME, /healthz and /metrics."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from loa import migrate
from loa.app import build_services, create_app
from loa.db import transaction
from loa.secret import secret_key
from loa.settings import load_settings
from loa.stations.players import add_player
from loa.stations.push import NullPublisher
from tests.helpers.factories import two_wards
from tests.helpers.servers import LOA, free_port

pytestmark = pytest.mark.both_databases  # the database is the point here

if not Path(LOA).exists():
    LOA = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "loa")
MB = 1024 * 1024


@dataclass
class Gunicorn:
    port: int
    token: str
    home: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                         headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read(), dict(err.headers)

    def raw(self, head: str, body_parts: list[bytes]) -> bytes:
        """Send a request by hand and read the answer, however early the server answers."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(head.encode())
            try:
                for part in body_parts:
                    sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed before the body ended: what we test
            answer = b""
            try:
                while b"\r\n\r\n" not in answer:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except ConnectionResetError:
                pass
        return answer


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """`loa web --workers 2` on SQLite, with one player; no LOA_SECRET_KEY set."""
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOA_", "PROMETHEUS"))}
    env.update(LOA_HOME=str(home), LOA_DATABASE_URL=f"sqlite:///{tmp_path / 'loa.db'}")
    settings = load_settings(env)
    migrate.upgrade(settings.database_url)
    services = build_services(settings, publisher=NullPublisher())
    with transaction(services.sessions) as session:
        two_wards(session)
        _player, token = add_player(session, "TN", "Cụm loa TN")
    services.sessions.kw["bind"].dispose()
    port = free_port()
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen([LOA, "web", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Gunicorn(port, token, home)
    deadline = time.monotonic() + 30
    while True:
        try:
            if server.get("/api/v1/openapi.json")[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
        time.sleep(0.1)
    yield server
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    log.close()


def test_a_huge_content_length_is_refused_before_the_body_is_read(gunicorn: Gunicorn) -> None:
    head = (f"POST /api/v1/player/events HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {gunicorn.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10**12}\r\n\r\n")
    started = time.monotonic()
    answer = gunicorn.raw(head, [b'{"events": ['])  # a terabyte announced, 12 bytes sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 3  # at once, not after a timeout


def chunked(data: bytes, size: int = 64 * 1024) -> list[bytes]:
    parts = [b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size])
             for i in range(0, len(data), size)]
    return [*parts, b"0\r\n\r\n"]


def test_a_chunked_body_is_cut_at_the_limit(gunicorn: Gunicorn) -> None:
    head = (f"POST /api/v1/player/events HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {gunicorn.token}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    small = gunicorn.raw(head, chunked(b'{"events": []}'))
    assert small.startswith(b"HTTP/1.1 200"), small[:300]  # chunked itself is fine
    padding = b" " * (3 * MB)  # JSON whitespace: only its size is wrong
    large = gunicorn.raw(head, chunked(b'{"events": []' + padding + b"}"))
    assert large.startswith(b"HTTP/1.1 413"), large[:300]


def test_workers_share_one_secret_kept_in_loa_home(gunicorn: Gunicorn) -> None:
    key_file = gunicorn.home / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secret_key("", gunicorn.home) == key_file.read_text()


def test_metrics_add_up_every_worker(gunicorn: Gunicorn) -> None:
    auth = {"Authorization": f"Bearer {gunicorn.token}"}
    status, _body, headers = gunicorn.get("/api/v1/player/schedule", auth)
    assert status == 200
    for _ in range(12):  # new connections: the kernel spreads them over both workers
        again = gunicorn.get("/api/v1/player/schedule", {**auth, "If-None-Match": headers["ETag"]})
        assert again[0] == 304
    status, text, _ = gunicorn.get("/metrics")
    assert status == 200
    found = re.search(rb'loa_schedule_requests_total\{status="304"\} (\S+)', text)
    assert found and float(found.group(1)) == 12.0, text.decode()[:2000]
    assert b"loa_players_online" in text


def test_healthz_names_the_scheduler_when_none_leads(gunicorn: Gunicorn) -> None:
    status, body, _ = gunicorn.get("/healthz")
    answer = json.loads(body)
    assert status == 503 and answer["failing"] == ["scheduler"]
    assert answer["checks"]["database"] == "ok" and answer["checks"]["disk"] == "ok"


def test_a_restart_keeps_the_secret(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = secret_key("", home)
    assert secret_key("", home) == first and len(first) == 64
    assert secret_key("set-by-operator", home) == "set-by-operator"


def test_sessions_signed_by_one_worker_are_read_by_another(tmp_path: Path) -> None:
    env = {"LOA_HOME": str(tmp_path / "home"), "LOA_DATABASE_URL": f"sqlite:///{tmp_path}/l.db"}
    apps = [create_app(build_services(load_settings(env), publisher=NullPublisher()))
            for _ in range(2)]  # two workers, or one before and after a restart
    signer, reader = (app.session_interface.get_signing_serializer(app) for app in apps)
    assert reader.loads(signer.dumps({"_user_id": 7})) == {"_user_id": 7}


def test_healthz_with_the_database_down_names_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL on a port nothing listens on: 503 at once, naming the database alone (the
    scheduler, read from it, is unknown); why is in the log, not in the answer."""
    env = {"LOA_HOME": str(tmp_path / "home"),
           "LOA_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/loa",
           "LOA_MQTT_URL": f"mqtt://127.0.0.1:{free_port()}"}
    app = create_app(build_services(load_settings(env), publisher=NullPublisher()))
    started = time.monotonic()
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503 and time.monotonic() - started < 10
    assert answer.json["failing"] == ["database"]
    assert answer.json["degraded"] == ["broker"]
    assert answer.json["checks"] == {"database": "failing", "broker": "failing", "disk": "ok",
                                     "audio": "ok", "scheduler": "unknown"}
    assert "unreachable" not in answer.get_data(as_text=True)
    assert "database unreachable" in caplog.text


def test_healthz_is_200_when_all_is_well(tmp_path: Path, broker: str, database_url: str) -> None:
    """On both databases: the leader is seen through the file lock or pg_locks."""
    from loa.scheduler.locks import leadership_for

    env = {"LOA_HOME": str(tmp_path / "home"), "LOA_DATABASE_URL": database_url,
           "LOA_MQTT_URL": broker}
    settings = load_settings(env)
    migrate.upgrade(settings.database_url)
    app = create_app(build_services(settings, publisher=NullPublisher()))
    leader = leadership_for(settings.database_url, settings.home)
    assert leader.ensure()  # a scheduler leads, as `loa scheduler` would
    try:
        answer = app.test_client().get("/healthz")
    finally:
        leader.release()
        app.extensions["loa"].sessions.kw["bind"].dispose()
    assert answer.status_code == 200, answer.json
    assert answer.json == {"ok": True, "failing": [], "degraded": [], "checks": dict.fromkeys(
        ("database", "broker", "disk", "audio", "scheduler"), "ok")}


def test_healthz_with_the_audio_store_gone_names_the_disk(tmp_path: Path) -> None:
    """The store's volume unmounted (its folder gone): 503 naming the disk, not a 500."""
    env = {"LOA_HOME": str(tmp_path / "home"),
           "LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'loa.db'}"}
    settings = load_settings(env)
    migrate.upgrade(settings.database_url)
    app = create_app(build_services(settings, publisher=NullPublisher()))
    shutil.rmtree(settings.audio_dir)
    try:
        answer = app.test_client().get("/healthz")
    finally:
        app.extensions["loa"].sessions.kw["bind"].dispose()
    assert answer.status_code == 503
    assert "disk" in answer.json["failing"] and answer.json["checks"]["disk"] == "failing"
