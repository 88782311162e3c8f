"""Inputs that cannot exhaust the server: each limit is a clear message, before anything is
stored or queued, on the web (HTTP) and on the command line."""

from __future__ import annotations

import dataclasses
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import tests.helpers.editor
from loa.db import transaction
from loa.playlists.editing import add_segment, create_programme
from loa.playlists.limits import MAX_QUEUED_PER_UNIT, MAX_SEGMENTS, MAX_TTS_CHARS
from loa.playlists.models import AudioAsset, Programme, RenderJob, Segment
from loa.services import Services
from loa.web.editor import KICK_KEY
from tests.conftest import Loa
from tests.helpers.editor import add, create, operator, post

tree = tests.helpers.editor.tree  # a shared fixture

TOO_LONG_TEXT = "Bà con chú ý. " * (MAX_TTS_CHARS // 14 + 1)
# About 600 words, 140 s at the estimate's 4.3 words a second: more than twice CDS's 1 minute.
LONG_SPEECH = "Kính thưa bà con, xã triển khai chuyển đổi số trong mọi thôn xóm. " * 45


def segments_of(services: Services, pid: int) -> list[Segment]:
    with transaction(services.sessions) as s:
        found = s.get(Programme, pid)
        assert found is not None
        return list(found.segments)


def jobs(services: Services) -> int:
    with transaction(services.sessions) as s:
        return s.scalar(select(func.count(RenderJob.id))) or 0


def toml(folder: Path, name: str, segments: str, month: str = "2026-12") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'title = "{name}"\ncampaign = "CDS"\nunit = "11560"\nmonth = "{month}"\n\n'
                    + segments, encoding="utf-8")
    return path


@pytest.mark.usefixtures("tree")
def test_a_spoken_text_past_10000_characters_is_refused_on_the_web_and_the_cli(
    client: Any, services: Services, loa: Loa, tmp_path: Path
) -> None:
    token = operator(client)
    pid = create(client, token)
    page = add(client, pid, token, "tts", text=TOO_LONG_TEXT)
    assert "văn bản đọc tối đa 10.000 ký tự" in page and "hãy chia thành nhiều đoạn" in page
    assert segments_of(services, pid) == []
    add(client, pid, token, "tts", text="Xin chào bà con.")
    segment_id = segments_of(services, pid)[0].id
    page = post(client, f"/programmes/{pid}/segments/{segment_id}/text", token,
                text=TOO_LONG_TEXT)
    assert "tối đa 10.000 ký tự" in page
    assert segments_of(services, pid)[0].text == "Xin chào bà con."

    source = toml(tmp_path, "dai", f'[[segments]]\ntts = "{TOO_LONG_TEXT}"\n', month="2027-01")
    out = loa("programme", "import", str(source), ok=False)
    assert "Đoạn 1: văn bản đọc tối đa 10.000 ký tự" in out and "text at most 10000" in out


