"""/healthz as a deployment meets it (issue 15 §9): the audio store readable by nginx's group,
the leader lock of this database only, a broker outage a degradation, not a failure."""

from __future__ import annotations

import os
import socket
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from loa import migrate
from loa.app import build_services, create_app
from loa.audio.store import AudioStore
from loa.scheduler.locks import Leadership, leadership_for
from loa.settings import load_settings
from loa.stations.push import NullPublisher
from tests.conftest import PG_SERVER


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Node:
    """One web node's app on ``database_url``, and the health it reports."""

    def __init__(self, tmp_path: Path, database_url: str, **extra: str) -> None:
        env = {"LOA_HOME": str(tmp_path / "home"), "LOA_DATABASE_URL": database_url, **extra}
        self.settings = load_settings(env)
        migrate.upgrade(self.settings.database_url)
        self.services = build_services(self.settings, publisher=NullPublisher())
        self.app = create_app(self.services)

    def health(self) -> tuple[int, dict[str, Any]]:
        """A fresh look each time (the checks' 5-s cache has tests of its own)."""
        self.app.extensions.pop("loa.health", None)
        answer = self.app.test_client().get("/healthz")
        return answer.status_code, answer.json

    def close(self) -> None:
        self.services.sessions.kw["bind"].dispose()


@pytest.fixture
def leading() -> Iterator[list[Leadership]]:
    held: list[Leadership] = []
    yield held
    for lock in held:
        lock.release()


def lead(held: list[Leadership], database_url: str, home: Path) -> None:
    lock = leadership_for(database_url, home)
    assert lock.ensure()
    held.append(lock)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_scheduler_of_another_database_on_the_server_does_not_lead_this_one(
    tmp_path: Path, database_url: str, leading: list[Leadership]
) -> None:
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    other = f"loa_other_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{other}"'))
    node = Node(tmp_path, database_url)
    try:
        lead(leading, PG_SERVER.rsplit("/", 1)[0] + "/" + other, tmp_path)  # another Loa leads
        status, body = node.health()
        assert status == 503 and body["failing"] == ["scheduler"], body
        lead(leading, database_url, tmp_path)  # now this one's scheduler
        status, body = node.health()
        assert status == 200 and body["checks"]["scheduler"] == "ok", body
    finally:
        node.close()
        for lock in leading:
            lock.release()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)'))
        admin.dispose()


def test_a_broker_outage_is_a_degradation_not_a_failure(
    tmp_path: Path, database_url: str, leading: list[Leadership],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Players poll without push: the node stays in the load balancer (200), and says so."""
    node = Node(tmp_path, database_url, LOA_MQTT_URL=f"mqtt://127.0.0.1:{closed_port()}")
    try:
        lead(leading, database_url, node.settings.home)
        status, body = node.health()
    finally:
        node.close()
    assert status == 200, body
    assert body["ok"] is True and body["failing"] == [] and body["degraded"] == ["broker"]
    assert body["checks"]["broker"] == "failing" and "broker unreachable" in caplog.text


def test_stored_audio_is_readable_by_the_web_servers_group(tmp_path: Path) -> None:
    """Files 0640 and folders 2750 (the group handed down), whatever the umask."""
    old = os.umask(0o077)
    try:
        master = tmp_path / "master.mp3"
        master.write_bytes(b"ID3 group-readable")
        stored = AudioStore(tmp_path / "audio").put_file(master)
    finally:
        os.umask(old)
    assert stat.S_IMODE(stored.path.stat().st_mode) == 0o640
    for folder in (stored.path.parent, tmp_path / "audio"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o2750


def test_healthz_names_audio_nginx_cannot_read(
    tmp_path: Path, leading: list[Leadership], caplog: pytest.LogCaptureFixture
) -> None:
    """A file written 0600 (as the store did before), or given another group (written by root
    outside the set-group-id folders), is a 403 behind nginx: /healthz names the audio as
    failing, and its log the file."""
    url = f"sqlite:///{tmp_path / 'loa.db'}"
    node = Node(tmp_path, url, LOA_ACCEL_REDIRECT="/_audio/")
    try:
        lead(leading, url, node.settings.home)
        master = tmp_path / "master.mp3"
        master.write_bytes(b"ID3 served by nginx")
        stored = node.services.store.put_file(master)
        assert node.health()[0] == 200
        stored.path.chmod(0o600)
        status, body = node.health()
        assert status == 503 and body["failing"] == ["audio"]
        assert str(stored.path) in caplog.text and str(stored.path) not in str(body)
        caplog.clear()
        stored.path.chmod(0o640)
        os.chown(stored.path, -1, os.getgid() + 1)  # another group: nginx is not in it
        status, body = node.health()
        assert status == 503 and str(stored.path) in caplog.text
    finally:
        node.close()


def test_what_a_killed_render_left_is_swept_and_never_backed_up(
    tmp_path: Path, loa: Any, env: dict[str, str]
) -> None:
    """A render killed mid-way leaves `.render-…/` (and a write its `.put-…`) in the store:
    the backup leaves them out, and the sweep removes them once stale, not before."""
    import json
    import tarfile
    import time

    loa("init")
    audio = Path(env["LOA_HOME"]) / "audio"
    left = [audio / ".render-k1ll3d" / ".enc-x.mp3", audio / ".put-abc.tmp",
            audio / "ab" / ".put-def.tmp"]
    fresh = audio / ".render-now" / "master.mp3"
    for path in [*left, fresh]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a render")
    hours_ago = time.time() - 7 * 3600
    for path in [*left, *(p.parent for p in left)]:
        os.utime(path, (hours_ago, hours_ago))
    os.utime(audio, None)
    loa("backup", str(tmp_path / "b.tar"))
    with tarfile.open(tmp_path / "b.tar") as tar:
        files = json.loads(tar.extractfile("manifest.json").read())["files"]  # type: ignore[union-attr]
    assert not [name for name in files if "/." in name]
    assert "3 tệp tạm cũ" in loa("tts", "prune-cache")
    assert not any(path.exists() for path in left) and fresh.exists()


def test_verify_names_stored_audio_nginx_cannot_read(
    tmp_path: Path, loa: Any, env: dict[str, str]
) -> None:
    """`loa audit verify` (nightly) reads every stored file's mode, not only a sample."""
    from loa.audio.store import AudioStore

    env["LOA_ACCEL_REDIRECT"] = "/_audio/"
    loa("init")
    master = tmp_path / "clip.mp3"
    master.write_bytes(b"ID3 a clip")
    stored = AudioStore(Path(env["LOA_HOME"]) / "audio").put_file(master)
    assert "OK:" in loa("audit", "verify")
    stored.path.chmod(0o600)
    said = loa("audit", "verify", ok=False)
    assert str(stored.path) in said and "audio unreadable" in said
