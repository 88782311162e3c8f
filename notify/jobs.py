"""The notification room's scheduled jobs (run by the leading scheduler, scheduler/runtime.py)."""

from __future__ import annotations

import logging
from collections import Counter

from loa.db import transaction
from loa.notify import scan
from loa.notify.deliver import deliver_due
from loa.services import Services

logger = logging.getLogger(__name__)


def notify_job(services: Services) -> None:
    """Every minute: raise what the state says is new, then send what is due."""
    with transaction(services.sessions) as session:
        scan.scan(session, services.settings, services.clock.now())
    outcomes = deliver_due(services.sessions, services.settings, services.clock)
    if outcomes:
        logger.info("alerts: %s", dict(Counter(o.status.value for o in outcomes)))


def risk_job(services: Services) -> None:
    """Hourly: months turning "có nguy cơ" (the planner's reading of each station-month)."""
    with transaction(services.sessions) as session:
        scan.months_at_risk(session, services.settings, services.clock.now())
