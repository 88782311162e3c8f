"""The leader's review in the web UI: operators submit, leaders approve or send back."""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from sqlalchemy.orm import Session

from loa.compliance.close import check_programme_open
from loa.notify import events
from loa.playlists.programmes import get_programme
from loa.playlists.review import send_back, sign_approval, submit
from loa.scheduler.service import approve_and_plan
from loa.services import Services
from loa.stations.accounts import Role
from loa.web import auth
from loa.web.editor import apply_change

bp = Blueprint("review", __name__)


@bp.route("/programmes/<id:programme_id>/submit", methods=["POST"])
@auth.login_required(Role.operator)
def submit_programme(programme_id: int) -> Response:
    def change(s: Session, svc: Services) -> str:
        check_programme_open(s, programme_id, "gửi duyệt chương trình (submit)")
        submitted = submit(s, programme_id, g.user.username, svc.clock.now())
        events.programme_submitted(s, submitted, svc.clock.now())  # only a row: sent later
        return "Đã gửi lãnh đạo duyệt (submitted for approval)"

    return apply_change(programme_id, change, anchor="")


@bp.route("/programmes/<id:programme_id>/approve", methods=["POST"])
@auth.login_required(Role.leader)
def approve_programme(programme_id: int) -> Response:
    def change(s: Session, svc: Services) -> str:
        check_programme_open(s, programme_id, "duyệt chương trình (approve)")
        sign_approval(s, programme_id, g.user.username, submitted_only=True)
        # Its month is planned in the same transaction; players hear of it once committed.
        approved, report = approve_and_plan(
            s, programme_id, svc.clock.now(), svc.settings.airing_gap)
        events.programme_approved(s, approved, svc.clock.now())
        planned = sum(r.planned for r in report.rows)
        return (
            f"Đã duyệt chương trình, xếp thêm {planned} lượt phát "
            f"(programme approved; {planned} more airings planned)"
        )

    return apply_change(programme_id, change, anchor="")


@bp.route("/programmes/<id:programme_id>/send-back", methods=["POST"])
@auth.login_required(Role.leader)
def send_back_programme(programme_id: int) -> Response:
    comment = request.form.get("comment", "")

    def change(s: Session, svc: Services) -> str:
        found = get_programme(s, programme_id)
        authors = [found.created_by, found.submitted_by]  # sending back clears the submitter
        events.programme_sent_back(s, send_back(s, programme_id, comment), authors,
                                   svc.clock.now())
        return "Đã trả lại chương trình cho người soạn (sent back to the author)"

    return apply_change(programme_id, change, anchor="")
