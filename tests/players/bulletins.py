"""Helpers for the bulletin tests: send and cancel through the service, read what was logged."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from loa.compliance.key_entries import SERVER_EVENTS
from loa.compliance.models import AiringLogEntry
from loa.playlists.bulletins import cancel_bulletin, create_bulletin, get_bulletin
from loa.scheduler.bulletin_slots import slot_placer
from loa.services import Services
from loa.stations.models import AdminUnit


def send_bulletin(services: Services, unit: str, audio: Path, *, priority: str = "emergency",
                  targets: tuple[str, ...] = (), repeat: int = 1, every_s: int = 0,
                  until: datetime | None = None, variants: dict[str, Path] | None = None) -> int:
    """A bulletin of unit ``unit`` to the units ``targets`` (its own when none), sent at once
    (with its recordings in other languages, ``variants``)."""
    with services.sessions.begin() as session:
        owner = session.scalars(select(AdminUnit).where(AdminUnit.code == unit)).one()
        units = list(session.scalars(select(AdminUnit).where(AdminUnit.code.in_(targets))))
        bulletin = create_bulletin(
            session, unit=owner, author=None, role=None, title="Bão số 3",
            priority=priority, audio=audio, unit_targets=units, valid_until=until,
            repeat_count=repeat, repeat_every_s=every_s, store=services.store,
            clock=services.clock, place_slots=slot_placer(services.settings.airing_gap),
            variants=variants)
        return bulletin.id


def cancel(services: Services, bulletin_id: int) -> None:
    with services.sessions.begin() as session:
        cancel_bulletin(session, get_bulletin(session, bulletin_id), by=None, role=None,
                        clock=services.clock)


def events(services: Services) -> list[AiringLogEntry]:
    """Everything players reported, in chain order (not the key enrolments)."""
    with services.sessions() as session:
        reported = AiringLogEntry.event.not_in(SERVER_EVENTS)
        return list(session.scalars(
            select(AiringLogEntry).where(reported).order_by(AiringLogEntry.seq)))


def play_end(services: Services, bulletin_id: int, seconds: float = 60) -> AiringLogEntry:
    """The play's final event (completed or failed), once the server has it."""
    deadline = time.monotonic() + seconds
    final = ("bulletin.completed", "bulletin.failed")
    while not (found := [e for e in events(services)
                         if e.bulletin_id == bulletin_id and e.event in final]):
        assert time.monotonic() < deadline, "the bulletin's play did not end"
        time.sleep(0.05)  # polling the server's log; the deadline bounds the wait
    return found[0]
