"""Render jobs are rows: one queued per programme, claimed once, progress seen by every
process, and a job whose worker died is taken again after a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from loa.app import build_services
from loa.clock import FrozenClock
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.jobs import JobLost, claim, enqueue, finish, job_state, latest_job
from loa.playlists.models import Programme, ProgrammeStatus, RenderJob, RenderStatus
from loa.playlists.render_worker import RenderWorker
from loa.playlists.rendering import render
from loa.playlists.review import sign_approval
from loa.scheduler.service import approve_and_plan
from loa.services import Services
from loa.settings import Settings
from tests.conftest import START
from tests.helpers.render import programme

pytestmark = pytest.mark.both_databases  # the database is the point here


def worker(services: Services, name: str, wall: FrozenClock | None = None) -> RenderWorker:
    """A worker whose job clock is the test's (jobs here are queued at START)."""
    return RenderWorker(services.sessions, services.store, services.settings, services.clock,
                        wall=wall or FrozenClock(START), name=name)


def state(services: Services, pid: int) -> dict[str, object]:
    with transaction(services.sessions) as s:
        return job_state(latest_job(s, pid))


def test_one_job_per_programme_claimed_once_and_seen_by_another_process(
    services: Services, settings: Settings
) -> None:
    pid = programme(services)
    with transaction(services.sessions) as s:
        assert enqueue(s, pid, START, "xa")
        assert not enqueue(s, pid, START, "xa")  # already queued
    other = build_services(settings, clock=FrozenClock(START))  # a second web worker
    try:
        assert state(other, pid)["status"] == "queued" and state(other, pid)["running"]
        with transaction(services.sessions) as s:
            first = claim(s, "a", START, timedelta(seconds=60))
        with transaction(other.sessions) as s:
            assert claim(s, "b", START, timedelta(seconds=60)) is None
        assert first is not None and first.programme_id == pid
        worker(services, "a").run_one()  # it claims nothing more: "a" already holds it
        assert state(other, pid)["status"] == "running"
        run = worker(services, "a")
        run._render(first, _NoBeat())  # type: ignore[arg-type]
        done = state(other, pid)
        assert done["status"] == "done" and not done["running"]
        assert "Đã dựng xong" in str(done["message"])
        assert done["done"] == done["total"] >= 4
        with transaction(services.sessions) as s:
            assert enqueue(s, pid, START, "xa")  # a finished job does not block the next
    finally:
        other.sessions.kw["bind"].dispose()


class _NoBeat:
    lost = False


def test_a_job_whose_worker_died_is_taken_again(services: Services) -> None:
    pid = programme(services)
    wall = FrozenClock(START)
    with transaction(services.sessions) as s:
        enqueue(s, pid, START, "xa")
        dead = claim(s, "dead-host pid 1", wall.now(), timedelta(seconds=60))
    assert dead is not None
    wall.advance(seconds=30)  # the dead worker's heartbeat is still fresh: nobody takes it
    assert worker(services, "b", wall).run_one() is False
    wall.advance(seconds=31)  # past LOA_RENDER_STALE_SECONDS (60): taken again
    assert worker(services, "b", wall).run_one() is True
    with transaction(services.sessions) as s:
        job = s.scalars(select(RenderJob)).one()
        assert (job.status, job.worker, job.attempts) == (RenderStatus.done, "b", 2)
        assert s.get(Programme, pid).status is ProgrammeStatus.rendered  # type: ignore[union-attr]
        with pytest.raises(JobLost):  # the dead one, back from the dead, keeps nothing
            finish(s, job.id, "dead-host pid 1", wall.now(), False, "late")


def test_a_failed_render_says_why(services: Services) -> None:
    pid = programme(services, sentences=0)
    with transaction(services.sessions) as s:
        enqueue(s, pid, START, "xa")
    assert worker(services, "a").run_pending() == 1
    failed = state(services, pid)
    assert failed["status"] == "failed" and "chưa có đoạn nào" in str(failed["error"])


def _rows(services: Services) -> list[RenderJob]:
    with transaction(services.sessions) as s:
        return list(s.scalars(select(RenderJob)))


