"""The scheduler process: when its jobs fire, and only the process holding the lock runs them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from loa.clock import VN, FrozenClock
from loa.db import transaction
from loa.playlists.models import Airing, AiringStatus
from loa.scheduler.locks import Leadership, leadership_for
from loa.scheduler.runtime import Job, replan_job, run_as_leader, settle_job, start_scheduler
from loa.scheduler.service import plan
from loa.scheduler.settle import GRACE
from loa.services import Services
from tests.helpers.factories import hai_phong_month
from tests.helpers.servers import kill_backend, lock_holder
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.both_databases  # the database is the point here

TUESDAY_0800 = datetime(2026, 12, 1, 8, 0, tzinfo=VN)


def next_fires(runtime_job: object, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` times a job's trigger fires after ``after``, in Vietnam time."""
    trigger = runtime_job.trigger
    fires, previous, now = [], None, after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        fires.append(fire.astimezone(VN))
        previous, now = fire, fire + timedelta(microseconds=1)
    return fires


def test_jobs_fire_when_operators_rely_on_them(services: Services, clock: FrozenClock) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        plan(s, "2026-12", clock.now(), services.settings.airing_gap)
        first = s.scalars(select(Airing).order_by(Airing.starts_at)).first()
        assert first is not None
    clock.set(first.starts_at + timedelta(minutes=12) + GRACE)  # the server was down meanwhile

    def first_settled() -> bool:
        with services.sessions() as s:
            return s.get_one(Airing, first.id).status is AiringStatus.missed

    runtime = start_scheduler(services)
    try:
        # Settling runs at start (the overview is right after downtime), then every 5 minutes.
        assert wait_until(first_settled, seconds=10)
        jobs = {job.id: job for job in runtime.scheduler.get_jobs()}
        assert set(jobs) == {
            "settle", "replan", "plan_ahead", "live", "prune", "close", "checkpoint",
            "bulletin_end", "render", "sweep", "offers", "cap_feeds", "notify", "notify_risk",
        }
        # Queued renders start within 2 s of being queued by any web worker.
        render = next_fires(jobs["render"], TUESDAY_0800, 2)
        assert render[1] - render[0] == timedelta(seconds=2)
        settle = next_fires(jobs["settle"], TUESDAY_0800, 3)
        assert [b - a for a, b in itertools.pairwise(settle)] == [timedelta(minutes=5)] * 2
        # Live players are told their slot every tick (LOA_SCHEDULER_TICK_SECONDS, 5 s).
        live = next_fires(jobs["live"], TUESDAY_0800, 2)
        assert live[1] - live[0] == timedelta(seconds=5)
        # Make-ups are re-planned nightly at 00:05 Vietnam time, whatever the server's zone.
        assert next_fires(jobs["replan"], TUESDAY_0800, 2) == [
            datetime(2026, 12, 2, 0, 5, tzinfo=VN),
            datetime(2026, 12, 3, 0, 5, tzinfo=VN),
        ]
        # The render cache is pruned on Sunday nights at 03:00.
        assert next_fires(jobs["prune"], TUESDAY_0800, 2) == [
            datetime(2026, 12, 6, 3, 0, tzinfo=VN),
            datetime(2026, 12, 13, 3, 0, tzinfo=VN),
        ]
        # What killed renders left in the audio store goes hourly, at twenty to.
        sweep = next_fires(jobs["sweep"], TUESDAY_0800, 1)
        assert sweep == [datetime(2026, 12, 1, 8, 40, tzinfo=VN)]
        # A month closes hourly once its grace has passed, at twenty past.
        assert next_fires(jobs["close"], TUESDAY_0800, 2) == [
            datetime(2026, 12, 1, 8, 20, tzinfo=VN),
            datetime(2026, 12, 1, 9, 20, tzinfo=VN),
        ]
        # The chain heads are written outside the database every night at 00:30.
        assert next_fires(jobs["checkpoint"], TUESDAY_0800, 1) == [
            datetime(2026, 12, 2, 0, 30, tzinfo=VN)
        ]
        assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    finally:
        runtime.shutdown()
    assert not runtime.scheduler.running


def test_replan_then_settle_jobs_work_on_the_services_clock(
    services: Services, clock: FrozenClock
) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
    replan_job(services)
    with transaction(services.sessions) as s:
        planned = s.scalars(select(Airing).order_by(Airing.starts_at)).all()
        assert len(planned) == 6
        first_ids = {a.id for a in planned}
        last_end = planned[-1].starts_at + timedelta(minutes=12)
    clock.set(last_end + GRACE)
    settle_job(services)
    with transaction(services.sessions) as s:
        found = s.scalars(select(Airing)).all()
        assert {a.status for a in found if a.id in first_ids} == {AiringStatus.missed}
        make_ups = [a for a in found if a.id not in first_ids]
        assert len(make_ups) == 6 and all(a.starts_at > clock.now() for a in make_ups)


class Counted:
    """A job that counts its runs."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, _services: Services) -> None:
        self.runs += 1


@pytest.fixture
def two_servers(services: Services) -> Iterator[tuple[Leadership, Leadership]]:
    """The scheduler locks of two server processes on one database."""
    first = leadership_for(services.settings.database_url, services.settings.home)
    second = leadership_for(services.settings.database_url, services.settings.home)
    yield first, second
    first.release()
    second.release()


def test_only_the_process_holding_the_lock_runs_jobs_and_another_takes_over(
    services: Services, two_servers: tuple[Leadership, Leadership]
) -> None:
    first, second = two_servers
    counted = Counted()
    job = Job("settle", counted, IntervalTrigger(minutes=5))
    for _ in range(3):
        run_as_leader(job, services, first)
        run_as_leader(job, services, second)
    assert counted.runs == 3
    first.release()  # the leader stops
    run_as_leader(job, services, second)
    run_as_leader(job, services, first)  # now the follower
    assert counted.runs == 4
    assert second.ensure() and not first.ensure()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_lock_connection_is_never_idle_in_a_transaction(
    services: Services, two_servers: tuple[Leadership, Leadership], database_url: str
) -> None:
    first, _ = two_servers
    assert first.ensure() and first.ensure()  # won, then checked on the same connection
    _, state, name = lock_holder(database_url)
    assert state == "idle" and name.startswith("loa-scheduler ")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_leader_whose_connection_was_killed_stops_and_one_takes_over(
    services: Services, two_servers: tuple[Leadership, Leadership], database_url: str
) -> None:
    first, second = two_servers
    counted = Counted()
    job = Job("live", counted, IntervalTrigger(seconds=5))
    run_as_leader(job, services, first)
    run_as_leader(job, services, second)
    kill_backend(database_url, lock_holder(database_url)[0])  # as a PostgreSQL restart would
    run_as_leader(job, services, first)  # notices the loss: runs nothing
    assert counted.runs == 1
    run_as_leader(job, services, second)  # the follower's next tick wins the lock
    run_as_leader(job, services, first)  # the old leader tries to win it back, and cannot
    assert counted.runs == 2
    assert second.ensure() and not first.ensure()
    kill_backend(database_url, lock_holder(database_url)[0])
    assert not second.ensure()
    assert first.ensure()  # the old leader wins it back once it is free


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_lock_sits_beside_the_database_file(services: Services, tmp_path: Path) -> None:
    first = leadership_for(services.settings.database_url, services.settings.home)
    try:
        assert first.ensure()
        assert (tmp_path / "loa.db.scheduler-lock").exists()
    finally:
        first.release()
