"""Two real `loa serve` processes on one PostgreSQL database: never two leaders at once.

The lock's connection of whichever server leads is killed with
pg_terminate_backend (as a PostgreSQL restart would), three times over; each
server's log (LOA_LOG_LEVEL=DEBUG, a 1-s tick) says when it won or lost the
lock and when it ran a job. On the merged timeline every job run belongs to
the one server that holds the lock, and after each kill one server leads again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from loa import migrate
from tests.helpers.servers import kill_backend, lock_holder
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.postgres
LOA = str(Path(sys.executable).parent / "loa")
WON, LOST, WAITS = "won the scheduler lock", "lost the scheduler lock", "waits its turn"
# A job whose lock check passed just before the kill may log its run just after it: half a
# second on a quiet machine, seconds when the test workers share two cores.
CHECKED_BEFORE_KILL = timedelta(seconds=3)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def events(self) -> list[tuple[datetime, str]]:
        """(time, won|lost|waits|ran) from this server's log."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            kind = (
                "won" if WON in line
                else "lost" if LOST in line
                else "waits" if WAITS in line
                else "ran" if "scheduler.runtime job" in line and line.endswith(" runs")
                else None
            )  # fmt: skip
            if kind:
                found.append((datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f"), kind))
        return found

    def saw(self, kind: str, after: datetime) -> bool:
        return any(k == kind and t > after for t, k in self.events())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def servers(postgres_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    migrate.upgrade(postgres_url)
    env = {
        **os.environ,
        "LOA_HOME": str(tmp_path / "home"),
        "LOA_DATABASE_URL": postgres_url,
        "LOA_SECRET_KEY": os.urandom(24).hex(),  # the server commands refuse a short key
        "LOA_SCHEDULER_TICK_SECONDS": "1",
        "LOA_LOG_LEVEL": "DEBUG",
    }
    started = []
    for name in ("A", "B"):
        log = tmp_path / f"serve-{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [LOA, "serve", "--port", str(free_port())],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        started.append(Server(name, process, log))
    yield started
    for server in started:
        server.process.send_signal(signal.SIGTERM)
    for server in started:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def test_a_killed_lock_connection_never_leaves_two_servers_running_jobs(
    servers: list[Server], postgres_url: str
) -> None:
    by_pid = {s.process.pid: s for s in servers}
    # One leads, the other has tried and waits its turn.
    assert wait_until(
        lambda: sum(s.saw("won", datetime.min) for s in servers) == 1
        and all(s.saw("won", datetime.min) or s.saw("waits", datetime.min) for s in servers),
        30,
    ), [s.log.read_text() for s in servers]
    kills: list[tuple[datetime, Server]] = []
    for _ in range(3):
        pid, _, application = lock_holder(postgres_url)
        victim = by_pid[int(application.rsplit(" ", 1)[1])]
        killed_at = datetime.now()
        kill_backend(postgres_url, pid)
        kills.append((killed_at, victim))

        def led_again(after: datetime = killed_at, old: Server = victim) -> bool:
            """The old leader noticed; one server (either) won the lock and runs jobs."""
            return old.saw("lost", after) and any(
                s.saw("won", after) and s.saw("ran", after) for s in servers
            )

        assert wait_until(led_again, 15), [s.log.read_text() for s in servers]
    stopped_at = datetime.now()

    timeline = sorted(
        [(t, kind, s) for s in servers for t, kind in s.events() if t < stopped_at]
        + [(t, "killed", s) for t, s in kills],
        key=lambda e: e[0],
    )
    holder: Server | None = None
    victim: Server | None = None
    killed_at = datetime.min
    for at, kind, server in timeline:
        if kind == "killed":
            assert holder is server
            holder, victim, killed_at = None, server, at
        elif kind == "won":
            assert holder is None, f"{server.name} won the lock at {at} while {holder} led"
            holder = server
        elif kind == "ran":
            late = server is victim and at - killed_at < CHECKED_BEFORE_KILL
            assert holder is server or late, f"{server.name} ran a job at {at}, not leading"