@pytest.mark.usefixtures("tree")
def test_a_form_body_past_the_form_limit_is_413_with_the_error_page(
    client: Any, services: Services
) -> None:
    token = operator(client)
    pid = create(client, token)
    huge = "a" * 600_000  # over MAX_FORM_MEMORY_SIZE (500 KB), url-encoded as a browser sends
    answer = client.post(f"/programmes/{pid}/segments",
                         data={"csrf_token": token, "kind": "tts", "text": huge},
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 413
    page = answer.get_data(as_text=True)
    assert "Nội dung gửi lên quá lớn: một biểu mẫu tối đa 500 KB" in page
    assert segments_of(services, pid) == []
    # An upload (multipart) still takes a file far larger than a form.
    big_upload = client.post(f"/programmes/{pid}/segments", data={
        "csrf_token": token, "kind": "clip", "file": (io.BytesIO(b"x" * 700_000), "ghi-am.mp3")},
        content_type="multipart/form-data", follow_redirects=True)
    assert big_upload.status_code == 200
    shown = big_upload.get_data(as_text=True)
    assert "tệp không được lưu" in shown  # checked as audio, not a 413


@pytest.mark.usefixtures("tree")
def test_a_programme_takes_at_most_200_segments(
    client: Any, services: Services, loa: Loa, tmp_path: Path
) -> None:
    token = operator(client)
    pid = create(client, token)
    with transaction(services.sessions) as s:
        for _ in range(MAX_SEGMENTS):
            add_segment(s, services.store, pid, "silence", seconds=0.1)
    page = add(client, pid, token, "silence", seconds="1")
    assert "Một chương trình có tối đa 200 đoạn" in page
    assert len(segments_of(services, pid)) == MAX_SEGMENTS

    many = "[[segments]]\nsilence = 0.1\n\n" * (MAX_SEGMENTS + 1)
    out = loa("programme", "import", str(toml(tmp_path, "nhieu", many, "2027-01")), ok=False)
    assert "tối đa 200 đoạn" in out


@pytest.mark.usefixtures("tree")
def test_a_programme_estimated_far_past_the_campaigns_maximum_is_not_rendered(
    client: Any, app: Any, services: Services, loa: Loa
) -> None:
    kicked: list[bool] = []
    app.extensions[KICK_KEY] = lambda: kicked.append(True)
    token = operator(client)
    pid = create(client, token)
    add(client, pid, token, "tts", text=LONG_SPEECH)
    page = post(client, f"/programmes/{pid}/render", token)
    assert "ước tính dài 2 phút" in page and "quá xa mức tối đa 1 phút 0 giây" in page
    assert jobs(services) == 0 and not kicked
    out = loa("programme", "render", str(pid), ok=False)
    assert "estimated length far above the campaign's maximum" in out


@pytest.mark.usefixtures("tree")
def test_a_music_bed_past_three_hours_is_refused_from_its_header(
    client: Any, services: Services, loa: Loa, tmp_path: Path
) -> None:
    bed = tmp_path / "nen-dai.flac"  # 3 h 1 min of silence: a few hundred KB of FLAC
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "anullsrc=r=8000:cl=mono", "-t", str(3 * 3600 + 60), str(bed)], check=True)
    token = operator(client)
    pid = create(client, token)
    answer = client.post(f"/programmes/{pid}/segments", data={
        "csrf_token": token, "kind": "bed", "source": "upload",
        "file": (bed.open("rb"), "nhac-nen.flac")},
        content_type="multipart/form-data", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "Nhạc nền dài 181 phút 0 giây, tối đa 180 phút 0 giây" in page
    assert "tệp không được lưu" in page
    assert segments_of(services, pid) == []
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count()).select_from(AudioAsset)) == 1  # the jingle only

    source = toml(tmp_path, "nen", '[[segments]]\nbed = "nen-dai.flac"\n', "2027-01")
    assert "music bed too long" in loa("programme", "import", str(source), ok=False)


@pytest.mark.both_databases  # the unit's row is locked on PostgreSQL while renders are counted
@pytest.mark.usefixtures("tree")
def test_a_unit_queues_at_most_five_renders(
    client: Any, app: Any, services: Services
) -> None:
    app.extensions[KICK_KEY] = lambda: None  # no worker: the renders stay queued
    ids = []
    with transaction(services.sessions) as s:
        for month in range(1, MAX_QUEUED_PER_UNIT + 3):
            made = create_programme(s, "CDS", "11560", f"2027-{month:02d}", f"Tháng {month}")
            add_segment(s, services.store, made.id, "tts", text="Xin chào bà con.")
            ids.append(made.id)
    token = operator(client)
    for pid in ids[:MAX_QUEUED_PER_UNIT]:
        post(client, f"/programmes/{pid}/render", token)
    assert jobs(services) == MAX_QUEUED_PER_UNIT
    page = post(client, f"/programmes/{ids[-1]}/render", token)
    assert "Đơn vị đang có 5 chương trình chờ dựng (tối đa 5)" in page
    assert jobs(services) == MAX_QUEUED_PER_UNIT
    # Another unit's queue is its own.
    with transaction(services.sessions) as s:
        other = create_programme(s, "CDS", "11557", "2027-01", "Thiên Hương")
        add_segment(s, services.store, other.id, "tts", text="Xin chào bà con.")
        other_id = other.id
    other_token = operator(client, "xa-khac")
    post(client, f"/programmes/{other_id}/render", other_token)
    assert jobs(services) == MAX_QUEUED_PER_UNIT + 1


