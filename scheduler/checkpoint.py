"""The daily job that anchors every chain head outside the database (DESIGN §6)."""

from __future__ import annotations

import logging

from loa.compliance.anchors import checkpoint_file, write_checkpoint
from loa.db import transaction
from loa.services import Services

logger = logging.getLogger(__name__)


def checkpoint_job(services: Services) -> None:
    """Append today's chain heads to $LOA_HOME/anchors/checkpoints.jsonl."""
    path = checkpoint_file(services.settings.home)
    with transaction(services.sessions) as session:
        stations = write_checkpoint(session, path, services.clock.now())
    logger.info("checkpoint of %d chain heads written to %s", stations, path)
