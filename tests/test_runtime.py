"""The scheduler process: its jobs, and only one process running them on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from loa.app import build_services
from loa.clock import FrozenClock
from loa.db import transaction
from playlists.models import Airing, AiringStatus
from scheduler.runtime import replan_job, settle_job, start_scheduler
from scheduler.settle import GRACE
from tests.factories import hai_phong_month
from web.context import Services


def test_jobs_are_registered_and_stop_cleanly(services: Services) -> None:
    runtime = start_scheduler(services)
    try:
        assert {job.id for job in runtime.scheduler.get_jobs()} == {
            "settle",
            "replan",
            "live",
            "prune",
            "checkpoint",
        }
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
        airings = s.scalars(select(Airing).order_by(Airing.starts_at)).all()
        assert len(airings) == 6
        last_end = airings[-1].starts_at + timedelta(minutes=12)
    clock.set(last_end + GRACE)
    settle_job(services)
    with transaction(services.sessions) as s:
        assert set(s.scalars(select(Airing.status))) == {AiringStatus.missed}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_second_process_does_not_run_the_jobs(services: Services) -> None:
    first = start_scheduler(services)
    other = build_services(services.settings, clock=services.clock)
    second = start_scheduler(other)
    try:
        assert first.scheduler.running and not second.scheduler.running
    finally:
        first.shutdown()
        second.shutdown()
        other.sessions.kw["bind"].dispose()
    third = start_scheduler(services)  # the lock is free again once the first has stopped
    try:
        assert third.scheduler.running
    finally:
        third.shutdown()