@pytest.mark.usefixtures("tree")
def test_a_render_is_refused_when_the_audio_volume_is_short_of_space(
    client: Any, app: Any, services: Services, loa: Loa
) -> None:
    app.extensions[KICK_KEY] = lambda: None
    token = operator(client)
    pid = create(client, token)
    add(client, pid, token, "tts", text="Xin chào bà con.")
    # A reserve larger than any disk: the volume is "short of space" whatever it holds.
    short = dataclasses.replace(services.settings, render_reserve_mb=1 << 30)
    app.extensions["loa"] = dataclasses.replace(services, settings=short)
    page = post(client, f"/programmes/{pid}/render", token)
    assert "Ổ đĩa chứa âm thanh còn trống" in page
    assert jobs(services) == 0
    loa.env["LOA_RENDER_RESERVE_MB"] = str(1 << 30)
    out = loa("programme", "render", str(pid), ok=False)
    assert "not enough free disk space to render" in out


@pytest.mark.usefixtures("tree")
def test_pages_show_a_long_text_as_a_summary_and_its_own_page_shows_it_whole(
    client: Any, services: Services, loa: Loa
) -> None:
    token = operator(client)
    pid = create(client, token)
    long_text = "Kế hoạch số 29/KH-UBND ngày 09/02/2022. " * 240 + "Hết bản tin số 7."
    add(client, pid, token, "tts", text=long_text)
    segment = segments_of(services, pid)[0]
    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    assert "Kế hoạch số 29/KH-UBND" in page and "Hết bản tin" not in page
    assert "hết bản tin số bảy" not in page.lower()  # nor its spoken form past the summary
    assert f"{len(long_text):,} ký tự".replace(",", ".") in page
    whole = client.get(f"/programmes/{pid}/segments/{segment.id}/text").get_data(as_text=True)
    assert "Hết bản tin số 7." in whole and "hết bản tin số bảy" in whole.lower()
    assert 'maxlength="10000"' in whole  # the operator may edit it here
    # The list estimates the draft from the words counted when the text was written.
    listing = client.get("/programmes").get_data(as_text=True)
    assert 'data-estimated="yes"' in listing
    estimate = int(listing.split('data-ms="')[1].split('"')[0])
    assert estimate == round(segment.spoken_words / 4.3 * 1000)
    assert segment.spoken_words > len(long_text.split())  # numbers and codes spelt out
    # Another ward's operator sees nothing of it.
    other = client.application.test_client()
    operator(other, "xa-khac")
    assert other.get(f"/programmes/{pid}/segments/{segment.id}/text").status_code == 404


@pytest.mark.both_databases  # a migration
def test_0008_counts_the_words_of_texts_written_before_it_and_goes_down(
    empty_database_url: str,
) -> None:
    database_url = empty_database_url
    from alembic import command
    from sqlalchemy import create_engine, inspect, text

    from loa import migrate

    config = migrate.alembic_config(database_url)
    command.upgrade(config, "0007_renderjob")
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO admin_unit (id, code, name, level) "
                              "VALUES (1, '31', 'Hải Phòng', 'province')"))
            conn.execute(text("INSERT INTO campaign (id, code, topic, unit_id, min_airings, "
                              "min_s, max_s, tts_engine, tts_voice, allow_resume) VALUES "
                              "(1, 'CDS', 'Chuyển đổi số', 1, 3, 600, 900, 'espeak-ng', 'vi', "
                              "false)"))
            conn.execute(text("INSERT INTO programme (id, campaign_id, unit_id, month, title, "
                              "status, version) VALUES (1, 1, 1, '2026-12', 'T12', 'draft', 1)"))
            conn.execute(text("INSERT INTO segment (id, programme_id, position, kind, text) "
                              "VALUES (1, 1, 1, 'tts', 'Lúc 17h30'), (2, 1, 2, 'silence', NULL)"))
        command.upgrade(config, "0008_render")
        with engine.connect() as conn:
            counted = conn.execute(text("SELECT id, spoken_words FROM segment ORDER BY id")).all()
        assert [tuple(row) for row in counted] == [(1, 6), (2, None)]  # lúc mười bảy giờ ba mươi
        command.downgrade(config, "-1")  # 0008_render alone
        columns = {c["name"] for c in inspect(engine).get_columns("segment")}
        assert "spoken_words" not in columns
    finally:
        engine.dispose()
