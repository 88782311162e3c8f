"""CAP feeds a unit polls, and reading a CAP source (a file, a URL, a feed) into alerts.

A source is one CAP alert, or an Atom/RSS index whose entries carry an alert or
link to one (each link fetched in turn, at most MAX_LINKS a poll). The network is
read outside any database transaction; each alert is then taken in by
`playlists.cap_import` in a transaction of its own, so one bad alert never stops the
others, and a feed's trouble is written on its row, never raised to the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from loa.audio.errors import AudioError
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.cap import MAX_DOCUMENT_BYTES, Alert, CapError, read_document
from loa.playlists.cap_import import Outcome, Tools, import_alert
from loa.playlists.cap_models import DEFAULT_FEED_EVERY_S, MIN_FEED_EVERY_S, CapFeed
from loa.stations.models import AdminUnit

logger = logging.getLogger(__name__)
FETCH_TIMEOUT_S = 10
MAX_LINKS = 50  # alerts linked from one index, a poll: a national feed carries a few dozen
MAX_URL = 2000
Fetch = Callable[[str], bytes]


class CapFetchError(LoaError):
    """A CAP source could not be read (network, HTTP status, size)."""


def check_url(url: str) -> str:
    """An http(s) URL with a host; anything else (file:, ftp:, a path) is refused."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
        raise LoaError(f"Địa chỉ nguồn CAP phải là http(s)://…: {url[:100]!r} "
                       "(a CAP source must be an http or https URL)")
    return url


def fetch(url: str) -> bytes:
    """The body at ``url``, at most MAX_DOCUMENT_BYTES, within FETCH_TIMEOUT_S a read."""
    check_url(url)
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT_S, stream=True,
                          headers={"Accept": "application/cap+xml, application/atom+xml, "
                                             "application/rss+xml, application/xml"}) as answer:
            answer.raise_for_status()
            body = bytearray()
            for chunk in answer.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:  # stop reading: a feed is never this big
                    raise CapFetchError(f"Nguồn CAP quá lớn (CAP source larger than "
                                        f"{MAX_DOCUMENT_BYTES // 1000} KB): {url}")
            return bytes(body)
    except requests.RequestException as err:
        raise CapFetchError(f"Không đọc được nguồn CAP {url} (cannot fetch): {err}") from err


def read_file(path: Path) -> bytes:
    """A CAP document from a file the command line names, refused unread if too large."""
    if not path.is_file():
        raise LoaError(f"Không có tệp {str(path)!r} (no such file)")
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise CapError(f"Tài liệu XML quá lớn, tối đa {MAX_DOCUMENT_BYTES // 1000} KB "
                       f"(XML document larger than {MAX_DOCUMENT_BYTES // 1000} KB)")
    return path.read_bytes()


def read_alerts(data: bytes, base: str | None, fetcher: Fetch) -> tuple[list[Alert], list[str]]:
    """The alerts of a source's bytes, following an index's links; (alerts, problems).

    A linked alert that cannot be fetched or read is a problem named, not a stop.
    """
    document = read_document(data)
    alerts, problems = list(document.alerts), []
    for link in document.links[:MAX_LINKS]:
        url = urljoin(base, link) if base else link
        try:
            alerts.extend(read_document(fetcher(check_url(url))).alerts)
        except LoaError as err:
            problems.append(str(err))
    return alerts, problems


def take_in(sessions: sessionmaker[Session], alerts: list[Alert], unit_code: str | None,
            tools: Tools, feed_id: int | None = None) -> list[Outcome]:
    """Import each alert in its own transaction; an alert refused is an outcome, not a stop.

    A render that failed (TTS) leaves no record, so the next poll tries it again.
    """
    outcomes = []
    for alert in alerts:
        try:
            with transaction(sessions) as session:
                unit = _unit(session, unit_code)
                feed = session.get(CapFeed, feed_id) if feed_id is not None else None
                outcomes.append(import_alert(session, alert, unit=unit, tools=tools, feed=feed))
        except (LoaError, AudioError) as err:
            outcomes.append(Outcome(alert.identifier, "skipped", None, str(err)))
    return outcomes


def _unit(session: Session, code: str | None) -> AdminUnit | None:
    from loa.stations.units import get_unit

    return get_unit(session, code) if code else None


# --- feeds -----------------------------------------------------------------------------

def add_feed(session: Session, url: str, unit: AdminUnit, every_s: int | None,
             auto_extreme: bool, now: datetime) -> CapFeed:
    """A feed the unit polls every ``every_s`` seconds (default 300, at least 30)."""
    url = check_url(url)
    every = DEFAULT_FEED_EVERY_S if every_s is None else every_s
    if every < MIN_FEED_EVERY_S:
        raise LoaError(f"Chu kỳ đọc tối thiểu {MIN_FEED_EVERY_S} giây "
                       f"(poll at most every {MIN_FEED_EVERY_S} seconds)")
    if session.scalar(select(CapFeed.id).where(CapFeed.unit_id == unit.id, CapFeed.url == url)):
        raise LoaError(f"Đơn vị {unit.code} đã có nguồn này (the unit already polls this URL)")
    feed = CapFeed(unit=unit, url=url, every_s=every, auto_extreme=auto_extreme, created_at=now)
    session.add(feed)
    session.flush()
    return feed


def get_feed(session: Session, feed_id: int) -> CapFeed:
    feed = session.get(CapFeed, feed_id)
    if feed is None:
        raise LoaError(f"Không tìm thấy nguồn CAP {feed_id} (no such CAP feed)")
    return feed


def due_feeds(session: Session, now: datetime) -> list[int]:
    """Feeds never polled, or last polled ``every_s`` or more ago, oldest poll first."""
    feeds = session.scalars(select(CapFeed).order_by(CapFeed.id)).all()
    due = [f for f in feeds
           if f.last_polled_at is None or f.last_polled_at + timedelta(seconds=f.every_s) <= now]
    return [f.id for f in sorted(due, key=lambda f: (f.last_polled_at is not None,
                                                       f.last_polled_at or now, f.id))]


@dataclass(frozen=True)
class PollReport:
    feed_id: int
    outcomes: list[Outcome]
    error: str | None


def poll_feed(sessions: sessionmaker[Session], feed_id: int, tools: Tools,
              fetcher: Fetch = fetch) -> PollReport:
    """Read one feed and take in its alerts; its row keeps when and how it went."""
    with transaction(sessions) as session:
        feed = get_feed(session, feed_id)
        url, unit_code = feed.url, feed.unit.code
    outcomes: list[Outcome] = []
    try:
        alerts, problems = read_alerts(fetcher(url), url, fetcher)
        outcomes = take_in(sessions, alerts, unit_code, tools, feed_id)
        error = "; ".join(problems) or None
    except LoaError as err:  # the feed itself unreadable: network, HTTP, hostile XML
        error = str(err)
    now = tools.clock.now()
    with transaction(sessions) as session:
        feed = session.get(CapFeed, feed_id)
        if feed is None:  # removed while it was being read: nothing to write on
            return PollReport(feed_id, outcomes, error)
        feed.last_polled_at = now
        feed.last_error = error[:4000] if error else None
        feed.imported += sum(1 for o in outcomes if o.action in ("drafted", "sent", "cancelled"))
        if error is None:
            feed.last_ok_at = now
    if error:
        logger.warning("CAP feed %s (%s): %s", feed_id, url, error)
    return PollReport(feed_id, outcomes, error)

