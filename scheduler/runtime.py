"""The APScheduler runtime: thin jobs that load, call a rule, store."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, text

from audio.cache import prune_cache
from loa.db import transaction
from playlists.rendering import render_cache
from scheduler.checkpoint import checkpoint_job
from scheduler.live import LiveDispatcher
from scheduler.service import plan
from scheduler.settle import settle_airings
from web.context import Services

logger = logging.getLogger(__name__)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
LOCK_KEY = 0x4C4F41  # "LOA": the advisory lock only one scheduler process may hold


def settle_job(services: Services) -> None:
    """Mark finished airings aired, failed or missed."""
    with transaction(services.sessions) as session:
        counts = settle_airings(session, services.clock.now())
    if counts:
        logger.info("settled airings: %s", {k.value: v for k, v in counts.items()})


def replan_job(services: Services) -> None:
    """Plan this month again: fills make-up airings for missed ones, never duplicates."""
    now = services.clock.now()
    month = now.astimezone(VN).strftime("%Y-%m")
    with transaction(services.sessions) as session:
        report = plan(session, month, now, services.publisher)
    added = sum(r.planned for r in report.rows)
    if added:
        logger.info("replanned %s: %d make-up airings", month, added)


def live_job(services: Services, dispatcher: LiveDispatcher) -> None:
    """Announce slots that have come to live-mode players."""
    with transaction(services.sessions) as session:
        dispatcher.dispatch(session, services.clock.now(), services.publisher)


def prune_job(services: Services) -> None:
    """Drop render cache files no render used for LOA_TTS_CACHE_DAYS."""
    settings = services.settings
    pruned = prune_cache(render_cache(settings), settings.tts_cache_days)
    if pruned.files:
        logger.info("pruned %d cache files (%d bytes)", pruned.files, pruned.bytes)


def _hold_lock(services: Services) -> tuple[bool, Connection | None]:
    """Whether this process may run the jobs, and the PostgreSQL session holding the lock."""
    engine = services.sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return True, None  # SQLite is one machine's file: one server process by design
    conn = engine.connect()
    if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
        return True, conn
    conn.close()
    return False, None


@dataclass
class Runtime:
    scheduler: BackgroundScheduler
    lock: Connection | None  # the PostgreSQL session holding the advisory lock

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # let a running job finish its transaction
        if self.lock is not None:
            # Unlock explicitly: closing only returns the session to the pool, still locked.
            self.lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            self.lock.close()


def start_scheduler(services: Services) -> Runtime:
    """Start the jobs unless another process already runs them."""
    scheduler = BackgroundScheduler(timezone=VN)
    may_run, lock = _hold_lock(services)
    if not may_run:
        logger.info("another scheduler holds the lock; this process only serves")
        return Runtime(scheduler, None)
    common = {"args": [services], "coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    # Settle once at start too: after downtime the overview should not wait 5 minutes.
    scheduler.add_job(settle_job, "interval", minutes=5, id="settle",
                      next_run_time=datetime.now(VN), **common)
    live = {**common, "args": [services, LiveDispatcher(services.clock.now())]}
    scheduler.add_job(live_job, "interval", seconds=5, id="live", **live)
    scheduler.add_job(prune_job, "cron", day_of_week="sun", hour=3, id="prune", **common)
    scheduler.add_job(replan_job, "cron", hour=0, minute=5, id="replan", **common)
    scheduler.add_job(checkpoint_job, "cron", hour=0, minute=30, id="checkpoint", **common)
    scheduler.start()
    return Runtime(scheduler, lock)
