"""The web's own records: tokens kept for the page that shows them once, login attempts.

Users and roles live below, in ``loa.stations.accounts``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from loa.db import Base


class TokenReveal(Base):
    """New player tokens kept for the one page that shows them after the POST (PRG).

    Only the admin who made them sees the page; the clear tokens are wiped the first
    time it is shown, so a reload says they were shown and nothing is rotated or added.
    """

    __tablename__ = "token_reveal"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # random: it is in the URL
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    shown_at: Mapped[datetime | None]
    # [{"player_id", "token"}, …]; None once shown.
    tokens: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)


class LoginAttempt(Base):
    """A failed (or not yet judged) login, counted per username and per address.

    In the database rather than in memory, so every thread and every web worker
    counts the same attempts.
    """

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
