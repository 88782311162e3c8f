"""The APScheduler runtime: thin jobs that load, call a rule, store; run by one process only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from loa.audio.cache import prune_cache
from loa.audio.store import sweep_temporary
from loa.clock import VN
from loa.db import transaction
from loa.notify.jobs import notify_job, risk_job
from loa.playlists.bulletin_offers import accept_due_offers
from loa.playlists.bulletins import end_past_bulletins
from loa.playlists.render_worker import RenderWorker
from loa.playlists.rendering import render_cache
from loa.scheduler.bulletin_slots import place_unplaced, settle_slots, slot_placer
from loa.scheduler.cap_poll import CAP_TICK_S, cap_feeds_job
from loa.scheduler.checkpoint import checkpoint_job
from loa.scheduler.closing import close_job
from loa.scheduler.live import LiveDispatcher
from loa.scheduler.locks import Leadership, leadership_for
from loa.scheduler.plan_months import next_month, plan_due_months
from loa.scheduler.service import plan, settle_and_make_up
from loa.services import Services

logger = logging.getLogger(__name__)
RENDER_POLL_S = 2  # how often the leader looks for queued renders


def settle_job(services: Services) -> None:
    """Mark finished airings aired, failed or missed, and plan make-ups for the lost ones;
    settle finished bulletin slots, and place any sent bulletin still without slots."""
    with transaction(services.sessions) as session:
        settled, plans = settle_and_make_up(
            session, services.clock.now(), services.settings.airing_gap,
            timedelta(minutes=services.settings.start_tolerance_minutes),
        )
    if settled.counts:
        logger.info("settled airings: %s", {k.value: v for k, v in settled.counts.items()})
    added = sum(r.planned for p in plans for r in p.rows)
    if added:
        logger.info("planned %d make-up airings", added)
    with transaction(services.sessions) as session:
        slots = settle_slots(session, services.clock.now(),
                             timedelta(minutes=services.settings.start_tolerance_minutes))
        placed = place_unplaced(session, services.clock.now(), services.settings.airing_gap)
    if slots:
        logger.info("settled bulletin slots: %s", {k.value: v for k, v in slots.items()})
    if placed:
        logger.info("placed %d bulletins that had no slots", placed)


def replan_job(services: Services) -> None:
    """Plan this month again: fills make-up airings for missed ones, never duplicates."""
    now = services.clock.now()
    month = now.astimezone(VN).strftime("%Y-%m")
    with transaction(services.sessions) as session:
        report = plan(session, month, now, services.settings.airing_gap)
    added = sum(r.planned for r in report.rows)
    if added:
        logger.info("replanned %s: %d make-up airings", month, added)


def plan_ahead_job(services: Services) -> None:
    """From the 20th, plan next month for every station (idempotent: fills only what is missing)."""
    now = services.clock.now()
    month = next_month(now)
    if month is None:
        return
    with transaction(services.sessions) as session:
        report = plan(session, month, now, services.settings.airing_gap)
    added = sum(r.planned for r in report.rows)
    if added:
        logger.info("planned %s ahead: %d airings", month, added)


def live_job(services: Services, dispatcher: LiveDispatcher) -> None:
    """Announce slots that have come to live-mode players."""
    with transaction(services.sessions) as session:
        dispatcher.dispatch(session, services.clock.now(), services.publisher)


def bulletin_end_job(services: Services) -> None:
    """Active bulletins whose validity window is over become ended."""
    with transaction(services.sessions) as session:
        ended = end_past_bulletins(session, services.clock.now())
    if ended:
        logger.info("bulletins ended: %s", ended)


def offers_job(services: Services) -> None:
    """Offers from above not answered within LOA_OFFER_HOURS are accepted and placed."""
    settings = services.settings
    with transaction(services.sessions) as session:
        accepted = accept_due_offers(session, services.clock.now(), settings.offer_hours,
                                     slot_placer(settings.airing_gap))
    if accepted:
        logger.info("offers accepted by the clock: %s",
                    [(o.bulletin_id, o.station_id) for o in accepted])


def prune_job(services: Services) -> None:
    """Drop render cache files no render used for LOA_TTS_CACHE_DAYS."""
    settings = services.settings
    pruned = prune_cache(render_cache(settings), settings.tts_cache_days)
    if pruned.files:
        logger.info("pruned %d cache files (%d bytes)", pruned.files, pruned.bytes)


def sweep_job(services: Services) -> None:
    """Remove what killed renders and writes left in the audio store (older than 6 hours)."""
    swept = sweep_temporary(services.store.root)
    if swept:
        logger.info("swept %d stale temporaries from the audio store", swept)


def render_job(services: Services, worker: RenderWorker) -> None:
    """Run the queued renders (a `loa worker` elsewhere may take some of them first)."""
    ran = worker.run_pending()
    if ran:
        logger.info("ran %d render jobs", ran)


def render_worker(services: Services) -> RenderWorker:
    return RenderWorker(services.sessions, services.store, services.settings, services.clock)


@dataclass(frozen=True)
class Job:
    """One scheduled job: its id, what it runs, when, and whether it also runs at start."""

    id: str
    run: Callable[[Services], None]
    trigger: BaseTrigger
    at_start: bool = False


def scheduled_jobs(services: Services, renders: RenderWorker | None = None) -> list[Job]:
    """The jobs the leading process runs; add a row here to add a job."""
    tick = services.settings.scheduler_tick_s
    renders = renders or render_worker(services)
    # After a takeover, announce only slots a live player can still join, not hours of them.
    live = LiveDispatcher(services.clock.now(), catch_up=timedelta(seconds=2 * tick))
    return [
        # At start too: after downtime the overview should not wait 5 minutes.
        Job("settle", settle_job, IntervalTrigger(minutes=5, timezone=VN), at_start=True),
        # Every tick: also how often a follower tries to win the lock.
        Job("live", partial(live_job, dispatcher=live), IntervalTrigger(seconds=tick, timezone=VN)),
        Job("bulletin_end", bulletin_end_job, IntervalTrigger(minutes=1, timezone=VN)),
        # Every minute and at start: an offer from above is accepted when its hours are up.
        Job("offers", offers_job, IntervalTrigger(minutes=1, timezone=VN), at_start=True),
        # Each CAP feed keeps its own period; the job looks for due ones every 30 s.
        Job("cap_feeds", cap_feeds_job, IntervalTrigger(seconds=CAP_TICK_S, timezone=VN)),
        Job("prune", prune_job, CronTrigger(day_of_week="sun", hour=3, timezone=VN)),
        # Hourly and at start: a render killed mid-way leaves its folder in the store.
        Job("sweep", sweep_job, CronTrigger(minute=40, timezone=VN), at_start=True),
        Job("replan", replan_job, CronTrigger(hour=0, minute=5, timezone=VN)),
        # Daily and at start: a server down on the 20th still plans next month when it returns.
        Job(
            "plan_ahead", plan_ahead_job, CronTrigger(hour=0, minute=10, timezone=VN),
            at_start=True,
        ),
        # Hourly: a month closes LOA_CLOSE_AFTER_DAYS after it ends, whenever the server was up.
        Job("close", close_job, CronTrigger(minute=20, timezone=VN)),
        # Daily, the chain heads go to a file outside the database (deleted tails are caught).
        Job("checkpoint", checkpoint_job, CronTrigger(hour=0, minute=30, timezone=VN)),
        # Every 2 s: renders queued by any web worker start soon, here or in a `loa worker`.
        Job(
            "render", partial(render_job, worker=renders),
            IntervalTrigger(seconds=RENDER_POLL_S, timezone=VN), at_start=True,
        ),
        # Alerts: each minute what is new goes out and failed sends retry (loa.notify);
        # hourly, the months at risk (once a day each).
        Job("notify", notify_job, IntervalTrigger(minutes=1, timezone=VN)),
        Job("notify_risk", risk_job, CronTrigger(minute=50, timezone=VN)),
    ]


def plan_on_start(services: Services) -> None:
    """Before a server serves players: plan the due months of every station that lacks them.

    Cases: a server that was down over the 1st (the nightly job did not run) plans
    the new month here; on any other day it fills only what is missing (idempotent)."""
    now = services.clock.now()
    with transaction(services.sessions) as session:
        reports = plan_due_months(session, now, services.settings.airing_gap)
    added = sum(r.planned for report in reports for r in report.rows)
    if added:
        logger.info("planned at start: %d airings (%s)", added, ", ".join(r.month for r in reports))


def run_as_leader(job: Job, services: Services, leadership: Leadership) -> None:
    """Run ``job`` only while this process holds the scheduler lock, checked just before."""
    if not leadership.ensure():
        return
    logger.debug("job %s runs", job.id)
    job.run(services)


@dataclass
class Runtime:
    scheduler: BackgroundScheduler
    leadership: Leadership
    renders: RenderWorker

    def shutdown(self) -> None:
        self.renders.stop.set()  # a render under way goes back to the queue at its next step
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # let a running job finish its transaction
        self.leadership.release()


def start_scheduler(services: Services, leadership: Leadership | None = None) -> Runtime:
    """Start the jobs; each runs only if this process leads when it comes due.

    Every server starts the scheduler. The one holding the lock runs the jobs;
    the others try to win it at each tick, so one takes over within a tick or
    two when the leader stops or loses its database connection.
    """
    settings = services.settings
    leadership = leadership or leadership_for(settings.database_url, settings.home)
    scheduler = BackgroundScheduler(timezone=VN)
    renders = render_worker(services)
    for job in scheduled_jobs(services, renders):
        # APScheduler reads next_run_time=None as "paused": give it only to start-up jobs.
        first = {"next_run_time": datetime.now(VN)} if job.at_start else {}
        scheduler.add_job(
            run_as_leader,
            job.trigger,
            args=[job, services, leadership],
            id=job.id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
            **first,
        )
    scheduler.start()
    return Runtime(scheduler, leadership, renders)
