"""Users of the web UI: each sees only its own unit's subtree."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from loa.db import Base, str_enum
from loa.stations.models import AdminUnit


class Role(StrEnum):
    operator = "operator"
    auditor = "auditor"
    leader = "leader"  # lãnh đạo UBND: approves programmes or sends them back
    admin = "admin"


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

    unit: Mapped[AdminUnit] = relationship()


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
