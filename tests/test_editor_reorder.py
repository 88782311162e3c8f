"""Reordering by drag and drop through HTTP: the whole new order in one post, checked."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import tests.helpers.editor
from loa.playlists.models import ProgrammeStatus
from loa.services import Services
from tests.helpers.editor import add, create, operator, post, programme_row, tone

tree = tests.helpers.editor.tree  # a shared fixture

__all__ = ["tree"]
JSON = {"Accept": "application/json"}


def reorder(client: Any, pid: int, token: str | None, order: list[int] | str) -> Any:
    """Post an order as the page's script does (JSON back)."""
    raw = order if isinstance(order, str) else ",".join(map(str, order))
    data = {"order": raw} if token is None else {"order": raw, "csrf_token": token}
    return client.post(f"/programmes/{pid}/segments/order", data=data, headers=JSON)


def three_silences(client: Any, services: Services, token: str) -> tuple[int, list[int]]:
    pid = create(client, token)
    for seconds in ("1", "2", "3"):
        add(client, pid, token, "silence", seconds=seconds)
    return pid, programme_row(services, pid)[2]


def seconds_in_order(services: Services, pid: int) -> list[float | None]:
    from loa.playlists.models import Programme

    with services.sessions() as s:
        return [seg.seconds for seg in s.get_one(Programme, pid).segments]


@pytest.mark.usefixtures("tree")
def test_one_post_puts_the_segments_in_the_new_order(client: Any, services: Services) -> None:
    token = operator(client)
    pid, ids = three_silences(client, services, token)
    answer = reorder(client, pid, token, [ids[2], ids[0], ids[1]])
    assert answer.status_code == 200
    assert answer.json == {"ok": True, "message": "Đã đổi thứ tự", "status": "Bản nháp"}
    assert seconds_in_order(services, pid) == [3.0, 1.0, 2.0]
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)  # after a reload too
    assert page.index(f'id="segment-{ids[2]}"') < page.index(f'id="segment-{ids[0]}"')
    # without the script (a plain form post), the programme page with a message
    done = post(client, f"/programmes/{pid}/segments/order", token, order=",".join(map(str, ids)))
    assert "Đã đổi thứ tự" in done and seconds_in_order(services, pid) == [1.0, 2.0, 3.0]


@pytest.mark.usefixtures("tree")
@pytest.mark.parametrize("wrong", ["missing", "twice", "foreign", "extra"])
def test_an_order_that_is_not_a_permutation_is_refused(
    client: Any, services: Services, wrong: str
) -> None:
    token = operator(client, "xa-khac")
    other, other_ids = three_silences(client, services, token)  # the other ward's programme
    client.post("/logout", data={"csrf_token": token})
    token = operator(client)
    pid = create(client, token)
    for seconds in ("4", "5", "6"):
        add(client, pid, token, "silence", seconds=seconds)
    ids = programme_row(services, pid)[2]
    order = {
        "missing": ids[:2],
        "twice": [ids[0], ids[0], ids[1]],
        "foreign": [ids[0], ids[1], other_ids[0]],
        "extra": [*ids, other_ids[0]],
    }[wrong]
    answer = reorder(client, pid, token, order)
    assert answer.status_code == 409
    assert answer.json["ok"] is False and "tải lại trang" in answer.json["message"]
    assert seconds_in_order(services, pid) == [4.0, 5.0, 6.0]
    assert seconds_in_order(services, other) == [1.0, 2.0, 3.0]
    assert reorder(client, pid, token, "1,a,2").status_code == 400


@pytest.mark.usefixtures("tree")
def test_the_order_needs_the_csrf_token_and_the_programmes_unit(
    client: Any, services: Services
) -> None:
    token = operator(client)
    pid, ids = three_silences(client, services, token)
    assert reorder(client, pid, None, ids[::-1]).status_code == 400  # no CSRF token
    assert reorder(client, pid, "forged", ids[::-1]).status_code == 400
    client.post("/logout", data={"csrf_token": token})
    elsewhere = operator(client, "xa-khac")  # an operator of the other ward
    assert reorder(client, pid, elsewhere, ids[::-1]).status_code == 404
    client.post("/logout", data={"csrf_token": elsewhere})
    auditor = operator(client, "tinh")  # sees the ward's programmes, writes none
    assert reorder(client, pid, auditor, ids[::-1]).status_code == 403
    assert seconds_in_order(services, pid) == [1.0, 2.0, 3.0]


@pytest.mark.usefixtures("tree")
def test_reordering_a_submitted_programme_withdraws_it(
    client: Any, services: Services, tmp_path: Path
) -> None:
    token = operator(client)
    pid, ids = three_silences(client, services, token)
    clip = tone(tmp_path / "phong-van.mp3", 1.0).read_bytes()
    add(client, pid, token, "clip", file=(io.BytesIO(clip), "phỏng vấn.mp3"), name="Phỏng vấn")
    post(client, f"/programmes/{pid}/render", token)
    post(client, f"/programmes/{pid}/submit", token)
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    question = 'data-confirm="Chương trình đang chờ lãnh đạo duyệt. Sửa sẽ rút lại việc gửi duyệt'
    for form in ('id="add-tts"', 'id="add-silence"', 'name="direction" value="up"', "/rename"):
        part = page.split(form, 1)[0].rsplit("<form", 1)[1] + page.split(form, 1)[1][:200]
        assert question in part, form  # asked before every edit
    assert page.count(question) >= 2 * len(ids) + 6  # each move, each add form, rename
    assert 'id="withdraw-note"' in page
    ids = programme_row(services, pid)[2]
    assert reorder(client, pid, token, ids).json["message"] == "Thứ tự không đổi"
    assert programme_row(services, pid)[0] is ProgrammeStatus.rendered  # nothing withdrawn
    assert reorder(client, pid, token, ids[::-1]).json["status"] == "Bản nháp"
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert "Sửa sẽ rút lại việc gửi duyệt" not in page
