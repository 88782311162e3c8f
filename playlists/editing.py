"""Writing a programme piece by piece: what the web editor calls, one change at a time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.audio.store import AudioStore
from loa.errors import LoaError
from loa.playlists.assets import minutes_text
from loa.playlists.campaigns import check_month, get_campaign
from loa.playlists.jobs import active_job, enqueue
from loa.playlists.lexicon import operator_acronyms
from loa.playlists.limits import (
    check_bed_length,
    check_free_space,
    check_render_length,
    check_segment_count,
    check_unit_queue,
)
from loa.playlists.models import AudioAsset, Clip, Programme, ProgrammeStatus, Segment, SegmentKind
from loa.playlists.programmes import (
    build_segment,
    check_in_scope,
    check_seconds,
    check_text,
    count_spoken_words,
    find_programme,
    get_programme,
    mark_draft,
    spoken_words,
)
from loa.settings import Settings
from loa.stations.units import get_unit

Direction = Literal["up", "down"]
FILE_KINDS = (SegmentKind.clip.value, SegmentKind.jingle.value, SegmentKind.bed.value)
# espeak-ng's Vietnamese voice at its default rate: 160 words took 36.7 s (web/static/editor.js
# uses the same figure while the operator types).
TTS_WORDS_PER_SECOND = 4.3
MAX_TITLE = 300


def create_programme(
    session: Session,
    campaign_code: str,
    unit_code: str,
    month: str,
    title: str,
    created_by: str | None = None,
) -> Programme:
    """A new, empty draft programme of ``unit_code`` for one campaign and month."""
    campaign = get_campaign(session, campaign_code)
    unit = get_unit(session, unit_code)
    month = check_month(month)
    title = check_title(title)
    check_in_scope(campaign, unit)
    if not campaign.runs_in(month):
        raise LoaError(
            f"Chiến dịch {campaign.code} không có kế hoạch tháng {month} (campaign not running)"
        )
    if find_programme(session, campaign, unit, month) is not None:
        raise LoaError(
            f"{unit.name} đã có chương trình tháng {month} cho chiến dịch {campaign.code} "
            "(programme already exists)"
        )
    programme = Programme(
        campaign=campaign, unit=unit, month=month, title=title, created_by=created_by
    )
    session.add(programme)
    session.flush()
    return programme


def new_version(session: Session, programme_id: int, created_by: str | None) -> Programme:
    """A draft copy of an approved programme, to correct it; approving it replaces the old one.

    Cases: only the latest version, once approved, gets a new one (one correction at a
    time); the copy keeps the segments and title; the old version stays approved and
    keeps its airings until the new one is approved (scheduler.service.plan then moves
    the airings still to come, while those that aired keep counting for the old).
    """
    old = get_programme(session, programme_id)
    latest = find_programme(session, old.campaign, old.unit, old.month)
    if latest is not old:
        raise LoaError(
            f"Đã có bản sửa đổi số {latest.version if latest else '?'} của chương trình này "
            "(a newer version exists)"
        )
    if old.status is not ProgrammeStatus.approved:
        raise LoaError("Chỉ tạo bản sửa đổi cho chương trình đã duyệt (approve it first)")
    programme = Programme(
        campaign=old.campaign,
        unit=old.unit,
        month=old.month,
        title=old.title,
        version=old.version + 1,
        replaces_id=old.id,
        created_by=created_by,
    )
    programme.segments = [
        Segment(
            position=s.position,
            kind=s.kind,
            text=s.text,
            spoken_words=s.spoken_words,
            seconds=s.seconds,
            engine=s.engine,
            voice=s.voice,
            asset_sha256=s.asset_sha256,
        )
        for s in old.segments
    ]
    session.add(programme)
    session.flush()
    return programme


def check_title(title: str) -> str:
    """A programme's title, stripped; empty or longer than the column is refused."""
    title = title.strip()
    if not title:
        raise LoaError("Cần nhập tên chương trình (title is required)")
    if len(title) > MAX_TITLE:
        raise LoaError(f"Tên chương trình tối đa {MAX_TITLE} ký tự (title too long)")
    return title


def rename_programme(session: Session, programme_id: int, title: str) -> Programme:
    """Give a programme not yet approved a new title (its audio does not change)."""
    programme = editable_programme(session, programme_id)
    programme.title = check_title(title)
    session.flush()
    return programme


def delete_programme(session: Session, programme_id: int) -> str:
    """Delete a programme not yet approved, with its segments; its title, for the message."""
    programme = editable_programme(session, programme_id)
    title = programme.title
    session.delete(programme)
    session.flush()
    return title


def editable_programme(session: Session, programme_id: int) -> Programme:
    """The programme, if it may still change: approved programmes are final."""
    programme = get_programme(session, programme_id)
    if programme.status is ProgrammeStatus.approved:
        raise LoaError("Chương trình đã duyệt, không thể sửa (approved programmes are final)")
    return programme


