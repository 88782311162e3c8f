"""Users of the web UI: each sees only its own unit's subtree."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from loa.db import Base, str_enum
from loa.stations.models import AdminUnit


class Role(StrEnum):
    operator = "operator"
    auditor = "auditor"
    leader = "leader"  # lãnh đạo UBND: approves programmes or sends them back
    admin = "admin"


class UserState(StrEnum):
    active = "active"
    disabled = "disabled"  # cannot log in; an admin may enable it again
    removed = "removed"  # for good: the name stays taken, so records that name it stay clear


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))
    # Bumped at logout: a session cookie carries the version it was issued under, so a
    # copied cookie stops working once its user logs out (cookies are signed, not stored).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    state: Mapped[UserState] = mapped_column(str_enum(UserState), default=UserState.active,
                                             server_default=UserState.active.value)
    # Set with a temporary password an admin gave: every page asks for a new one first.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    unit: Mapped[AdminUnit] = relationship()


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
