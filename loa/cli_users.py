"""`loa user`: add web users, reset their passwords, disable, enable, remove, log them out.

Whoever runs `loa` on the server acts as the installation's administrator: no subtree
limit here (the web's admin pages keep each admin to their own subtree).
"""

from __future__ import annotations

from collections.abc import Callable

import click

from loa.cli_context import LoaContext, pass_loa
from loa.db import transaction
from loa.errors import LoaError
from loa.stations.accounts import Role, User, UserState, person_label
from loa.web.users import (
    add_user,
    end_sessions,
    find_user,
    set_names,
    set_password,
    set_state,
)

USERNAME = click.argument("username")
FULL_NAME = click.option("--full-name", help="Họ và tên, ví dụ Nguyễn Văn A (full name)")
TITLE = click.option("--title", help="Chức vụ, ví dụ Phó Chủ tịch UBND (title)")


@click.group()
def user() -> None:
    """Người dùng (users)."""


@user.command("add")
@USERNAME
@click.option("--role", required=True,
              type=click.Choice([role.value for role in Role]))
@click.option("--unit", "unit_code", required=True)
@FULL_NAME
@TITLE
@click.password_option(prompt="Mật khẩu (password)")
@pass_loa
def user_add(loa: LoaContext, username: str, role: str, unit_code: str, password: str,
             full_name: str | None, title: str | None) -> None:
    """Add a web user who sees only its unit's subtree."""
    with transaction(loa.services.sessions) as session:
        add_user(session, username, password, role, unit_code, full_name, title)
    click.echo(f"Đã thêm người dùng {username} ({role})")


@user.command("set")
@USERNAME
@FULL_NAME
@TITLE
@pass_loa
def user_set(loa: LoaContext, username: str, full_name: str | None, title: str | None) -> None:
    """Set USERNAME's full name and title, as approvals and reports name it ("" clears one)."""
    def names(found: User) -> None:
        if found.state is UserState.removed:
            raise LoaError(f"Người dùng {found.username} đã bị xóa (user was removed)")
        set_names(found, full_name, title)

    _act(loa, username, names, "Đã cập nhật họ tên, chức vụ của {name} (names set)")


@user.command("passwd")
@USERNAME
@click.password_option(prompt="Mật khẩu tạm (temporary password)")
@pass_loa
def user_passwd(loa: LoaContext, username: str, password: str) -> None:
    """Give USERNAME a temporary password, to be changed at the next login; ends its sessions."""
    _act(loa, username, lambda found: set_password(found, password, temporary=True),
         "Đã đặt mật khẩu tạm cho {name}: phải đổi ở lần đăng nhập tới "
         "(temporary password set: to be changed at the next login)")


@user.command("disable")
@USERNAME
@pass_loa
def user_disable(loa: LoaContext, username: str) -> None:
    """Stop USERNAME logging in; its sessions end at once (records keep its name)."""
    _act(loa, username, lambda found: set_state(found, UserState.disabled),
         "Đã khóa {name}; mọi phiên đăng nhập đã kết thúc (disabled, all sessions ended)")


@user.command("enable")
@USERNAME
@pass_loa
def user_enable(loa: LoaContext, username: str) -> None:
    """Let a disabled USERNAME log in again."""
    _act(loa, username, lambda found: set_state(found, UserState.active),
         "Đã mở khóa {name} (enabled)")


@user.command("remove")
@USERNAME
@pass_loa
def user_remove(loa: LoaContext, username: str) -> None:
    """Remove USERNAME for good: never logs in again; the name stays taken, records keep it."""
    _act(loa, username, lambda found: set_state(found, UserState.removed),
         "Đã xóa {name}; tên này không dùng lại được (removed; the name stays taken)")


@user.command("logout")
@USERNAME
@pass_loa
def user_logout(loa: LoaContext, username: str) -> None:
    """End every session of USERNAME (a lost phone, a shared computer)."""
    _act(loa, username, end_sessions,
         "Đã kết thúc mọi phiên đăng nhập của {name} (all sessions ended)")


@user.command("list")
@pass_loa
def user_list(loa: LoaContext) -> None:
    """Every user: name, role, unit, state (removed ones too)."""
    from sqlalchemy import select

    with transaction(loa.services.sessions) as session:
        for found in session.scalars(select(User).order_by(User.username)):
            change = "\tphải đổi mật khẩu" if found.must_change_password else ""
            names = f"\t{person_label('', found.full_name, found.title)}" if found.full_name else ""
            click.echo(f"{found.username}\t{found.role.value}\t{found.unit.code}\t"
                       f"{found.state.value}{change}{names}")


def _act(loa: LoaContext, username: str, action: Callable[[User], None], said: str) -> None:
    with transaction(loa.services.sessions) as session:
        found = find_user(session, username)
        action(found)
        name = found.username
    click.echo(said.format(name=name))
