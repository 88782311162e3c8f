"""PostgreSQL restarted while reference agents post their events: nothing lost, nothing twice.

Real processes: a private PostgreSQL cluster (stopped and started again by the
test, never the shared server), the app served over HTTP from threads, and
reference agents on simulated time posting to it.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from loa import migrate
from loa.compliance.models import AiringLogEntry
from loa.player.agent import Agent
from loa.simulate import run_until
from tests.conftest import Loa, need_server
from tests.pg_cluster import PG_BIN, PrivateCluster
from tests.players.conftest import World

AIRINGS = 12  # per station, 15 minutes apart: the restart falls among them
DEADLINE_S = 60.0


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    if not (PG_BIN / "pg_ctl").exists():
        need_server("PostgreSQL binaries in " + str(PG_BIN), FileNotFoundError(PG_BIN))
    made: PrivateCluster | None = None
    try:
        made = PrivateCluster()
        made.init()
    except (OSError, LookupError, subprocess.SubprocessError) as err:  # no user postgres: Lookup
        if made is not None:
            made.remove()
        need_server("a private PostgreSQL cluster", err)
    assert made is not None
    yield made
    made.remove()


@pytest.fixture
def database_url(cluster: PrivateCluster) -> str:
    migrate.upgrade(cluster.url)
    return cluster.url


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


class Restart(threading.Thread):
    """Stops the cluster while agents post, starts it once a post has failed."""

    def __init__(self, cluster: PrivateCluster, agents: list[Agent]) -> None:
        super().__init__(daemon=True)
        self.cluster, self.agents = cluster, agents
        self.go, self.down, self.up = threading.Event(), threading.Event(), threading.Event()
        self.failed_posts = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.go.wait(DEADLINE_S)
            self.cluster.stop("fast")
            self.down.set()
            wait_for(lambda: any(a.outbox.failures for a in self.agents), "a failed post")
            self.failed_posts = max(a.outbox.failures for a in self.agents)
            self.cluster.start()
        except BaseException as err:  # reported by the test thread
            self.error = err
        finally:
            self.down.set()
            self.up.set()


def test_postgres_restarted_while_agents_post_loses_and_doubles_nothing(
    cluster: PrivateCluster, world: World, make_agent: Callable[..., Agent], env: dict[str, str]
) -> None:
    first = world.clock.now() + timedelta(minutes=10)
    for station in (0, 1):
        for k in range(AIRINGS):
            world.add_airing(first + timedelta(minutes=15 * k), station)
    agents = [make_agent(player=p, home=f"agent{p}", heartbeat_s=120.0, backoff_cap_s=60.0)
              for p in (0, 1)]
    restart = Restart(cluster, agents)
    restart.start()
    middle = first + timedelta(minutes=15 * AIRINGS // 2)

    def around_the_restart(now: datetime) -> None:
        # The agents tick and post while it stops; time then waits until it is down,
        # and later until it is back, so some posts surely meet a stopped database.
        if now >= middle:
            restart.go.set()
        if now >= middle + timedelta(minutes=15):
            assert restart.down.wait(DEADLINE_S)
        if now >= middle + timedelta(minutes=45):
            assert restart.up.wait(DEADLINE_S)

    end = first + timedelta(minutes=15 * AIRINGS + 60)
    run_until(agents, world.clock, end, after_tick=around_the_restart)
    restart.join(DEADLINE_S)
    assert restart.error is None and restart.failed_posts > 0
    run_until(agents, world.clock, end + timedelta(hours=1))  # the outboxes drain

    assert [a.outbox.pending() for a in agents] == [0, 0]
    with world.services.sessions() as session:
        logged = session.execute(select(AiringLogEntry.station_id, AiringLogEntry.airing_id,
                                        AiringLogEntry.event)).all()
    for player, agent in zip(world.players, agents, strict=True):
        played = [p["airing_id"] for p in agent.output.played]  # type: ignore[attr-defined]
        assert len(played) >= AIRINGS
        # The players' airing events (the key enrolment is the server's entry, no airing).
        mine = sorted((a, e) for s, a, e in logged if s == player.station_id and a is not None)
        assert mine == sorted((a, e) for a in played
                              for e in ("airing.completed", "airing.started"))
    out = Loa({**env, "LOA_DATABASE_URL": cluster.url})("audit", "verify")
    assert f"OK: {len(logged)} mục nhật ký" in out
