"""The editor's month: reorder, length before and after rendering, clip library, bed, drafts."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import tests.helpers.editor
from loa.db import transaction
from loa.playlists.editing import TTS_WORDS_PER_SECOND, estimate_ms
from loa.playlists.models import AudioAsset, Clip, Programme, Segment, SegmentKind
from loa.services import Services
from tests.helpers.editor import add, create, operator, post, programme_row, tone

tree = tests.helpers.editor.tree  # a shared fixture

__all__ = ["tree"]  # campaign CDS: 3 s to 1 min, a 1.5-s jingle; operators xa and xa-khac


def buttons(page: str, segment_id: int) -> dict[str, bool]:
    """Whether the ↑ and ↓ buttons of one segment are enabled."""
    item = page.split(f'id="segment-{segment_id}"', 1)[1].split("</li>", 1)[0]
    found = re.findall(r"<button[^>]*?(disabled)?>(↑|↓)", item)
    return {arrow: not disabled for disabled, arrow in found}


@pytest.mark.usefixtures("tree")
def test_the_middle_segments_move_both_ways_the_ends_one_way(
    client: Any, services: Services
) -> None:
    token = operator(client)
    pid = create(client, token)
    for seconds in ("1", "2", "3"):
        add(client, pid, token, "silence", seconds=seconds)
    _, _, ids = programme_row(services, pid)
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert buttons(page, ids[0]) == {"↑": False, "↓": True}
    assert buttons(page, ids[1]) == {"↑": True, "↓": True}
    assert buttons(page, ids[2]) == {"↑": True, "↓": False}
    post(client, f"/programmes/{pid}/segments/{ids[2]}/move", token, direction="up")
    post(client, f"/programmes/{pid}/segments/{ids[2]}/move", token, direction="up")
    with services.sessions() as s:
        order = [seg.seconds for seg in s.get_one(Programme, pid).segments]
    assert order == [3.0, 1.0, 2.0]


def test_the_estimate_counts_spoken_words_known_lengths_and_only_a_beds_intro() -> None:
    clip = AudioAsset(sha256="c" * 64, duration_ms=4_000, format="mp3", bytes=1)
    bed = AudioAsset(sha256="b" * 64, duration_ms=300_000, format="mp3", bytes=1)
    programme = Programme(
        segments=[
            Segment(position=1, kind=SegmentKind.tts, text="Lúc 17h30"),  # mười bảy giờ ba mươi
            Segment(position=2, kind=SegmentKind.silence, seconds=1.5),
            Segment(position=3, kind=SegmentKind.clip, asset=clip),
            Segment(position=4, kind=SegmentKind.bed, asset=bed, seconds=2.0),
            Segment(position=5, kind=SegmentKind.bed),
        ]
    )
    spoken = 6 / TTS_WORDS_PER_SECOND  # "lúc mười bảy giờ ba mươi"
    assert estimate_ms(programme, {}) == round((spoken + 1.5 + 4 + 2) * 1000)


@pytest.mark.usefixtures("tree")
def test_the_length_warning_stays_on_the_page_and_in_the_list(
    client: Any, services: Services
) -> None:
    token = operator(client)
    pid = create(client, token)
    add(client, pid, token, "silence", seconds="1")
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert "ước tính 0:01 — ngắn hơn mức tối thiểu 2 giây" in page
    for seconds in ("40", "40"):
        add(client, pid, token, "silence", seconds=seconds)
    estimated = "ước tính 1:21 — dài hơn mức tối đa 21 giây"
    assert estimated in client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert estimated in client.get("/programmes").get_data(as_text=True)
    assert "cảnh báo" in post(client, f"/programmes/{pid}/render", token)
    for _ in range(2):  # the render's message shows once; the warning stays
        page = client.get(f"/programmes/{pid}").get_data(as_text=True)
        assert re.search(r">1:2\d — dài hơn mức tối đa", page) and "ước tính" not in page
        assert "Gửi lãnh đạo duyệt" in page  # offered, and refused with the reason:
    assert "Không thể gửi duyệt: chương trình dài hơn" in post(
        client, f"/programmes/{pid}/submit", token
    )
    assert "dài hơn mức tối đa" in client.get("/programmes").get_data(as_text=True)


@pytest.mark.usefixtures("tree")
def test_uploads_join_the_units_library_and_are_reused(
    client: Any, services: Services, tmp_path: Path
) -> None:
    token = operator(client)
    first = create(client, token)
    clip = tone(tmp_path / "phong-van.mp3", 2.0).read_bytes()
    add(client, first, token, "clip", file=(io.BytesIO(clip), "pv.mp3"), name="Phỏng vấn chủ tịch")
    add(client, first, token, "clip", file=(io.BytesIO(clip), "lai.mp3"), name="Lần nữa")
    with services.sessions() as s:
        clips = s.scalars(select(Clip)).all()
        assert [(c.name, c.asset.duration_ms // 100) for c in clips] == [("Phỏng vấn chủ tịch", 20)]
        clip_id = clips[0].id
    answer = client.post(  # next month's programme of the same unit
        "/programmes/new",
        data={"campaign": "CDS", "month": "2027-01", "title": "Tháng sau", "csrf_token": token},
    )
    second = int(answer.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/programmes/{second}").get_data(as_text=True)
    assert "Phỏng vấn chủ tịch" in page and f"/clips/{clip_id}/audio" in page and "0:02" in page
    listen = client.get(f"/clips/{clip_id}/audio")
    assert listen.status_code == 200 and listen.data == clip
    page = add(client, second, token, "clip", source="library", clip=str(clip_id))
    assert "Đã thêm đoạn ghi âm" in page and "đoạn đoạn" not in page
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AudioAsset)) == 2  # jingle and clip
    operator(client, "xa-khac")  # another commune neither sees nor uses it
    assert client.get(f"/clips/{clip_id}/audio").status_code == 404
    assert "Phỏng vấn chủ tịch" not in client.get("/programmes/new").get_data(as_text=True)


@pytest.mark.usefixtures("tree")
def test_a_clip_longer_than_the_programme_may_be_is_refused(
    client: Any, services: Services, tmp_path: Path
) -> None:
    token = operator(client)
    pid = create(client, token)
    long_clip = tone(tmp_path / "dai.mp3", 75).read_bytes()  # the campaign allows 1 minute
    page = add(client, pid, token, "clip", file=(io.BytesIO(long_clip), "hội nghị.mp3"))
    assert "Đoạn ghi âm dài 1 phút 15 giây, quá thời lượng tối đa" in page
    assert "“hội nghị.mp3”" in page and "tệp không được lưu" in page
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Clip)) == 0
        assert s.scalar(select(func.count()).select_from(AudioAsset)) == 1  # the jingle
    assert programme_row(services, pid)[1] == []
    page = add(client, pid, token, "bed", file=(io.BytesIO(long_clip), "nen.mp3"), seconds="2")
    assert "Đã thêm đoạn nhạc nền" in page  # a bed loops under the rest: its length is free


@pytest.mark.usefixtures("tree")
def test_a_music_bed_is_written_in_the_editor_and_rendered(
    client: Any, services: Services, tmp_path: Path
) -> None:
    token = operator(client)
    pid = create(client, token)
    bed = tone(tmp_path / "nen.mp3", 3.0).read_bytes()
    add(client, pid, token, "bed", file=(io.BytesIO(bed), "nen.mp3"), seconds="1,5", name="Nền")
    add(client, pid, token, "tts", text="Kính thưa bà con, xã triển khai chuyển đổi số.")
    page = add(client, pid, token, "bed", source="stop")
    assert "Nhạc nền dừng tại đây" in page and "1.5 giây mở đầu" in page
    add(client, pid, token, "jingle", source="campaign")
    assert "Đã dựng xong" in post(client, f"/programmes/{pid}/render", token)
    with services.sessions() as s:
        segments = s.get_one(Programme, pid).segments
        assert [(g.kind.value, g.seconds, g.asset_sha256 is not None) for g in segments] == [
            ("bed", 1.5, True), ("tts", None, False), ("bed", None, False), ("jingle", None, True)
        ]


@pytest.mark.usefixtures("tree")
def test_a_draft_is_renamed_or_deleted_an_approved_one_is_not(
    client: Any, services: Services
) -> None:
    token = operator(client)
    pid = create(client, token)
    add(client, pid, token, "silence", seconds="1")
    assert "Cần nhập tên" in post(client, f"/programmes/{pid}/rename", token, title="  ")
    page = post(client, f"/programmes/{pid}/rename", token, title="Tên mới")
    assert "Đã đổi tên" in page and "<h1>Tên mới" in page
    page = post(client, f"/programmes/{pid}/delete", token)
    assert "Đã xoá chương trình “Tên mới”" in page and "Chưa có chương trình" in page
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Segment)) == 0
    assert client.get(f"/programmes/{pid}").status_code == 404

    again = create(client, token)  # the month is free again
    with transaction(services.sessions) as s:
        s.get_one(Programme, again).status = s.get_one(Programme, again).status.approved
    assert "đã duyệt, không thể sửa" in post(client, f"/programmes/{again}/delete", token)
    page = post(client, f"/programmes/{again}/rename", token, title="X")
    assert "đã duyệt, không thể sửa" in page
    other = operator(client, "xa-khac")
    assert client.post(f"/programmes/{again}/delete", data={"csrf_token": other}).status_code == 404
