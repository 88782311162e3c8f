"""Users, their hashed passwords, and what part of the unit tree each may see."""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from loa.db import fail_if_exists
from loa.errors import LoaError
from loa.stations.accounts import Role, User, UserState
from loa.stations.units import get_unit

MIN_PASSWORD = 10
MAX_USERNAME = 64

# scrypt (Werkzeug's default, memory-hard): about 0.15 s a hash or a check here. The test
# suite, which makes and logs in thousands of users, swaps in a cheap method (conftest).
PASSWORD_METHOD = "scrypt"


def normal_username(raw: str) -> str:
    """How a username is stored and compared: trimmed, NFC, lower case ("  CanBo " is "canbo")."""
    return unicodedata.normalize("NFC", raw).strip().lower()


MAX_PERSON_FIELD = 200


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        roles = ", ".join(Role)
        raise LoaError(f"Vai trò không hợp lệ {role!r}: {roles} (invalid role)") from exc


def set_names(user: User, full_name: str | None, title: str | None) -> None:
    """The user's full name and title as records show them; None keeps one, "" clears it.

    Cases: spaces are squeezed ("  Nguyễn  Văn A " is "Nguyễn Văn A"); over 200
    characters is refused.
    """
    for field, value, said in (("full_name", full_name, "Họ và tên"),
                               ("title", title, "Chức vụ")):
        if value is None:
            continue
        value = " ".join(unicodedata.normalize("NFC", value).split())
        if len(value) > MAX_PERSON_FIELD:
            raise LoaError(f"{said} tối đa {MAX_PERSON_FIELD} ký tự "
                           f"(at most {MAX_PERSON_FIELD} characters)")
        setattr(user, field, value or None)


def edit_user(session: Session, user: User, *, full_name: str | None, title: str | None,
              role: str, unit_code: str) -> User:
    """An admin's change of a user's names, role and unit; a new role or unit logs it out."""
    _require_not_removed(user)
    new_role, new_unit = _role(role), get_unit(session, unit_code)
    set_names(user, full_name, title)
    if new_role is not user.role or new_unit.id != user.unit_id:
        user.role, user.unit = new_role, new_unit
        end_sessions(user)  # what it may see changed: its open pages must ask again
    session.flush()
    return user


def add_user(session: Session, username: str, password: str, role: str, unit_code: str,
             full_name: str | None = None, title: str | None = None) -> User:
    """Create a user of ``unit_code``; the password is stored only as a scrypt hash."""
    user_role = _role(role)
    username = normal_username(username)
    if not username or len(username) > MAX_USERNAME or any(c.isspace() for c in username):
        raise LoaError(
            f"Tên đăng nhập cần 1 đến {MAX_USERNAME} ký tự, không có dấu cách "
            f"(username needs 1-{MAX_USERNAME} characters, no spaces)"
        )
    check_new_password(password, username)
    message = f"Tên đăng nhập {username!r} đã tồn tại (username taken)"
    fail_if_exists(session, User, message, username=username)
    user = User(
        username=username,
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
        role=user_role,
        unit=get_unit(session, unit_code),
    )
    set_names(user, full_name, title)
    session.add(user)
    session.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    """A hash checked for unknown names, so they take as long as known ones."""
    return generate_password_hash("loa-no-such-user", method=PASSWORD_METHOD)


def check_login(session: Session, username: str, password: str) -> User | None:
    """The active user if the password matches, else None.

    Cases: an unknown name, a wrong password and a disabled or removed user all get the
    same answer in the same time (the hash is checked for each)."""
    user = session.scalar(select(User).where(User.username == normal_username(username)))
    matches = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    usable = user is not None and matches and user.state is UserState.active
    return user if usable else None


@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("loa.web").joinpath("common_passwords.txt").read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


def check_new_password(password: str, username: str) -> None:
    """Refuse a password an attacker tries first.

    Cases: "ngan" (under 10 characters); "Password123" and "matkhau2026" (in the shipped
    list of the commonest, compared case-blind); the username itself; "mat-khau-2026" passes.
    """
    if len(password) < MIN_PASSWORD:
        raise LoaError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự (password too short)")
    folded = password.casefold()
    if folded in _common_passwords() or folded == normal_username(username):
        raise LoaError("Mật khẩu quá phổ biến hoặc trùng tên đăng nhập, hãy chọn mật khẩu khác "
                       "(password is among the commonest or is the username: choose another)")


def find_user(session: Session, username: str) -> User:
    """The user of that name (a removed one too: its name stays taken), else an error."""
    user = session.scalar(select(User).where(User.username == normal_username(username)))
    if user is None:
        raise LoaError(f"Không có người dùng {username!r} (no such user)")
    return user


def end_sessions(user: User) -> None:
    """Every session cookie of ``user`` stops working at its next request, on every worker."""
    user.session_version = User.session_version + 1  # in SQL: two admins at once both count


def set_password(user: User, password: str, *, temporary: bool) -> None:
    """A new password; ``temporary`` (an admin's reset): changed by its user at next login.

    Every session of the user ends: whoever knew the old password is out."""
    _require_not_removed(user)
    check_new_password(password, user.username)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    user.must_change_password = temporary
    end_sessions(user)


class WrongPassword(LoaError):
    """The current password given to change it is wrong: counted like a failed login."""


def change_own_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password first, and a different new one."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword("Mật khẩu hiện tại không đúng (current password is wrong)")
    if new == current:
        raise LoaError("Mật khẩu mới phải khác mật khẩu cũ (the new password must differ)")
    set_password(user, new, temporary=False)


def set_state(user: User, state: UserState) -> None:
    """Disable, enable or remove ``user``; one that is not active is logged out at once.

    Cases: a removed user stays removed (its name stays taken, records keep naming it)."""
    _require_not_removed(user)
    user.state = state
    if state is not UserState.active:
        end_sessions(user)


def _require_not_removed(user: User) -> None:
    if user.state is UserState.removed:
        raise LoaError(f"Người dùng {user.username} đã bị xóa (user was removed)")