def _with_room(session: Session, programme_id: int) -> Programme:
    """The programme, if it may change and take one more segment (checked before a file is
    stored or a text normalised)."""
    programme = editable_programme(session, programme_id)
    check_segment_count(len(programme.segments) + 1)
    return programme


def _raw(
    kind: str,
    text: str | None,
    seconds: float | None,
    upload_path: Path | None,
    use_campaign_jingle: bool,
) -> dict[str, Any]:
    """The editor's fields in the form the shared validator reads (a TOML segment)."""
    if kind == SegmentKind.tts.value:
        return {"tts": text}
    if kind == SegmentKind.silence.value:
        return {"silence": seconds}
    if kind == SegmentKind.jingle.value and use_campaign_jingle:
        return {"jingle": "campaign"}
    if kind in FILE_KINDS:
        if upload_path is None:
            raise LoaError("Chưa chọn tệp âm thanh (no file chosen)")
        raw: dict[str, Any] = {kind: upload_path.name}
        if kind == SegmentKind.bed.value and seconds:
            raw["seconds"] = seconds
        return raw
    raise LoaError(f"Loại đoạn không hợp lệ {kind!r} (unknown segment kind)")


def add_segment(
    session: Session,
    store: AudioStore,
    programme_id: int,
    kind: str,
    *,
    text: str | None = None,
    seconds: float | None = None,
    upload_path: Path | None = None,
    use_campaign_jingle: bool = False,
    voice: str | None = None,
    engine: str | None = None,
) -> Segment:
    """Append a checked segment; a clip is stored only once it passes the clip checks."""
    programme = _with_room(session, programme_id)
    raw = _raw(kind, text, seconds, upload_path, use_campaign_jingle)
    if kind == SegmentKind.tts.value:
        raw.update({k: v for k, v in (("voice", voice), ("engine", engine)) if v})
    base = upload_path.parent if upload_path is not None else Path.cwd()
    segment = build_segment(
        session,
        store,
        programme.campaign.jingle_sha256,
        base,
        len(programme.segments) + 1,
        raw,
        programme.campaign.max_s * 1000,
    )
    return _append(session, programme, segment)


def add_library_clip(
    session: Session, programme_id: int, kind: str, clip: Clip, seconds: float | None = None
) -> Segment:
    """Append a clip, jingle or music bed from the unit's library (checked when uploaded)."""
    programme = _with_room(session, programme_id)
    if kind not in FILE_KINDS:
        raise LoaError(f"Loại đoạn không hợp lệ {kind!r} (unknown segment kind)")
    position = len(programme.segments) + 1
    segment = Segment(position=position, kind=SegmentKind(kind), asset_sha256=clip.asset_sha256)
    if kind == SegmentKind.bed.value:
        check_bed_length(clip.asset.duration_ms, clip.name)
        segment.seconds = check_seconds(position, seconds) if seconds else None
    elif clip.asset.duration_ms > programme.campaign.max_s * 1000:
        raise LoaError(
            f"Đoạn ghi âm “{clip.name}” dài {minutes_text(clip.asset.duration_ms)}, quá thời "
            f"lượng tối đa của chương trình (clip longer than the programme may be)"
        )
    return _append(session, programme, segment)


def stop_bed(session: Session, programme_id: int) -> Segment:
    """Append the point where the music bed playing ends (a bed segment with no audio)."""
    programme = _with_room(session, programme_id)
    position = len(programme.segments) + 1
    return _append(session, programme, Segment(position=position, kind=SegmentKind.bed))


def _append(session: Session, programme: Programme, segment: Segment) -> Segment:
    programme.segments.append(segment)
    count_spoken_words(session, programme)
    mark_draft(programme)
    session.flush()
    return segment


def estimate_ms(programme: Programme, acronyms: dict[str, str] | None = None) -> int:
    """How long the programme will be once rendered, from its segments, before rendering.

    Cases: speech counts the words the engine will read (numbers and codes spelt
    out, counted when the text was written) at ``TTS_WORDS_PER_SECOND``; clips and
    jingles their known length; silences their seconds; a music bed only its intro,
    since it plays under the rest. A text never counted is normalised with ``acronyms``.
    """
    total = 0
    for segment in programme.segments:
        words = segment.spoken_words
        if words is None and segment.text is not None:
            words = spoken_words(segment.text, acronyms or {})
        asset_ms = segment.asset.duration_ms if segment.asset is not None else None
        total += segment_estimate_ms(segment.kind, words, segment.seconds, asset_ms)
    return total


def estimated_lengths(session: Session, programme_ids: Collection[int]) -> dict[int, int]:
    """``estimate_ms`` of many programmes from their segments' stored figures, in one query
    (a list of programmes reads no text)."""
    rows = session.execute(
        select(Segment.programme_id, Segment.kind, Segment.spoken_words, Segment.seconds,
               AudioAsset.duration_ms)
        .outerjoin(AudioAsset, AudioAsset.sha256 == Segment.asset_sha256)
        .where(Segment.programme_id.in_(programme_ids))
    )
    totals = dict.fromkeys(programme_ids, 0)
    for row in rows:
        totals[row.programme_id] += segment_estimate_ms(row.kind, row.spoken_words, row.seconds,
                                                        row.duration_ms)
    return totals


