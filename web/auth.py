"""Login, logout, expiring sessions, and the role and subtree checks every page uses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loa.playlists.models import ProgrammeStatus
from loa.stations.accounts import Role, User, UserState
from loa.stations.models import Station
from loa.stations.units import ancestors, subtree_ids
from loa.web.context import db, services
from loa.web.throttle import WINDOW, forget_attempts, over_limit, record_attempt
from loa.web.users import check_login, normal_username

bp = Blueprint("auth", __name__)
# What a user with a temporary password may still reach before choosing a new one.
OPEN_TO_MUST_CHANGE = frozenset({"accounts.password", "auth.logout", "static", "i18n.switch"})
F = TypeVar("F", bound=Callable[..., Any])


@bp.before_app_request
def load_user() -> Any:
    """The session's user, if still valid; one with a temporary password sees only its form."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return None
    with db() as s:
        user = s.get(User, user_id)
        if (user is None or session.get("version") != user.session_version
                or user.state is not UserState.active):
            session.clear()  # logged out elsewhere, disabled (or a copied cookie after logout)
            return None
        g.user = user
        g.unit = user.unit
        g.visible_units = subtree_ids(s, user.unit)
        g.above_units = {u.id for u in ancestors(user.unit)}
    if user.must_change_password and request.endpoint not in OPEN_TO_MUST_CHANGE:
        return redirect(url_for("accounts.password"))
    return None


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


def can_see_programme(unit_id: int, status: ProgrammeStatus) -> bool:
    """Whether the user sees a programme of ``unit_id`` in ``status``.

    Cases: any programme of the user's subtree; one of a unit above only once approved
    (the relay its stations air): drafts, sent back or rendered, stay with the owner's
    unit and those above it; a sibling's never.
    """
    if unit_id in g.visible_units:
        return True
    return unit_id in g.above_units and status is ProgrammeStatus.approved


def own_station(s: Session, code: str) -> Station:
    """A station in the user's subtree, else 404 (not 403: nothing outside is revealed)."""
    station = s.scalar(select(Station).where(Station.code == code))
    if station is None or station.unit_id not in g.visible_units:
        abort(404)
    return station


def safe_next(target: str) -> str | None:
    r"""A path on this site to return to after login, else None.

    Cases: "/programmes?month=2026-12" is kept; "//evil", "/\evil", "\\evil",
    "https://evil", "/\t/evil" (browsers drop the tab: "//evil") and "" are refused.
    """
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(c.isspace() or c == "\\" or not c.isprintable() for c in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _refused_for_now() -> Any:
    flash(
        gettext("Đăng nhập sai quá nhiều lần; thử lại sau %(n)s phút", n=WINDOW.seconds // 60),
        "error",
    )
    return render_template("login.html"), 429, {"Retry-After": str(WINDOW.seconds)}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        username = normal_username(request.form.get("username", ""))
        address, now = request.remote_addr or "?", services().clock.now()
        with db() as s:  # committed first, so concurrent guesses count each other
            record_attempt(s, username, address, now)
        with db() as s:
            if over_limit(s, username, address, now):
                return _refused_for_now()
            user = check_login(s, username, request.form.get("password", ""))
            if user is not None:
                forget_attempts(s, username)
                user_id, version = user.id, user.session_version
        if user is not None:
            session.clear()
            session.permanent = True  # expires after LOA_SESSION_MINUTES
            session["user_id"], session["version"] = user_id, version
            return redirect(safe_next(request.args.get("next", "")) or url_for("ui.dashboard"))
        flash("Sai tên đăng nhập hoặc mật khẩu (wrong username or password)", "error")
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End every session of this user on the server: a copied cookie stops working too."""
    if g.user is not None:
        with db() as s:
            s.execute(update(User).where(User.id == g.user.id)
                      .values(session_version=User.session_version + 1))
    session.clear()
    return redirect(url_for("auth.login"))
