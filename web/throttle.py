"""Login attempts counted per username and per address, in the database.

In the database so that every thread and every web worker (gunicorn runs
several) sees the same count; an attempt is committed before it is counted, so
concurrent guesses see each other and at most the limit get a password check.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from loa.web.models import LoginAttempt

WINDOW = timedelta(minutes=15)
PER_USERNAME = 5  # a person who forgot their password tries a few times
PER_ADDRESS = 30  # a commune office behind one address logs several people in


def record_attempt(session: Session, username: str, address: str, now: datetime) -> None:
    """Note an attempt before its password is checked; forget those older than the window."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - WINDOW))
    session.add(LoginAttempt(username=username[:64], address=address[:64], at=now))


def over_limit(session: Session, username: str, address: str, now: datetime) -> bool:
    """Whether this username or this address has made too many attempts in the window.

    Cases: the 5th attempt on one name within 15 minutes is still checked, the
    6th is refused whatever its password; 30 from one address, whatever the
    names, likewise; a successful login forgets its name's attempts.
    """
    since = now - WINDOW

    def count(column: object, value: str) -> int:
        return session.scalar(
            select(func.count()).select_from(LoginAttempt)
            .where(column == value, LoginAttempt.at >= since)
        ) or 0

    return (count(LoginAttempt.username, username[:64]) > PER_USERNAME
            or count(LoginAttempt.address, address[:64]) > PER_ADDRESS)


def forget_attempts(session: Session, username: str) -> None:
    """After a successful login its user starts again with a clean count."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username[:64]))
