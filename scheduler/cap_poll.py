"""The scheduler's CAP job: poll the feeds that are due, each on its own."""

from __future__ import annotations

import logging

from loa.db import transaction
from loa.playlists.cap_feeds import Fetch, due_feeds, fetch, get_feed, poll_feed
from loa.playlists.cap_import import Tools
from loa.scheduler.bulletin_slots import slot_placer
from loa.services import Services

logger = logging.getLogger(__name__)
CAP_TICK_S = 30  # how often due feeds are looked for; each feed keeps its own period


def cap_tools(services: Services) -> Tools:
    """What an imported alert needs to become a bulletin (and to be sent, if the unit chose)."""
    return Tools(services.store, services.clock, slot_placer(services.settings.airing_gap))


def cap_feeds_job(services: Services, fetcher: Fetch = fetch) -> None:
    """Poll each due feed; a feed that fails in any way is logged on its row, never raised."""
    with transaction(services.sessions) as session:
        due = due_feeds(session, services.clock.now())
    tools = cap_tools(services)
    for feed_id in due:
        try:
            report = poll_feed(services.sessions, feed_id, tools, fetcher)
        except Exception as err:  # the outermost loop: the next feed still polls
            logger.exception("CAP feed %s failed", feed_id)
            with transaction(services.sessions) as session:
                feed = get_feed(session, feed_id)
                feed.last_polled_at = services.clock.now()
                feed.last_error = f"Lỗi khi đọc nguồn (poll failed): {err}"[:4000]
            continue
        done = [o for o in report.outcomes if o.action in ("drafted", "sent", "cancelled")]
        if done:
            logger.info("CAP feed %s: %s", feed_id, "; ".join(o.message for o in done))
