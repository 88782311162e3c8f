"""The people who use Loa: a user acts in one unit with one role and sees that unit's
subtree. Below the web, so the rooms decide who may do what with these names, not with
role strings."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, false, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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
    # How pages and reports name the person who approved or signs ("Nguyễn Văn A",
    # "Phó Chủ tịch UBND"); None: the username stands in.
    full_name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))

    unit: Mapped[AdminUnit] = relationship()


def person_label(username: str, full_name: str | None, title: str | None) -> str:
    """How a record names who acted: full name and title where known, else the username.

    Cases: ("lanhdao", "Nguyễn Văn A", "Phó Chủ tịch") is "Nguyễn Văn A (Phó Chủ tịch)";
    with no title "Nguyễn Văn A"; with no full name "lanhdao" (the title alone says too little).
    """
    if not full_name:
        return username
    return f"{full_name} ({title})" if title else full_name


def name_of(session: Session, username: str) -> str:
    """``username`` as records show it: the user's full name and title, if an admin set them."""
    user = session.scalar(select(User).where(User.username == username))
    return person_label(username, user.full_name, user.title) if user else username
