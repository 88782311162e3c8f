"""Users, their hashed passwords, and what part of the unit tree each may see."""

from __future__ import annotations

import functools
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from loa.db import fail_if_exists
from loa.errors import LoaError
from loa.stations.units import get_unit
from loa.web.models import Role, User

MIN_PASSWORD = 8
MAX_USERNAME = 64


def normal_username(raw: str) -> str:
    """How a username is stored and compared: trimmed, NFC, lower case ("  CanBo " is "canbo")."""
    return unicodedata.normalize("NFC", raw).strip().lower()


def add_user(session: Session, username: str, password: str, role: str, unit_code: str) -> User:
    """Create a user of ``unit_code``; the password is stored only as a scrypt hash."""
    try:
        user_role = Role(role)
    except ValueError as exc:
        roles = ", ".join(Role)
        raise LoaError(f"Vai trò không hợp lệ {role!r}: {roles}") from exc
    username = normal_username(username)
    if not username or len(username) > MAX_USERNAME or any(c.isspace() for c in username):
        raise LoaError(
            f"Tên đăng nhập cần 1 đến {MAX_USERNAME} ký tự, không có dấu cách "
            f"(username needs 1-{MAX_USERNAME} characters, no spaces)"
        )
    if len(password) < MIN_PASSWORD:
        raise LoaError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự (password too short)")
    message = f"Tên đăng nhập {username!r} đã tồn tại (username taken)"
    fail_if_exists(session, User, message, username=username)
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        role=user_role,
        unit=get_unit(session, unit_code),
    )
    session.add(user)
    session.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    """A hash checked for unknown names, so they take as long as known ones."""
    return generate_password_hash("loa-no-such-user")


def check_login(session: Session, username: str, password: str) -> User | None:
    """The user if the password matches, else None (same answer and time for unknown names)."""
    user = session.scalar(select(User).where(User.username == normal_username(username)))
    matches = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    return user if user is not None and matches else None
