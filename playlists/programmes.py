"""Monthly programmes: import from TOML, the programme that applies to a station, approval."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.audio.normalize import normalize_vi
from loa.audio.store import AudioStore
from loa.errors import LoaError
from loa.playlists.assets import store_clip
from loa.playlists.campaigns import check_month, get_campaign
from loa.playlists.lexicon import operator_acronyms
from loa.playlists.limits import (
    MAX_BED_S,
    bed_too_long,
    check_segment_count,
    check_text_length,
    gap_words,
)
from loa.playlists.models import Campaign, Programme, ProgrammeStatus, Segment, SegmentKind
from loa.stations.models import AdminUnit
from loa.stations.units import ancestors, get_unit

KINDS = ("tts", "clip", "jingle", "silence", "bed")


def get_programme(session: Session, programme_id: int) -> Programme:
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise LoaError(f"Không tìm thấy chương trình số {programme_id} (programme not found)")
    return programme


def check_text(position: int, value: object) -> str:
    """The text of a TTS segment, stripped; empty, not text or too long is refused."""
    if not isinstance(value, str) or not value.strip():
        raise LoaError(f"Đoạn {position}: văn bản đọc (tts) đang trống (empty text)")
    check_text_length(position, value.strip())
    return value.strip()


def check_seconds(position: int, value: object) -> float:
    """The length of a silence, between 0 (exclusive) and 60 seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 60:
        raise LoaError(f"Đoạn {position}: khoảng lặng phải từ 0 đến 60 giây (silence 0-60 s)")
    return float(value)


def build_segment(
    session: Session,
    store: AudioStore,
    campaign_jingle: str | None,
    base: Path,
    position: int,
    raw: dict[str, Any],
    max_ms: int | None = None,
) -> Segment:
    """One checked segment from its raw form (a TOML table, or the editor's form).

    Cases: exactly one of ``KINDS`` as key; ``tts`` non-empty text; ``silence`` 0–60 s;
    ``jingle = "campaign"`` the campaign's jingle (which must exist); any other clip,
    jingle or bed value a file under ``base``, checked and stored (ClipError if unusable).
    """
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        raise LoaError(
            f"Đoạn {position}: cần đúng một trong {', '.join(KINDS)} (one kind per segment)"
        )
    kind = SegmentKind(kinds[0])
    value = raw[kind.value]
    segment = Segment(
        position=position, kind=kind, engine=raw.get("engine"), voice=raw.get("voice")
    )
    if kind is SegmentKind.tts:
        segment.text = check_text(position, value)
    elif kind is SegmentKind.silence:
        segment.seconds = check_seconds(position, value)
    elif kind is SegmentKind.jingle and value == "campaign":
        if campaign_jingle is None:
            raise LoaError(
                f"Đoạn {position}: chiến dịch chưa có nhạc hiệu (campaign has no jingle)"
            )
        segment.asset_sha256 = campaign_jingle
    else:
        path = (base / str(value)).resolve()
        if not path.is_file():
            raise LoaError(f"Đoạn {position}: không tìm thấy tệp {value!r} (file not found)")
        if kind is SegmentKind.bed:
            stored = store_clip(session, store, path, MAX_BED_S * 1000, bed_too_long)
        else:
            stored = store_clip(session, store, path, max_ms)
        segment.asset_sha256 = stored.sha256
        if kind is SegmentKind.bed and raw.get("seconds") is not None:
            segment.seconds = check_seconds(position, raw["seconds"])
    return segment


def count_spoken_words(session: Session, programme: Programme) -> None:
    """Count the words of each spoken segment not counted yet (a new or edited text)."""
    uncounted = [s for s in programme.segments if s.text is not None and s.spoken_words is None]
    if uncounted:
        acronyms = operator_acronyms(session, programme.unit)
        for segment in uncounted:
            segment.spoken_words = spoken_words(segment.text or "", acronyms)


def spoken_words(text: str, acronyms: dict[str, str]) -> int:
    """How many words the engine reads for ``text`` (numbers and codes spelt out)."""
    return len(normalize_vi(text, acronyms).split())


def mark_draft(programme: Programme) -> None:
    """Back to draft after any change: the old master no longer matches the segments."""
    programme.status = ProgrammeStatus.draft
    programme.submitted_by = programme.submitted_at = None  # the leader saw another version
    programme.master_sha256 = programme.archive_sha256 = None
    programme.duration_ms = programme.rendered_at = None


