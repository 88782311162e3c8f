"""The leader's review: an operator submits a rendered programme; a leader approves or returns it.

Cases: only a rendered programme within its campaign's bounds is submitted; nobody
approves a programme they wrote or submitted; a programme sent back returns to
draft with the leader's comment, which stays until it is submitted again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.playlists.models import Programme, ProgrammeStatus
from loa.playlists.programmes import duration_problem, get_programme

MAX_COMMENT = 2000


def check_approver(programme: Programme, approver: str | None) -> None:
    """Refuse approval by the programme's author or submitter (a script names nobody)."""
    authors = {programme.created_by, programme.submitted_by} - {None}
    if approver is not None and approver in authors:
        raise LoaError(
            "Người soạn hoặc gửi chương trình không được tự duyệt, cần lãnh đạo khác duyệt "
            "(you cannot approve your own programme)"
        )


def submit(session: Session, programme_id: int, by: str, now: datetime) -> Programme:
    """Send a rendered programme of the right length to the leader for approval."""
    programme = get_programme(session, programme_id)
    if programme.status is not ProgrammeStatus.rendered or programme.duration_ms is None:
        raise LoaError("Cần dựng âm thanh trước khi gửi duyệt (render before submitting)")
    campaign = programme.campaign
    problem = duration_problem(programme.duration_ms, campaign.min_s, campaign.max_s)
    if problem:
        raise LoaError(f"Không thể gửi duyệt: chương trình {problem}")
    programme.submitted_by, programme.submitted_at = by, now
    programme.review_comment = None
    session.flush()
    return programme


def sign_approval(
    session: Session, programme_id: int, approver: str | None, *, submitted_only: bool = False
) -> Programme:
    """Record who approves, before approve_and_plan approves and plans in the same transaction.

    In the web UI a leader approves only what an operator submitted (``submitted_only``);
    a script may approve any rendered programme, still never under its author's name.
    """
    programme = get_programme(session, programme_id)
    if programme.status is ProgrammeStatus.approved:
        raise LoaError("Chương trình đã được duyệt rồi (already approved)")
    if submitted_only and programme.submitted_at is None:
        raise LoaError("Chương trình chưa được gửi duyệt (not submitted for approval)")
    check_approver(programme, approver)
    programme.approved_by = approver
    return programme


def send_back(session: Session, programme_id: int, comment: str) -> Programme:
    """Return a submitted programme to draft with the leader's reason for its author."""
    programme = get_programme(session, programme_id)
    comment = comment.strip()
    if not comment:
        raise LoaError("Cần ghi lý do trả lại (a comment is required)")
    if len(comment) > MAX_COMMENT:
        raise LoaError(f"Nhận xét tối đa {MAX_COMMENT} ký tự (comment too long)")
    if programme.status is not ProgrammeStatus.rendered or programme.submitted_at is None:
        raise LoaError("Chỉ trả lại được chương trình đang chờ duyệt (not awaiting approval)")
    programme.status = ProgrammeStatus.draft
    programme.submitted_by = programme.submitted_at = None
    programme.review_comment = comment
    session.flush()
    return programme
