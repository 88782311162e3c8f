"""Login, logout, expiring sessions, and the role and subtree checks every page uses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from stations.models import Station
from stations.units import ancestors, subtree_ids
from web.context import db
from web.models import Role, User
from web.users import check_login

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


@bp.before_app_request
def load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    with db() as s:
        user = s.get(User, user_id)
        if user is not None:
            g.user = user
            g.unit = user.unit
            g.visible_units = subtree_ids(s, user.unit)
            g.above_units = {u.id for u in ancestors(user.unit)}


def login_required(*roles: Role) -> Callable[[F], F]:
    """Send anonymous users to the login page; refuse users without one of ``roles``."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user is None:
                return redirect(url_for("auth.login", next=request.path))
            if roles and g.user.role not in roles and g.user.role is not Role.admin:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def can_see_unit(unit_id: int) -> bool:
    """A unit in the user's subtree, or above it (programmes relayed down to it)."""
    return unit_id in g.visible_units or unit_id in g.above_units


def own_station(s: Session, code: str) -> Station:
    """A station in the user's subtree, else 404 (not 403: nothing outside is revealed)."""
    station = s.scalar(select(Station).where(Station.code == code))
    if station is None or station.unit_id not in g.visible_units:
        abort(404)
    return station


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        with db() as s:
            user = check_login(
                s, request.form.get("username", ""), request.form.get("password", "")
            )
            user_id = user.id if user else None
        if user_id is not None:
            session.clear()
            session.permanent = True  # expires after LOA_SESSION_MINUTES
            session["user_id"] = user_id
            target = request.args.get("next", "")
            return redirect(
                target
                if target.startswith("/") and not target.startswith("//")
                else url_for("ui.dashboard")
            )
        flash("Sai tên đăng nhập hoặc mật khẩu (wrong username or password)", "error")
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))
