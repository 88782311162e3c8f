"""The people who use Loa: a user acts in one unit with one role and sees that unit's
subtree. Below the web, so the rooms decide who may do what with these names, not with
role strings."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, false
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
