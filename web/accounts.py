"""Accounts: one's own password, and what an admin does to the users of their subtree.

An admin resets a password (temporary: changed at the next login), disables, enables
or removes a user, or ends all of a user's sessions; never outside their subtree
(404: nothing outside is revealed), and never disables or removes themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.stations.accounts import Role, User, UserState
from loa.web import auth
from loa.web.context import db, services
from loa.web.throttle import WINDOW, forget_attempts, over_limit, record_attempt
from loa.web.users import (
    WrongPassword,
    change_own_password,
    end_sessions,
    set_password,
    set_state,
)

bp = Blueprint("accounts", __name__)


@bp.route("/account/password", methods=["GET", "POST"])
@auth.login_required()
def password() -> Any:
    """Change one's own password with the current one; the other sessions end."""
    if request.method == "POST":
        form = request.form
        # A stolen session must not guess the password here: the login's limits hold.
        address, now = request.remote_addr or "?", services().clock.now()
        with db() as s:
            if over_limit(s, g.user.username, address, now):
                flash(gettext("Nhập sai quá nhiều lần; thử lại sau %(n)s phút",
                              n=WINDOW.seconds // 60), "error")
                return render_template("account_password.html"), 429
        try:
            if form.get("new", "") != form.get("again", ""):
                raise LoaError("Hai lần nhập mật khẩu mới không khớp (the new passwords differ)")
            with db() as s:
                user = s.get(User, g.user.id)
                assert user is not None  # load_user just read it
                change_own_password(user, form.get("current", ""), form.get("new", ""))
                forget_attempts(s, user.username)
                s.flush()
                s.refresh(user)
                session["version"] = user.session_version  # this one stays logged in
            flash(gettext("Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc"), "info")
            return redirect(url_for("ui.dashboard"))
        except WrongPassword as err:
            with db() as s:
                record_attempt(s, g.user.username, address, now)
            flash(str(err), "error")
        except LoaError as err:
            flash(str(err), "error")
        return render_template("account_password.html"), 400
    return render_template("account_password.html")


def _managed(s: Session, user_id: int) -> User:
    """A user of the admin's subtree, not removed, else 404; not the admin (own page for that)."""
    user = s.get(User, user_id)
    if user is None or user.unit_id not in g.visible_units or user.state is UserState.removed:
        abort(404)
    if user.id == g.user.id:
        raise LoaError("Không thể làm việc này với chính mình (not on your own account)")
    return user


def _act(user_id: int, action: Callable[[User], None], said: Callable[[str], str]) -> Any:
    """Run ``action`` on a managed user, flash the outcome, and go back to the list (PRG)."""
    try:
        with db() as s:
            user = _managed(s, user_id)
            action(user)
            flash(said(user.username), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.users"))


@bp.route("/admin/users/<id:user_id>/password", methods=["POST"])
@auth.login_required(Role.admin)
def reset_password(user_id: int) -> Any:
    temporary = request.form.get("password", "")
    return _act(user_id, lambda user: set_password(user, temporary, temporary=True),
                lambda name: gettext("Đã đặt mật khẩu tạm cho %(name)s: phải đổi ở lần đăng "
                                     "nhập tới", name=name))


@bp.route("/admin/users/<id:user_id>/disable", methods=["POST"])
@auth.login_required(Role.admin)
def disable(user_id: int) -> Any:
    return _act(user_id, lambda user: set_state(user, UserState.disabled),
                lambda name: gettext("Đã khóa %(name)s; mọi phiên đăng nhập đã kết thúc",
                                     name=name))


@bp.route("/admin/users/<id:user_id>/enable", methods=["POST"])
@auth.login_required(Role.admin)
def enable(user_id: int) -> Any:
    return _act(user_id, lambda user: set_state(user, UserState.active),
                lambda name: gettext("Đã mở khóa %(name)s", name=name))


@bp.route("/admin/users/<id:user_id>/remove", methods=["POST"])
@auth.login_required(Role.admin)
def remove(user_id: int) -> Any:
    return _act(user_id, lambda user: set_state(user, UserState.removed),
                lambda name: gettext("Đã xóa %(name)s", name=name))


@bp.route("/admin/users/<id:user_id>/logout", methods=["POST"])
@auth.login_required(Role.admin)
def logout_everywhere(user_id: int) -> Any:
    return _act(user_id, end_sessions,
                lambda name: gettext("Đã kết thúc mọi phiên đăng nhập của %(name)s",
                                     name=name))
