"""The to-do inbox on every dashboard, its count in the header, and each user's alert page.

The rooms' state says what is to do (loa.notify.inbox); this module gives each item its
words and link, and lets a user choose e-mail, channels and quiet hours (loa.notify).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from loa.errors import LoaError
from loa.notify.inbox import Todo, todos_for
from loa.notify.models import Channel, NotifyDelivery, NotifyEvent
from loa.notify.profiles import profile_of, set_profile
from loa.stations.accounts import Role
from loa.web import auth
from loa.web.context import db, services

bp = Blueprint("inbox", __name__)
RECENT = timedelta(days=7)  # alerts the dashboard lists under the to-do
LOG_ROWS = 30
# An auditor's count asks the planner about every station-month: kept this long per user.
AUDITOR_COUNT_S = 60
_COUNT_CACHE = "loa.todo_counts"

WORDS: dict[str, Any] = {
    "programme.waiting": _l("Chương trình chờ duyệt"),
    "bulletin.waiting": _l("Thông báo chờ duyệt"),
    "programme.sent_back": _l("Chương trình bị trả lại"),
    "render.failed": _l("Dựng âm thanh lỗi"),
    "airing.to_make_up": _l("Lượt phát cần bù"),
    "player.offline": _l("Thiết bị mất kết nối"),
    "station.no_player": _l("Đài chưa có thiết bị"),
    "token.unused": _l("Mã thiết bị chưa dùng"),
    "month.at_risk": _l("Có nguy cơ không đạt"),
    "month.evidence_broken": _l("Nhật ký bị sửa đổi"),
    "bulletin.offered": _l("Thông báo cấp trên chờ xã trả lời"),
}


def link(item: Todo) -> str:
    """The page where the item is done."""
    ref = item.ref
    if "offer_bulletin_id" in ref:
        return url_for("offers.offers")
    if "programme_id" in ref:
        return url_for("ui.programme", programme_id=ref["programme_id"])
    if "bulletin_id" in ref:
        return url_for("bulletins.bulletin", bulletin_id=ref["bulletin_id"])
    if "campaign" in ref:
        return url_for("ui.evidence", station_code=ref["code"], month=ref["month"],
                       campaign=ref["campaign"])
    return url_for("station_page.station", code=ref["code"], month=ref.get("month"))


def _compute() -> list[Todo]:
    svc = services()
    with db() as s:
        return todos_for(s, g.user.role, g.unit, g.visible_units, svc.settings,
                         svc.clock.now())


@bp.app_template_global("todo_items")
def todo_items() -> list[Todo]:
    """This user's to-do, read once a request."""
    if "todo_items" not in g:
        g.todo_items = _compute()
        _remember(len(g.todo_items))
    return g.todo_items


def _remember(count: int) -> None:
    from flask import current_app

    cache = current_app.extensions.setdefault(_COUNT_CACHE, {})
    cache[g.user.id] = (services().clock.monotonic(), count)


@bp.app_template_global("todo_count")
def todo_count() -> int:
    """The header's badge: counted afresh, an auditor's at most AUDITOR_COUNT_S old."""
    from flask import current_app

    if "todo_items" not in g and g.user.role is Role.auditor:
        at, count = current_app.extensions.get(_COUNT_CACHE, {}).get(g.user.id, (None, 0))
        if at is not None and services().clock.monotonic() - at < AUDITOR_COUNT_S:
            return count
    return len(todo_items())


@bp.app_template_global("todo_words")
def todo_words(kind: str) -> Any:
    return WORDS.get(kind, kind)


@bp.app_template_global("todo_link")
def todo_link(item: Todo) -> str:
    return link(item)


@bp.app_template_global("recent_alerts")
def recent_alerts() -> list[NotifyEvent]:
    """Alerts this user had in the inbox over the last week, newest first."""
    now = services().clock.now()
    with db() as s:
        return list(s.scalars(
            select(NotifyEvent).join(NotifyDelivery, NotifyDelivery.event_id == NotifyEvent.id)
            .where(NotifyDelivery.user_id == g.user.id,
                   NotifyDelivery.channel == Channel.inbox,
                   NotifyEvent.created_at >= now - RECENT)
            .order_by(NotifyEvent.created_at.desc(), NotifyEvent.id.desc()).limit(10)
        ))


@bp.route("/account/alerts", methods=["GET", "POST"])
@auth.login_required()
def alerts() -> Any:
    """One's own e-mail, channels and quiet hours, and the log of what was sent."""
    code = 200
    if request.method == "POST":
        form = request.form
        try:
            with db() as s:
                set_profile(s, g.user.id, form.get("email", ""), form.getlist("channel"),
                            form.get("quiet_from", ""), form.get("quiet_until", ""))
            flash(gettext("Đã lưu cách nhận cảnh báo"), "info")
            return redirect(url_for("inbox.alerts"))
        except LoaError as err:
            flash(str(err), "error")
            code = 400
    with db() as s:
        profile = profile_of(s, g.user.id)
        log = s.execute(
            select(NotifyDelivery, NotifyEvent)
            .join(NotifyEvent, NotifyDelivery.event_id == NotifyEvent.id)
            .where(NotifyDelivery.user_id == g.user.id,
                   NotifyDelivery.channel != Channel.inbox)
            .order_by(NotifyDelivery.id.desc()).limit(LOG_ROWS)
        ).all()
        chosen = set((profile.channels or "").split(","))
        settings = services().settings
        return render_template(
            "account_alerts.html", profile=profile, chosen=chosen, log=log, form=request.form,
            email_ready=bool(settings.smtp_url), webhook_ready=bool(settings.webhook_url),
        ), code
