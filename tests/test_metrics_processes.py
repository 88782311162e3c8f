"""Render figures of `loa scheduler` and `loa worker` reach /metrics under gunicorn, and a
gunicorn (re)start does not wipe them (issue 15 §9: render metrics stayed at 0)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from loa import migrate
from tests.helpers.servers import LOA, free_port

pytestmark = pytest.mark.real_time
RENDERED = """
import sys
from pathlib import Path
from loa.metrics_files import use_process_folder
use_process_folder("worker", Path(sys.argv[1]))
from loa.metrics import RENDER_SECONDS
RENDER_SECONDS.observe(7)
"""


class Web:
    """`loa web` (gunicorn) on a free port, started and stopped by the test."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.port = env, log, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [LOA, "web", "--workers", "1", "--bind", f"127.0.0.1:{self.port}"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.metrics()
                return
            except OSError:
                assert time.monotonic() < deadline, self.log.read_text()
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
            self.process = None

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as got:
            return got.read().decode()


def renders_counted(text: str) -> float:
    found = re.search(r"^loa_render_seconds_count (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOA_", "PROMETHEUS"))}
    env.update(LOA_HOME=str(tmp_path / "home"), LOA_DATABASE_URL=f"sqlite:///{tmp_path / 'l.db'}")
    migrate.upgrade(env["LOA_DATABASE_URL"])
    server = Web(env, tmp_path / "web.log")
    server.start()
    yield server
    server.stop()


def test_a_render_workers_figures_show_and_survive_a_gunicorn_restart(
    web: Web, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    assert renders_counted(web.metrics()) == 0
    subprocess.run([sys.executable, "-c", RENDERED, str(home)], env=web.env, check=True)
    assert renders_counted(web.metrics()) == 1
    web.stop()
    web.start()  # gunicorn empties its own folder only
    assert renders_counted(web.metrics()) == 1


@pytest.mark.parametrize("command", [["worker", "--poll", "0.2"], ["scheduler"]])
def test_the_scheduler_and_worker_write_into_folders_of_their_own(
    web: Web, tmp_path: Path, command: list[str]
) -> None:
    """Each gets ``<kind>-<pid>/`` under the root /metrics reads; a dead one's folder goes
    when the next starts."""
    root = tmp_path / "home" / "prometheus"
    dead = root / f"{command[0]}-999999"
    dead.mkdir(parents=True)
    with (tmp_path / "process.log").open("wb") as log:
        process = subprocess.Popen([LOA, *command], env=web.env, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        own = root / f"{command[0]}-{process.pid}"
        deadline = time.monotonic() + 30
        while not own.is_dir():
            assert process.poll() is None, (tmp_path / "process.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert not dead.exists() and (root / "web").is_dir()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