def _wait(services: Services, what: str, test, timeout: float = 120) -> RenderJob:  # type: ignore[no-untyped-def]
    """Read the job row until ``test`` holds (a worker process writes it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _rows(services)
        if rows and test(rows[0]):
            return rows[0]
        time.sleep(0.05)
    raise AssertionError(f"render job never {what}: {rows}")


def test_restart_mid_job_a_new_worker_process_finishes_it(
    services: Services, env: dict[str, str]
) -> None:
    """`loa worker` killed mid-render (kill -9: no goodbye); the next one finishes the job."""
    pid = programme(services, sentences=8)
    with transaction(services.sessions) as s:
        enqueue(s, pid, START, "xa")
    loa = str(Path(sys.executable).parent / "loa")
    run_env = {**os.environ, **env, "LOA_RENDER_STALE_SECONDS": "2"}
    first = subprocess.Popen([loa, "worker", "--poll", "0.2"], env=run_env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        job = _wait(services, "started", lambda j: j.done >= 1)
        first.send_signal(signal.SIGKILL)  # no more steps, no more heartbeats
        first.wait(30)
        job = _rows(services)[0]
        assert job.status is RenderStatus.running and job.done < job.total, "render too quick"
        stopped_at = job.done
        second = subprocess.Popen([loa, "worker", "--poll", "0.2"], env=run_env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            job = _wait(services, "finished", lambda j: j.status is RenderStatus.done)
        finally:
            second.terminate()
            assert second.wait(60) == 0, second.stderr.read() if second.stderr else ""
    finally:
        first.kill()
        first.wait(30)
    assert job.attempts == 2 and job.worker != _rows(services)[0].requested_by
    assert job.done == job.total > stopped_at
    with transaction(services.sessions) as s:
        assert s.get(Programme, pid).status is ProgrammeStatus.rendered  # type: ignore[union-attr]


def test_the_scheduler_of_a_single_process_runs_queued_renders(services: Services) -> None:
    """`loa serve` and `loa demo`: no `loa worker`, the scheduler's render job runs them."""
    from loa.scheduler.runtime import start_scheduler

    pid = programme(services)
    with transaction(services.sessions) as s:
        enqueue(s, pid, START, "xa")
    runtime = start_scheduler(services)
    try:
        job = _wait(services, "rendered", lambda j: j.status is RenderStatus.done)
    finally:
        runtime.shutdown()
    assert job.worker == runtime.renders.name and job.attempts == 1


def test_metrics_show_the_render_queue(services: Services, client) -> None:  # type: ignore[no-untyped-def]
    pid = programme(services)
    with transaction(services.sessions) as s:
        enqueue(s, pid, START, "xa")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'loa_render_jobs{status="queued"} 1.0' in text
    assert 'loa_render_jobs{status="running"} 0.0' in text


def test_a_worker_stopped_mid_render_puts_the_job_back(services: Services) -> None:
    """systemd stops `loa worker` (SIGTERM): the render stops at its next step, queued again."""
    import threading

    pid = programme(services, sentences=8)
    with transaction(services.sessions) as s:
        enqueue(s, pid, START, "xa")
    run = worker(services, "stopping")
    thread = threading.Thread(target=run.run_one)
    thread.start()
    try:
        _wait(services, "started", lambda j: j.done >= 1)
    finally:
        run.stop.set()
        thread.join(120)
    job = _rows(services)[0]
    assert (job.status, job.worker, job.done) == (RenderStatus.queued, None, 0)
    # A shutdown is not a failed attempt: three deploys mid-render must not fail the render.
    assert job.attempts == 0
    with transaction(services.sessions) as s:
        assert s.get(Programme, pid).status is ProgrammeStatus.draft  # type: ignore[union-attr]
    assert worker(services, "next").run_pending() == 1  # the next worker renders it at once
    assert _rows(services)[0].status is RenderStatus.done


def test_a_programme_approved_while_it_renders_keeps_its_approved_audio(
    services: Services,
) -> None:
    """`loa programme approve` does not look at render jobs: a render under way when the
    leader approves must not undo the approval nor put other audio under it (final)."""
    pid = programme(services)
    with transaction(services.sessions) as s:
        enqueue(s, pid, START, "xa")
    assert worker(services, "a").run_one() is True
    with transaction(services.sessions) as s:  # rendered; the operator renders it again
        approved_sha = s.get(Programme, pid).master_sha256  # type: ignore[union-attr]

    approved: list[int] = []

    def approve_meanwhile(done: int, total: int) -> None:
        if not approved:
            approved.append(done)
            with transaction(services.sessions) as s:  # the CLI, in another process
                sign_approval(s, pid, None)
                approve_and_plan(s, pid, services.clock.now(), services.settings.airing_gap)

    with pytest.raises(LoaError, match="đã duyệt"), transaction(services.sessions) as s:
        render(s, services.store, services.settings, pid, services.clock.now(),
               approve_meanwhile)
    assert approved
    with transaction(services.sessions) as s:
        kept = s.get(Programme, pid)
        assert kept is not None and kept.status is ProgrammeStatus.approved
        assert kept.master_sha256 == approved_sha
