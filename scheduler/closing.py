"""The month-close job: a month's verdicts become final a few days after it ends."""

from __future__ import annotations

import logging
from datetime import timedelta

from loa.compliance.audit import Reading
from loa.compliance.close import close_month, due_months
from loa.db import transaction
from loa.services import Services

logger = logging.getLogger(__name__)


def close_job(services: Services) -> None:
    """Close every month whose grace for late reports (LOA_CLOSE_AFTER_DAYS) is over."""
    settings, now = services.settings, services.clock.now()
    grace = timedelta(days=settings.close_after_days)
    with transaction(services.sessions) as session:
        closed = [
            close_month(session, month, Reading.of(settings, now))
            for month in due_months(session, now, grace)
        ]
    for closing in closed:
        logger.info("closed %s: %d station-months", closing.month, closing.station_months)
