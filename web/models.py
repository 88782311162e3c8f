"""Users of the web UI: each sees only its own unit's subtree."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from loa.db import Base, str_enum
from stations.models import AdminUnit


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

    unit: Mapped[AdminUnit] = relationship()
