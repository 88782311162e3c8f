"""Render jobs as rows: the web queues one, any worker claims and runs it.

A job is claimed atomically (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
compare-and-set ``UPDATE`` on SQLite), its progress and a heartbeat are written
to the row so every web worker shows them, and a job whose worker stopped
beating (a killed process) is claimed again by the next worker that looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loa.playlists.models import RenderJob, RenderStatus

ACTIVE = (RenderStatus.queued, RenderStatus.running)
IDLE_STATE: dict[str, Any] = {
    "status": None, "running": False, "done": 0, "total": 0, "error": None, "message": None,
}  # fmt: skip


class JobLost(Exception):
    """The job was claimed by another worker (this one was taken for dead), or stopped."""


def enqueue(session: Session, programme_id: int, now: datetime, by: str | None) -> bool:
    """Queue a render of the programme; False if one is already queued or running.

    Cases: two requests at once (two web workers) both insert; the partial unique
    index lets one in and the other is told the programme is already rendering.
    """
    if active_job(session, programme_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(RenderJob(programme_id=programme_id, created_at=now, requested_by=by))
    except IntegrityError:
        return False
    return True


def active_job(session: Session, programme_id: int) -> RenderJob | None:
    """The programme's render waiting or under way, if any."""
    return session.scalar(
        select(RenderJob).where(
            RenderJob.programme_id == programme_id, RenderJob.status.in_(ACTIVE)
        )
    )


def latest_job(session: Session, programme_id: int) -> RenderJob | None:
    return session.scalar(
        select(RenderJob)
        .where(RenderJob.programme_id == programme_id)
        .order_by(RenderJob.id.desc())
        .limit(1)
    )


def job_state(job: RenderJob | None) -> dict[str, Any]:
    """A job as the status endpoint and the page show it (queued counts as running)."""
    if job is None:
        return dict(IDLE_STATE)
    failed = job.status is RenderStatus.failed
    return {
        "status": job.status.value,
        "running": job.status in ACTIVE,
        "done": job.done,
        "total": job.total,
        "error": job.message if failed else None,
        "message": job.message if job.status is RenderStatus.done else None,
    }


def _claimable(stale_before: datetime) -> Any:
    return or_(
        RenderJob.status == RenderStatus.queued,
        (RenderJob.status == RenderStatus.running) & (RenderJob.heartbeat_at < stale_before),
    )


@dataclass(frozen=True)
class Claim:
    job_id: int
    programme_id: int
    attempts: int


def claim(session: Session, worker: str, now: datetime, stale: timedelta) -> Claim | None:
    """Take the oldest queued job, or a running one whose worker stopped beating.

    The caller commits at once. Two workers never hold one job: on PostgreSQL the
    candidate row is locked and others skip it; on SQLite (one writer at a time)
    the update only succeeds while the row is still claimable.
    """
    claimable = _claimable(now - stale)
    candidates = select(RenderJob.id).where(claimable).order_by(RenderJob.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    job_id = session.scalar(candidates)
    if job_id is None:
        return None
    taken = session.execute(
        update(RenderJob)
        .where(RenderJob.id == job_id, claimable)
        .values(
            status=RenderStatus.running, worker=worker, started_at=now, heartbeat_at=now,
            attempts=RenderJob.attempts + 1, done=0, total=0,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None  # another worker won it between the two statements
    row = session.execute(
        select(RenderJob.programme_id, RenderJob.attempts).where(RenderJob.id == job_id)
    ).one()
    return Claim(job_id, row.programme_id, row.attempts)


def _mine(job_id: int, worker: str) -> Any:
    return (
        (RenderJob.id == job_id)
        & (RenderJob.worker == worker)
        & (RenderJob.status == RenderStatus.running)
    )


def beat(session: Session, job_id: int, worker: str, now: datetime, **values: Any) -> None:
    """Write the heartbeat (and progress); JobLost if another worker has the job now."""
    written = session.execute(
        update(RenderJob)
        .where(_mine(job_id, worker))
        .values(heartbeat_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:  # type: ignore[attr-defined]
        raise JobLost(job_id)


def finish(
    session: Session, job_id: int, worker: str, now: datetime, ok: bool, message: str
) -> None:
    """Record the outcome; JobLost if the job is no longer this worker's (nothing kept)."""
    status = RenderStatus.done if ok else RenderStatus.failed
    beat(session, job_id, worker, now, status=status, message=message, finished_at=now)


def release(session: Session, job_id: int, worker: str) -> None:
    """Put a job this worker stops before its end back in the queue (a shutdown, which
    does not count among its attempts: only a worker that died does)."""
    session.execute(
        update(RenderJob)
        .where(_mine(job_id, worker))
        .values(status=RenderStatus.queued, worker=None, heartbeat_at=None, done=0, total=0,
                attempts=RenderJob.attempts - 1)
        .execution_options(synchronize_session=False)
    )


def mark_shown(session: Session, job: RenderJob, now: datetime) -> None:
    """The page showed the finished job's outcome: it is not shown again."""
    session.execute(
        update(RenderJob).where(RenderJob.id == job.id).values(shown_at=now)
        .execution_options(synchronize_session=False)
    )
