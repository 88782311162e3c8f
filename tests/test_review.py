"""The leader's review: operators submit, a leader approves or sends back, never their own work."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

import tests.helpers.editor
from loa.db import transaction
from loa.playlists.models import Airing, Programme, ProgrammeStatus
from loa.services import Services
from loa.web.users import add_user
from tests.conftest import START, Loa
from tests.helpers.editor import add, create, operator, post, programme_row
from tests.helpers.web import PASSWORD

tree = tests.helpers.editor.tree  # a shared fixture

__all__ = ["tree"]  # the editor's fixture: Hải Phòng, operators xa and xa-khac, leader lanh-dao


def rendered(client: Any, token: str) -> int:
    """A programme of xa's written, rendered within bounds, not yet submitted."""
    pid = create(client, token)
    add(client, pid, token, "jingle", source="campaign")
    add(client, pid, token, "tts", text="Kính thưa bà con, xã triển khai chuyển đổi số.")
    assert "Đã dựng xong" in post(client, f"/programmes/{pid}/render", token)
    return pid


def stored(services: Services, pid: int) -> Programme:
    with services.sessions() as s:
        found = s.get_one(Programme, pid)
        s.expunge(found)
        return found


def airings_of(services: Services, pid: int) -> int:
    with services.sessions() as s:
        return s.scalar(select(func.count()).where(Airing.programme_id == pid)) or 0


@pytest.mark.usefixtures("tree")
def test_operator_submits_and_the_leader_approves_with_name_and_time(
    client: Any, services: Services
) -> None:
    token = operator(client)
    pid = rendered(client, token)
    assert client.post(f"/programmes/{pid}/approve", data={"csrf_token": token}).status_code == 403
    page = post(client, f"/programmes/{pid}/submit", token)
    assert "Đã gửi lãnh đạo duyệt" in page and "Chờ lãnh đạo duyệt" in page
    assert "Duyệt chương trình" not in page  # the operator has no approve button
    assert "Chờ lãnh đạo duyệt" in client.get("/programmes").get_data(as_text=True)

    leader = operator(client, "lanh-dao")
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert "Duyệt chương trình" in page and "Trả lại để sửa" in page
    page = post(client, f"/programmes/{pid}/approve", leader)
    assert "Đã duyệt chương trình, xếp thêm" in page
    assert "Người duyệt" in page and "lanh-dao" in page and "01/12/2026" in page
    found = stored(services, pid)
    assert found.status is ProgrammeStatus.approved
    assert (found.created_by, found.submitted_by, found.approved_by) == ("xa", "xa", "lanh-dao")
    assert found.approved_at == START and found.submitted_at == START
    assert airings_of(services, pid) > 0  # planned at once: the page's airings list shows them
    assert "Chưa xếp lịch" not in page


@pytest.fixture
def admin(tree: None, services: Services) -> str:
    """An admin of the commune: may write a programme and approve one, but not both."""
    with transaction(services.sessions) as s:
        add_user(s, "quan-tri", PASSWORD, "admin", "11560")
    return "quan-tri"


def test_nobody_approves_their_own_programme(
    client: Any, services: Services, admin: str
) -> None:
    token = operator(client, admin)
    pid = rendered(client, token)
    post(client, f"/programmes/{pid}/submit", token)
    page = post(client, f"/programmes/{pid}/approve", token)
    assert "không được tự duyệt" in page
    assert stored(services, pid).status is ProgrammeStatus.rendered
    assert airings_of(services, pid) == 0


@pytest.mark.usefixtures("tree")
def test_a_leader_approves_only_what_was_submitted(client: Any, services: Services) -> None:
    pid = rendered(client, operator(client))
    page = post(client, f"/programmes/{pid}/approve", operator(client, "lanh-dao"))
    assert "chưa được gửi duyệt" in page
    assert stored(services, pid).status is ProgrammeStatus.rendered


@pytest.mark.usefixtures("tree")
def test_send_back_with_a_comment_the_author_reads(client: Any, services: Services) -> None:
    token = operator(client)
    pid = rendered(client, token)
    post(client, f"/programmes/{pid}/submit", token)
    leader = operator(client, "lanh-dao")
    assert "Cần ghi lý do" in post(client, f"/programmes/{pid}/send-back", leader, comment=" ")
    assert stored(services, pid).submitted_at is not None
    reason = "Đoạn hai đọc sai tên thôn, sửa lại giúp."
    page = post(client, f"/programmes/{pid}/send-back", leader, comment=reason)
    assert "Đã trả lại" in page
    found = stored(services, pid)
    assert (found.status, found.review_comment) == (ProgrammeStatus.draft, reason)
    assert found.submitted_by is None and found.approved_by is None

    token = operator(client)
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert f"Lãnh đạo trả lại: {reason}" in page and "Bản nháp" in page
    assert "bị trả lại" in client.get("/programmes").get_data(as_text=True)
    post(client, f"/programmes/{pid}/render", token)
    post(client, f"/programmes/{pid}/submit", token)
    assert stored(services, pid).review_comment is None  # answered by the new submission


@pytest.mark.usefixtures("tree")
def test_an_edit_after_submission_withdraws_it(client: Any, services: Services) -> None:
    token = operator(client)
    pid = rendered(client, token)
    post(client, f"/programmes/{pid}/submit", token)
    add(client, pid, token, "silence", seconds="1")
    found = stored(services, pid)
    assert found.status is ProgrammeStatus.draft and found.submitted_at is None


def test_the_command_line_names_the_leader_and_refuses_the_author(
    client: Any, services: Services, loa: Loa, admin: str
) -> None:
    pid = rendered(client, operator(client, admin))
    def approve_by(username: str) -> str:
        return loa("programme", "approve", str(pid), "--by", username, ok=False)

    assert "không được tự duyệt" in approve_by(admin)
    assert "không phải lãnh đạo" in approve_by("xa")
    assert "Không có người dùng" in approve_by("ai-do")
    assert stored(services, pid).status is ProgrammeStatus.rendered
    assert "người duyệt: lanh-dao" in loa("programme", "approve", str(pid), "--by", "lanh-dao")
    found = stored(services, pid)
    assert (found.status, found.approved_by) == (ProgrammeStatus.approved, "lanh-dao")
    assert airings_of(services, pid) > 0
    assert programme_row(services, pid)[0] is ProgrammeStatus.approved
