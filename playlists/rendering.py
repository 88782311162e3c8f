"""Rendering a programme's segments into its one master file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from loa.audio.render import RenderOptions, RenderResult, SegmentSpec, render_programme
from loa.audio.store import AudioStore
from loa.errors import LoaError
from loa.playlists.assets import record_asset
from loa.playlists.editing import check_renderable, render_cache
from loa.playlists.lexicon import operator_acronyms
from loa.playlists.limits import render_ceiling_s
from loa.playlists.models import Programme, ProgrammeStatus, Segment
from loa.playlists.programmes import duration_problem, get_programme
from loa.settings import Settings


@dataclass(frozen=True)
class RenderOutcome:
    programme: Programme
    problem: str | None  # the length check's message, if the campaign's bounds are broken


def _spec(segment: Segment, store: AudioStore) -> SegmentSpec:
    path = store.path(segment.asset_sha256) if segment.asset_sha256 else None
    return SegmentSpec(
        kind=segment.kind.value,  # type: ignore[arg-type]
        text=segment.text,
        path=path,
        seconds=segment.seconds,
        engine=segment.engine,
        voice=segment.voice,
    )


def _options(programme: Programme, settings: Settings, acronyms: dict[str, str]) -> RenderOptions:
    campaign = programme.campaign
    return RenderOptions(
        title=programme.title,
        campaign=campaign.topic,
        unit=programme.unit.name,
        month=programme.month,
        tts_engine=campaign.tts_engine,
        tts_voice=campaign.tts_voice,
        tts_fallback=settings.tts_fallback,
        cache_dir=render_cache(settings),
        acronyms=acronyms,
        max_seconds=render_ceiling_s(campaign),
    )


def _record(
    session: Session, store: AudioStore, programme: Programme, result: RenderResult, now: datetime
) -> None:
    """Keep both files as assets and the render's outcome on the programme and its segments."""
    record_asset(
        session,
        result.sha256,
        result.bytes,
        result.duration_ms,
        result.format,
        result.loudness_lufs,
    )
    archive_bytes = store.path(result.archive_sha256).stat().st_size
    record_asset(
        session,
        result.archive_sha256,
        archive_bytes,
        result.duration_ms,
        "mp3",
        result.loudness_lufs,
    )
    for segment, report in zip(programme.segments, result.segments, strict=True):
        segment.engine_used, segment.render_note = report.engine_used, report.note
    programme.master_sha256, programme.archive_sha256 = result.sha256, result.archive_sha256
    programme.duration_ms = result.duration_ms
    programme.status, programme.rendered_at = ProgrammeStatus.rendered, now
    session.flush()


def render(
    session: Session,
    store: AudioStore,
    settings: Settings,
    programme_id: int,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> RenderOutcome:
    """Render the programme into one loudness-normalised MP3 and record it."""
    from loa.metrics import RENDER_SECONDS  # here: the CLI starts without prometheus_client

    programme = get_programme(session, programme_id)
    if programme.status is ProgrammeStatus.approved:
        raise LoaError("Chương trình đã duyệt, không dựng lại (approved programmes are final)")
    check_renderable(session, settings, programme)
    specs = [_spec(s, store) for s in programme.segments]
    options = _options(programme, settings, operator_acronyms(session, programme.unit))
    with RENDER_SECONDS.time():
        rendered = render_programme(specs, options, store, progress=progress)
    # Approved meanwhile (`loa programme approve` does not wait for renders): the
    # approved audio stays. Locked, so an approval now waits for this one to commit.
    session.refresh(programme, with_for_update=True)
    if programme.status is ProgrammeStatus.approved:
        raise LoaError("Chương trình đã duyệt trong khi dựng, giữ bản đã duyệt "
                       "(approved during the render: the approved audio is kept)")
    _record(session, store, programme, rendered, now)
    campaign = programme.campaign
    problem = duration_problem(programme.duration_ms or 0, campaign.min_s, campaign.max_s)
    return RenderOutcome(programme, problem)
