"""The render worker: claims queued render jobs and runs them, beating while it works.

It runs in `loa worker` (any number, on any node) and as the scheduler's
``render`` job (so `loa serve` and `loa demo` render in one process).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from loa.audio.children import Children, RenderStopped
from loa.audio.errors import AudioError
from loa.audio.store import AudioStore
from loa.clock import Clock, SystemClock
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.jobs import Claim, JobLost, beat, claim, finish, release
from loa.settings import Settings

logger = logging.getLogger(__name__)
# A job claimed this many times (its workers died each time, e.g. out of memory) fails.
MAX_ATTEMPTS = 3
_BRACKETED = re.compile(r"^(?P<vi>.+?)\s*\((?P<en>[^()]+)\)\s*$", re.S)
UNEXPECTED = "Lỗi không mong đợi khi dựng âm thanh (unexpected render error)"
TOO_MANY = "Dựng âm thanh bị gián đoạn quá nhiều lần (render interrupted too many times)"


def worker_name() -> str:
    """This process as it appears on the jobs it runs: host and pid."""
    return f"{socket.gethostname()[:80]} pid {os.getpid()}"


def rendered_message(duration_ms: int, problem: str | None) -> str:
    """What the operator reads when the render is done, "Vietnamese (English)"."""
    seconds = duration_ms // 1000
    mins, secs = seconds // 60, seconds % 60
    said, english = f"Đã dựng xong ({mins} phút {secs} giây)", f"rendered: {mins} min {secs} s"
    if problem:  # itself "Vietnamese (English)": each half goes to its side
        found = _BRACKETED.match(problem)
        vi, en = (found.group("vi"), found.group("en")) if found else (problem, problem)
        said, english = f"{said} — cảnh báo: chương trình {vi}", f"{english}; warning: {en}"
    return f"{said} ({english})"


class _Stop(threading.Event):
    """Set to stop the worker: the render under way is stopped at once, its child
    processes (espeak-ng, ffmpeg) killed, and its job goes back to the queue."""

    def __init__(self) -> None:
        super().__init__()
        self.render: Children | None = None

    def set(self) -> None:
        super().set()
        render = self.render
        if render is not None:
            render.stop()


class RenderWorker:
    """Runs render jobs from the table; ``stop`` ends it between (or inside) jobs."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: AudioStore,
        settings: Settings,
        clock: Clock,
        wall: Clock | None = None,
        name: str | None = None,
    ) -> None:
        self.sessions, self.store, self.settings, self.clock = sessions, store, settings, clock
        self.wall = wall or SystemClock()  # heartbeats: real time, comparable across processes
        self.name = name or worker_name()
        self.stale = timedelta(seconds=settings.render_stale_s)
        self.stop = _Stop()

    def run_pending(self) -> int:
        """Run jobs until none is left to claim (or asked to stop); how many ran."""
        ran = 0
        while not self.stop.is_set() and self.run_one():
            ran += 1
        return ran

    def serve(self, poll_s: float = 2.0) -> None:
        """Run jobs as they come until ``stop`` is set (`loa worker`)."""
        logger.info("render worker %s started", self.name)
        while not self.stop.is_set():
            self.run_pending()
            self.stop.wait(poll_s)

    def run_one(self) -> bool:
        """Claim one job and run it to its end; False when there was none."""
        with transaction(self.sessions) as session:
            got = claim(session, self.name, self.wall.now(), self.stale)
        if got is None:
            return False
        if got.attempts > 1:
            logger.warning("render job %s taken again (attempt %d)", got.job_id, got.attempts)
        if got.attempts > MAX_ATTEMPTS:
            self._finish(got, ok=False, message=TOO_MANY)
            return True
        render = Children()
        beating = _Heartbeat(self, got.job_id, render)
        self.stop.render = render
        if self.stop.is_set():  # stopped just before: the new render must not start
            render.stop()
        beating.start()
        try:
            with render.scope():
                self._render(got, beating)
        except (JobLost, RenderStopped):
            self._stopped(got)
        except (LoaError, AudioError) as err:
            if render.stopped:  # a child killed by the stop fails in its own words
                self._stopped(got)
            else:
                self._finish(got, ok=False, message=str(err))
        except Exception:  # the job's outermost frame: report, never die silently
            logger.exception("render of programme %s failed", got.programme_id)
            self._finish(got, ok=False, message=UNEXPECTED)
        finally:
            self.stop.render = None
            render.stop()  # nothing the render started outlives it
            beating.halt()
        return True

    def _stopped(self, got: Claim) -> None:
        if self.stop.is_set():  # a shutdown: the next worker starts it again at once
            with transaction(self.sessions) as session:
                release(session, got.job_id, self.name)
        else:
            logger.warning("render job %s was taken by another worker", got.job_id)

    def _render(self, got: Claim, beating: _Heartbeat) -> None:
        from loa.playlists.rendering import render  # audio libraries only where renders run

        def progress(done: int, total: int) -> None:
            if self.stop.is_set() or beating.lost:
                raise JobLost(got.job_id)
            with transaction(self.sessions) as session:
                beat(session, got.job_id, self.name, self.wall.now(), done=done, total=total)

        with transaction(self.sessions) as session:
            outcome = render(
                session, self.store, self.settings, got.programme_id, self.clock.now(), progress
            )
            message = rendered_message(outcome.programme.duration_ms or 0, outcome.problem)
            # In the render's own transaction: a job taken by another worker keeps nothing.
            finish(session, got.job_id, self.name, self.wall.now(), True, message)
        logger.info("rendered programme %s (job %s)", got.programme_id, got.job_id)

    def _finish(self, got: Claim, ok: bool, message: str) -> None:
        try:
            with transaction(self.sessions) as session:
                finish(session, got.job_id, self.name, self.wall.now(), ok, message)
        except JobLost:
            logger.warning("render job %s was taken by another worker", got.job_id)


class _Heartbeat:
    """Beats for one job while it runs, so a long step is not taken for a dead worker."""

    def __init__(self, worker: RenderWorker, job_id: int, render: Children) -> None:
        self.worker, self.job_id, self.lost = worker, job_id, False
        self.render = render
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loa-render-beat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def halt(self) -> None:
        self._halt.set()
        self._thread.join()

    def _run(self) -> None:
        every = self.worker.stale.total_seconds() / 4
        while not self._halt.wait(every):
            try:
                with transaction(self.worker.sessions) as session:
                    beat(session, self.job_id, self.worker.name, self.worker.wall.now())
            except JobLost:
                self.lost = True
                self.render.stop()  # another worker has it: this one's work is wasted
                return
            except Exception:  # the thread's outermost frame: a database hiccup, beat again
                logger.exception("render heartbeat of job %s failed", self.job_id)

