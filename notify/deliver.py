"""The delivery job: pending rows go out by their channel; failures retry with backoff.

Rows are read in one short transaction and each outcome stored in its own: no database
transaction stays open across a network call, and a dead server costs the job one
timeout per row, never a page.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from loa.clock import VN, Clock
from loa.db import transaction
from loa.notify.channels import SENDERS, ChannelNotSet, DeliveryError, Parcel
from loa.notify.models import DeliveryStatus, NotifyDelivery, NotifyEvent, NotifyProfile
from loa.notify.profiles import quiet_until
from loa.settings import Settings
from loa.stations.accounts import User

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BATCH = 50  # rows a run takes at most: a backlog drains over runs, each run stays short


def backoff(attempts: int) -> timedelta:
    """How long after its ``attempts``-th failure a delivery is tried again.

    Cases: 1 → 1 minute, 2 → 4, 3 → 16, 4 → 64, then at most 6 hours.
    """
    return min(timedelta(minutes=4 ** (attempts - 1)), timedelta(hours=6))


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    channel: str
    status: DeliveryStatus
    detail: str | None = None
    held_until: datetime | None = None  # quiet hours


@dataclass(frozen=True)
class _Due:
    parcel: Parcel
    held_until: datetime | None


def _due(
    session: Session, now: datetime, public_url: str, only: Collection[int] | None
) -> list[_Due]:
    query = (
        select(NotifyDelivery, NotifyEvent, User, NotifyProfile)
        .join(NotifyEvent, NotifyDelivery.event_id == NotifyEvent.id)
        .join(User, NotifyDelivery.user_id == User.id)
        .outerjoin(NotifyProfile, NotifyProfile.user_id == User.id)
        .where(NotifyDelivery.status == DeliveryStatus.pending)
    )
    if only is None:
        query = query.where(NotifyDelivery.next_attempt_at <= now)
    else:
        query = query.where(NotifyDelivery.id.in_(list(only)))
    rows = session.execute(
        query.order_by(NotifyDelivery.next_attempt_at, NotifyDelivery.id).limit(BATCH)
    ).all()
    found = []
    for row, event, user, profile in rows:
        parcel = Parcel(row.id, row.channel, event.kind, event.subject, event.body,
                        public_url + event.link, event.urgent, user.username,
                        profile.email if profile else None, event.created_at.isoformat())
        held = None
        if not event.urgent and profile is not None:
            held = quiet_until(profile.quiet_from, profile.quiet_until, now, VN)
        found.append(_Due(parcel, held))
    return found


def _attempt(parcel: Parcel, settings: Settings) -> tuple[DeliveryStatus | None, str | None]:
    """Send once: (sent, None), (skipped, why), or (None, the error) to retry."""
    try:
        SENDERS[parcel.channel](parcel, settings)
    except ChannelNotSet as err:
        return DeliveryStatus.skipped, str(err)
    except DeliveryError as err:
        return None, str(err)
    return DeliveryStatus.sent, None


def _store(session: Session, delivery_id: int, outcome: Outcome, now: datetime) -> Outcome:
    row = session.get_one(NotifyDelivery, delivery_id)
    if outcome.held_until is not None:
        row.next_attempt_at = outcome.held_until
        return outcome
    row.attempts += 1
    row.last_error = outcome.detail
    if outcome.status is DeliveryStatus.pending:
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = DeliveryStatus.failed, None
            return Outcome(delivery_id, outcome.channel, DeliveryStatus.failed, outcome.detail)
        row.next_attempt_at = now + backoff(row.attempts)
        return outcome
    row.status, row.next_attempt_at = outcome.status, None
    if outcome.status is DeliveryStatus.sent:
        row.sent_at = now
    return outcome


def deliver_due(
    sessions: sessionmaker[Session], settings: Settings, clock: Clock,
    only: Collection[int] | None = None,
) -> list[Outcome]:
    """Try every pending delivery whose time has come (or exactly ``only``); store each outcome.

    Cases: sent → sent; a channel this server lacks → skipped, not retried; an error →
    tried again after ``backoff``, given up (failed) at the MAX_ATTEMPTS-th; a user's quiet
    hours hold a delivery that is not urgent until they end, without counting an attempt;
    once a channel fails, its other rows wait for the next run, untried and uncounted (a
    dead relay costs one timeout a run, not one per row).
    """
    with transaction(sessions) as session:
        due = _due(session, clock.now(), settings.public_url, only)
    outcomes = []
    down: set[str] = set()  # channels that just failed: the rest of this run waits for the next
    for item in due:
        parcel = item.parcel
        if parcel.channel.value in down and item.held_until is None:
            continue  # one timeout per dead relay and run, not one per row
        if item.held_until is not None:
            outcome = Outcome(parcel.delivery_id, parcel.channel.value, DeliveryStatus.pending,
                              held_until=item.held_until)
        else:
            status, detail = _attempt(parcel, settings)
            outcome = Outcome(parcel.delivery_id, parcel.channel.value,
                              status or DeliveryStatus.pending, detail)
        with transaction(sessions) as session:
            outcomes.append(_store(session, parcel.delivery_id, outcome, clock.now()))
        if outcome.status is DeliveryStatus.pending and outcome.held_until is None:
            down.add(parcel.channel.value)
            logger.warning("alert %s by %s failed: %s", parcel.delivery_id,
                           parcel.channel.value, outcome.detail)
    return outcomes
