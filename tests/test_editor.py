"""The programme editor: operators write, order, render and submit a programme in the UI."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import tests.helpers.editor
from loa.db import transaction
from loa.playlists.models import AudioAsset, Programme, ProgrammeStatus
from loa.services import Services
from loa.web.editor import KICK_KEY
from tests.helpers.editor import add, create, operator, post, programme_row, tone, worker
from tests.helpers.web import csrf

tree = tests.helpers.editor.tree  # a shared fixture

SPOKEN_DATE = "ngày chín tháng hai năm hai nghìn không trăm hai mươi hai"


@pytest.mark.usefixtures("tree")
def test_operator_writes_renders_and_approves_a_programme(
    client: Any, services: Services, tmp_path: Path
) -> None:
    token = operator(client)
    assert "Chương trình mới" in client.get("/programmes").get_data(as_text=True)
    pid = create(client, token)
    text = "Kế hoạch số 29/KH-UBND ngày 09/02/2022 về chuyển đổi số."
    page = add(client, pid, token, "tts", text=text, voice="vi-vn-x-south")
    assert "Đã thêm đoạn" in page and SPOKEN_DATE in page  # the spoken form, under the text
    add(client, pid, token, "silence", seconds="1,5")
    add(client, pid, token, "jingle", source="campaign")
    clip = (tone(tmp_path / "phong-van.mp3", 1.0)).read_bytes()
    add(client, pid, token, "clip", file=(io.BytesIO(clip), "phỏng vấn.mp3"))
    _, kinds, ids = programme_row(services, pid)
    assert kinds == ["tts", "silence", "jingle", "clip"]

    post(client, f"/programmes/{pid}/segments/{ids[3]}/move", token, direction="up")
    post(client, f"/programmes/{pid}/segments/{ids[0]}/move", token, direction="up")  # no-op
    post(client, f"/programmes/{pid}/segments/{ids[1]}/delete", token)
    _, kinds, _ = programme_row(services, pid)
    assert kinds == ["tts", "clip", "jingle"]

    page = post(client, f"/programmes/{pid}/render", token)
    assert "Đã dựng xong" in page and "Đã dựng" in page
    assert "Đã gửi lãnh đạo duyệt" in post(client, f"/programmes/{pid}/submit", token)
    leader = operator(client, "lanh-dao")
    page = post(client, f"/programmes/{pid}/approve", leader)
    assert "Đã duyệt chương trình" in page
    status, _, ids = programme_row(services, pid)
    assert status is ProgrammeStatus.approved
    token = operator(client)
    page = post(client, f"/programmes/{pid}/segments/{ids[0]}/delete", token)
    assert "đã duyệt, không thể sửa" in page
    assert len(programme_row(services, pid)[1]) == 3


@pytest.mark.usefixtures("tree")
def test_editing_a_rendered_programme_makes_it_a_draft_again(
    client: Any, services: Services
) -> None:
    token = operator(client)
    pid = create(client, token)
    add(client, pid, token, "tts", text="Xin chào bà con.")
    add(client, pid, token, "jingle", source="campaign")
    post(client, f"/programmes/{pid}/render", token)
    status, _, ids = programme_row(services, pid)
    assert status is ProgrammeStatus.rendered
    page = post(client, f"/programmes/{pid}/segments/{ids[0]}/text", token, text="Lúc 17h30")
    assert "Đã sửa văn bản" in page and "mười bảy giờ ba mươi" in page
    assert "Bản nháp" in page
    with transaction(services.sessions) as s:
        found = s.get(Programme, pid)
        assert found is not None and found.master_sha256 is None and found.duration_ms is None
        assert found.status is ProgrammeStatus.draft


@pytest.mark.usefixtures("tree")
@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"day khong phai am thanh" * 50, "bị hỏng hoặc không phải âm thanh: “hỏng.mp3”"),
        (b"", "rỗng"),
    ],
)
def test_a_bad_upload_is_refused_in_vietnamese_and_nothing_is_stored(
    client: Any, services: Services, content: bytes, error: str
) -> None:
    token = operator(client)
    pid = create(client, token)
    stored_before = sorted(p for p in services.store.root.rglob("*") if p.is_file())
    page = add(client, pid, token, "clip", file=(io.BytesIO(content), "hỏng.mp3"))
    assert error in page and "tệp không được lưu" in page
    assert programme_row(services, pid)[1] == []
    assert sorted(p for p in services.store.root.rglob("*") if p.is_file()) == stored_before
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count()).select_from(AudioAsset)) == 1  # the jingle only


@pytest.mark.usefixtures("tree")
def test_bad_input_gets_a_clear_message(client: Any, services: Services) -> None:
    token = operator(client)
    pid = create(client, token)
    assert "văn bản đọc (tts) đang trống" in add(client, pid, token, "tts", text="   ")
    assert "khoảng lặng phải từ 0 đến 60 giây" in add(client, pid, token, "silence", seconds="90")
    assert "phải là số giây" in add(client, pid, token, "silence", seconds="một")
    assert "Chưa chọn tệp" in add(client, pid, token, "clip")
    assert programme_row(services, pid)[1] == []
    again = client.post(
        "/programmes/new",
        data={"campaign": "CDS", "month": "2026-12", "title": "Lần hai", "csrf_token": token},
    )
    assert "đã có chương trình tháng 2026-12" in again.get_data(as_text=True)
    assert "Chưa chọn tệp" in add(client, pid, token, "bed")
    for data in (
        {"kind": "tts", "text": "x", "voice": "en"},
        {"kind": "nhac"},
        {"kind": "clip", "source": "web"},
    ):
        bad = client.post(f"/programmes/{pid}/segments", data={"csrf_token": token, **data})
        assert bad.status_code == 400


@pytest.mark.usefixtures("tree")
def test_another_communes_operator_gets_404(client: Any) -> None:
    pid = create(client, operator(client))
    client.post("/logout", data={"csrf_token": csrf(client.get("/").data)})
    token = operator(client, "xa-khac")
    assert client.get(f"/programmes/{pid}").status_code == 404
    answer = client.post(
        f"/programmes/{pid}/segments", data={"csrf_token": token, "kind": "silence", "seconds": 1}
    )
    assert answer.status_code == 404
    assert client.post(f"/programmes/{pid}/render", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/programmes/{pid}/render/status").status_code == 404


@pytest.mark.usefixtures("tree")
def test_auditor_sees_but_cannot_edit(client: Any) -> None:
    pid = create(client, operator(client))
    client.post("/logout", data={"csrf_token": csrf(client.get("/").data)})
    token = operator(client, "tinh")
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert "Thêm đoạn" not in page and "Chương trình mới" not in client.get("/programmes").text
    assert client.get("/programmes/new").status_code == 403
    answer = client.post(
        f"/programmes/{pid}/segments", data={"csrf_token": token, "kind": "tts", "text": "a"}
    )
    assert answer.status_code == 403
    assert client.post(f"/programmes/{pid}/render", data={"csrf_token": token}).status_code == 403


@pytest.mark.usefixtures("tree")
def test_post_without_csrf_token_is_refused(client: Any, services: Services) -> None:
    pid = create(client, operator(client))
    answer = client.post(f"/programmes/{pid}/segments", data={"kind": "tts", "text": "Xin chào"})
    assert answer.status_code == 400
    assert client.post(f"/programmes/{pid}/render").status_code == 400
    assert programme_row(services, pid)[1] == []


@pytest.mark.usefixtures("tree")
def test_a_failed_render_is_shown_in_vietnamese(client: Any) -> None:
    token = operator(client)
    pid = create(client, token)
    page = post(client, f"/programmes/{pid}/render", token)  # no segments yet
    assert "Dựng âm thanh không thành công: Chương trình chưa có đoạn nào" in page
    assert client.get(f"/programmes/{pid}/render/status").get_json()["running"] is False


@pytest.mark.usefixtures("tree")
def test_render_runs_in_the_background_with_progress(
    client: Any, app: Any, services: Services
) -> None:
    gate = threading.Event()
    runs: list[threading.Thread] = []

    def gated() -> None:
        run = worker(services).run_pending
        runs.append(threading.Thread(target=lambda: gate.wait(30) and run(), daemon=True))
        runs[-1].start()

    app.extensions[KICK_KEY] = gated
    token = operator(client)
    pid = create(client, token)
    add(client, pid, token, "tts", text="Ngày 15/3 họp lúc 6 giờ 30.")
    page = post(client, f"/programmes/{pid}/render", token)
    assert '<progress id="render-progress"' in page and "Thêm đoạn" not in page
    state = client.get(f"/programmes/{pid}/render/status").get_json()
    assert state["running"] is True and state["status"] == "queued"
    assert "vui lòng chờ" in post(client, f"/programmes/{pid}/render", token)
    assert "Đang dựng âm thanh" in add(client, pid, token, "silence", seconds="1")
    gate.set()
    runs[0].join(120)
    assert len(runs) == 1 and not runs[0].is_alive()
    state = client.get(f"/programmes/{pid}/render/status").get_json()
    assert state["running"] is False and state["error"] is None and state["status"] == "done"
    assert state["done"] == state["total"] > 0
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert "Đã dựng xong" in page and '<progress id="render-progress"' not in page
    assert "Đã dựng xong" not in client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert programme_row(services, pid)[0] is ProgrammeStatus.rendered