def _required(doc: dict[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LoaError(f"Tệp chương trình thiếu trường {key!r} (missing field)")
    return value.strip()


def check_in_scope(campaign: Campaign, unit: AdminUnit) -> None:
    """A unit may make a campaign's programme only if it sits under the campaign's unit."""
    if campaign.unit not in ancestors(unit):
        raise LoaError(f"Đơn vị {unit.code} không thuộc phạm vi chiến dịch {campaign.code}")


def find_programme(
    session: Session, campaign: Campaign, unit: AdminUnit, month: str
) -> Programme | None:
    """The latest version of ``unit``'s programme for this campaign and month, if any."""
    return session.scalar(
        select(Programme)
        .where(Programme.campaign == campaign, Programme.unit == unit, Programme.month == month)
        .order_by(Programme.version.desc())
        .limit(1)
    )


def import_programme(session: Session, store: AudioStore, path: Path) -> Programme:
    """Create (or, while not approved, replace) a programme from a TOML file."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LoaError(f"Không đọc được tệp chương trình {path.name}: {exc}") from exc
    campaign = get_campaign(session, _required(doc, "campaign"))
    unit = get_unit(session, _required(doc, "unit"))
    month = check_month(_required(doc, "month"))
    raw_segments = doc.get("segments")
    if not isinstance(raw_segments, list) or not raw_segments:
        raise LoaError("Chương trình cần ít nhất một đoạn [[segments]] (no segments)")
    check_segment_count(len(raw_segments))
    check_in_scope(campaign, unit)
    programme = find_programme(session, campaign, unit, month)
    if programme is not None and programme.status is ProgrammeStatus.approved:
        raise LoaError(f"Chương trình tháng {month} của {unit.name} đã được duyệt, không thể thay")
    segments = [
        build_segment(
            session, store, campaign.jingle_sha256, path.parent, i, raw, campaign.max_s * 1000
        )
        for i, raw in enumerate(raw_segments, start=1)
    ]
    if programme is None:
        programme = Programme(campaign=campaign, unit=unit, month=month, title="")
        session.add(programme)
    programme.title = _required(doc, "title")
    mark_draft(programme)
    programme.segments.clear()
    session.flush()
    programme.segments.extend(segments)
    count_spoken_words(session, programme)
    session.flush()
    return programme


def duration_problem(duration_ms: int, min_s: int, max_s: int) -> str | None:
    """Why a programme's length breaks the campaign's bounds, by how much (rounded up, so
    never "0 giây"), or None."""
    if duration_ms < min_s * 1000:
        vi, en = gap_words(min_s * 1000 - duration_ms)
        return f"ngắn hơn mức tối thiểu {vi} (too short by {en})"
    if duration_ms > max_s * 1000:
        vi, en = gap_words(duration_ms - max_s * 1000)
        return f"dài hơn mức tối đa {vi} (too long by {en})"
    return None


def approve(session: Session, programme_id: int, now: datetime) -> Programme:
    """Approve a rendered programme whose length is within its campaign's bounds."""
    programme = get_programme(session, programme_id)
    if programme.status is ProgrammeStatus.approved:
        return programme
    if programme.status is not ProgrammeStatus.rendered or programme.duration_ms is None:
        raise LoaError("Cần dựng âm thanh (render) trước khi duyệt (render before approving)")
    campaign = programme.campaign
    problem = duration_problem(programme.duration_ms, campaign.min_s, campaign.max_s)
    if problem:
        raise LoaError(f"Không thể duyệt: chương trình {problem}")
    programme.status, programme.approved_at = ProgrammeStatus.approved, now
    session.flush()
    return programme


@dataclass(frozen=True)
class Candidate:
    unit_id: int
    programme_id: int


def nearest_programme(unit_chain: Sequence[int], candidates: Sequence[Candidate]) -> int | None:
    """The programme that applies to a station whose unit chain (self first) is ``unit_chain``.

    Cases: a commune's own programme wins over its district's, which wins over
    its province's (relay: "tiếp phát lại"); programmes of units outside the
    chain never apply; of one unit's candidates the last (its latest version)
    wins; no candidate gives None.
    """
    by_unit = {c.unit_id: c.programme_id for c in candidates}
    return next((by_unit[u] for u in unit_chain if u in by_unit), None)


def applicable_programme(
    session: Session, unit: AdminUnit, campaign_id: int, month: str
) -> Programme | None:
    """The approved programme of ``campaign_id`` a station of ``unit`` airs in ``month``."""
    chain = [u.id for u in ancestors(unit)]
    rows = session.execute(
        select(Programme.unit_id, Programme.id).where(
            Programme.campaign_id == campaign_id,
            Programme.month == month,
            Programme.status == ProgrammeStatus.approved,
            Programme.unit_id.in_(chain),
        )
        .order_by(Programme.version)  # a unit's latest approved version wins
    )
    chosen = nearest_programme(chain, [Candidate(r.unit_id, r.id) for r in rows])
    return session.get(Programme, chosen) if chosen is not None else None
