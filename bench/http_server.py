"""A real `loa web` (gunicorn) on a throwaway PostgreSQL database, for the HTTP benchmarks."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psutil

from bench.fleet_seed import BenchPlayer, seed_players
from loa import migrate
from loa.app import build_services
from loa.settings import load_settings
from loa.stations.push import NullPublisher


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    players: list[BenchPlayer]
    seen: dict[int, float] = field(default_factory=dict)  # pid -> CPU seconds last read

    def processes(self) -> list[psutil.Process]:
        master = psutil.Process(self.process.pid)
        return [master, *master.children(recursive=True)]

    def cpu_seconds(self) -> float:
        """CPU seconds of every server process so far, including workers gunicorn has
        recycled since (their last reading stays counted)."""
        for proc in self.processes():
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            self.seen[proc.pid] = times.user + times.system
        return sum(self.seen.values())

    def rss_mb(self) -> float:
        total = 0
        for proc in self.processes():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total / 2**20


@contextmanager
def gunicorn_on(database_url: str, work: Path, players: int, workers: int, now: datetime,
                threads: int = 4) -> Iterator[Server]:
    """Migrate, seed ``players`` in bulk, start `loa web --workers N`, stop it afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOA_", "PROMETHEUS"))}
    env.update(LOA_HOME=str(work / "home"), LOA_DATABASE_URL=database_url,
               LOA_LOG_LEVEL="WARNING", LOA_WEB_THREADS=str(threads))
    settings = load_settings(env)
    migrate.upgrade(database_url)
    services = build_services(settings, publisher=NullPublisher())
    seeded = seed_players(services, players, now, work)
    services.sessions.kw["bind"].dispose()
    port = free_port()
    loa = shutil.which("loa") or str(Path(__file__).resolve().parents[1] / ".venv/bin/loa")
    log = (work / "web.log").open("wb")
    process = subprocess.Popen([loa, "web", "--workers", str(workers),
                                "--bind", f"127.0.0.1:{port}"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/openapi.json", timeout=5):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError((work / "web.log").read_text()) from None
            time.sleep(0.2)
    try:
        yield Server(url, process, seeded)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        log.close()
