"""Prometheus metrics: counted where things happen, exposed at /metrics (loa.web.ops).

Under gunicorn every worker is a process: each writes its counts to files in
its folder (loa.metrics_files: the workers' ``web/``, each scheduler's and
render worker's own, under ``LOA_METRICS_DIR``) and /metrics adds up every
folder, so the render times of ``loa scheduler`` and ``loa worker`` show too.
Figures about the whole fleet (players online, airings missed) are read from
the database at each scrape, so every worker gives the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from loa.metrics_files import every_process_file

EVENTS = Counter("loa_events_ingested", "Player events taken in, by outcome", ["outcome"])
SCHEDULES = Counter("loa_schedule_requests", "Schedule polls, by answer (200 or 304)", ["status"])
RENDER_SECONDS = Histogram(
    "loa_render_seconds", "Time to render a programme to its master file",
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
)


class FleetCollector(Collector):
    """Players online and airings missed, read from the database when scraped."""

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime],
                 poll_s: int) -> None:
        self.sessions, self.now, self.poll_s = sessions, now, poll_s

    def collect(self) -> Iterator[Metric]:
        from loa.playlists.models import Airing, AiringStatus, RenderJob, RenderStatus
        from loa.stations.models import Player

        since = self.now() - timedelta(seconds=2 * self.poll_s)  # as the overview counts
        try:
            with self.sessions() as session:
                online = session.scalar(select(func.count()).select_from(Player).where(
                    Player.last_seen >= since, Player.revoked.is_(False))) or 0
                missed = session.scalar(select(func.count()).select_from(Airing).where(
                    Airing.status == AiringStatus.missed)) or 0
                renders = {status: count for status, count in session.execute(
                    select(RenderJob.status, func.count())
                    .where(RenderJob.status.in_((RenderStatus.queued, RenderStatus.running)))
                    .group_by(RenderJob.status))}
        except SQLAlchemyError:
            return  # the database is down: /healthz says so; the counters still show
        yield GaugeMetricFamily("loa_players_online",
                                "Players heard from within two poll intervals", value=online)
        yield GaugeMetricFamily("loa_airings_missed", "Airings settled as missed, all time",
                                value=missed)
        # A queue that only grows: no scheduler or `loa worker` is taking renders.
        jobs = GaugeMetricFamily("loa_render_jobs", "Render jobs waiting or under way",
                                 labels=["status"])
        for status in (RenderStatus.queued, RenderStatus.running):
            jobs.add_metric([status.value], renders.get(status, 0))
        yield jobs


def exposition(fleet: Collector) -> bytes:
    """The text /metrics answers: this process's metrics, or every worker's under gunicorn."""
    fleet_registry = CollectorRegistry()
    fleet_registry.register(fleet)
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest(REGISTRY) + generate_latest(fleet_registry)
    registry = CollectorRegistry()
    registry.register(_EveryProcess(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])))
    return generate_latest(registry) + generate_latest(fleet_registry)


class _EveryProcess(Collector):
    """The counts of every process under the metrics root, added up."""

    def __init__(self, own_folder: Path) -> None:
        self.own_folder = own_folder

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.multiprocess import MultiProcessCollector

        yield from MultiProcessCollector.merge(every_process_file(self.own_folder))