def segment_estimate_ms(kind: SegmentKind, words: int | None, seconds: float | None,
                        asset_ms: int | None) -> int:
    """One segment's share of ``estimate_ms`` from its stored figures alone."""
    if kind is SegmentKind.tts:
        return round((words or 0) / TTS_WORDS_PER_SECOND * 1000)
    if kind in (SegmentKind.silence, SegmentKind.bed):
        return round((seconds or 0.0) * 1000)
    return asset_ms or 0


def check_renderable(session: Session, settings: Settings, programme: Programme) -> None:
    """Refuse, before it is queued or started, a render that cannot be useful or would
    exhaust the server: far too long for its campaign, or a disk short of space."""
    estimate = estimate_ms(programme, operator_acronyms(session, programme.unit))
    check_render_length(estimate, programme.campaign)
    check_free_space([settings.audio_dir, render_cache(settings)], settings.render_reserve_mb,
                     estimate)


def queue_render(session: Session, settings: Settings, programme_id: int, now: datetime,
                 by: str | None) -> bool:
    """Queue a render of the programme once it passes the checks; False if one is already
    queued or running (that one's outcome is what the operator waits for)."""
    programme = get_programme(session, programme_id)
    if active_job(session, programme_id) is not None:
        return False
    check_renderable(session, settings, programme)
    check_unit_queue(session, programme.unit_id)
    return enqueue(session, programme_id, now, by)


def render_cache(settings: Settings) -> Path:
    """Where renders keep synthesised speech and decoded sounds."""
    return settings.home / "tts-cache"


def _segment_of(programme: Programme, segment_id: int) -> Segment:
    found = next((s for s in programme.segments if s.id == segment_id), None)
    if found is None:
        raise LoaError(f"Không tìm thấy đoạn số {segment_id} (segment not found)")
    return found


def _renumber(session: Session, programme: Programme, order: list[Segment]) -> None:
    """Give ``order`` positions 1..n without ever holding two rows at one position.

    The (programme, position) pair is unique and checked row by row, so positions pass
    through negative values first.
    """
    for i, segment in enumerate(order, start=1):
        segment.position = -i
    session.flush()
    for i, segment in enumerate(order, start=1):
        segment.position = i
    session.flush()
    session.expire(programme, ["segments"])  # reload the list in its new order


def remove_segment(session: Session, programme_id: int, segment_id: int) -> None:
    """Delete one segment and close the gap it leaves."""
    programme = editable_programme(session, programme_id)
    segment = _segment_of(programme, segment_id)
    programme.segments.remove(segment)
    mark_draft(programme)
    session.flush()  # the delete goes first, freeing its position
    _renumber(session, programme, list(programme.segments))


def move_segment(
    session: Session, programme_id: int, segment_id: int, direction: Direction
) -> None:
    """Swap a segment with its neighbour; moving past either end changes nothing."""
    if direction not in ("up", "down"):
        raise LoaError(f"Hướng không hợp lệ {direction!r} (direction must be up or down)")
    programme = editable_programme(session, programme_id)
    order = list(programme.segments)
    index = order.index(_segment_of(programme, segment_id))
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        return
    order[index], order[other] = order[other], order[index]
    mark_draft(programme)
    _renumber(session, programme, order)


def reorder_segments(session: Session, programme_id: int, order: list[int]) -> bool:
    """Put the programme's segments in ``order`` (their ids, first to last) in one change.

    Cases: the order must name every segment of the programme exactly once, so a stale
    page (a segment added or deleted meanwhile) or another programme's ids are refused;
    the same order as now changes nothing (False) and keeps a rendered programme as it is.
    """
    programme = editable_programme(session, programme_id)
    segments = {s.id: s for s in programme.segments}
    if len(order) != len(segments) or set(order) != set(segments):
        raise LoaError(
            "Thứ tự gửi lên không khớp các đoạn của chương trình; hãy tải lại trang "
            "(the order must list each segment of the programme once)"
        )
    if order == [s.id for s in programme.segments]:
        return False
    mark_draft(programme)
    _renumber(session, programme, [segments[i] for i in order])
    return True


def update_text(session: Session, programme_id: int, segment_id: int, text: str) -> Segment:
    """Replace the text a TTS segment reads."""
    programme = editable_programme(session, programme_id)
    segment = _segment_of(programme, segment_id)
    if segment.kind is not SegmentKind.tts:
        raise LoaError("Chỉ sửa được chữ của đoạn đọc văn bản (only TTS text can be edited)")
    segment.text = check_text(segment.position, text)
    segment.spoken_words = None
    count_spoken_words(session, programme)
    segment.engine_used = segment.render_note = None  # they described the old text
    mark_draft(programme)
    session.flush()
    return segment
