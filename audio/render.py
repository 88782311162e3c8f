"""Render a programme's segments into one loudness-normalised, tagged MP3 in the store."""

from __future__ import annotations

import contextvars
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Literal

import numpy as np

from loa.audio import items, mix
from loa.audio.bed import StreamedBed, open_bed
from loa.audio.encode import (
    ENCODE_HEADROOM_DB,
    PLAYER_MP3,
    Mp3Spec,
    Tags,
    encode_stream,
    write_tags,
)
from loa.audio.errors import AudioError
from loa.audio.loudness import SILENCE_LUFS, Analysis, master_blocks, plan_master
from loa.audio.normalize import normalize_vi
from loa.audio.store import AudioStore, StoredAudio
from loa.audio.truepeak import TruePeakMeter

RATE = mix.RATE
ARCHIVE_MP3 = Mp3Spec(kbps=128, sample_rate=RATE, quality=7)
SPEECH_DUCK = 10 ** (-18 / 20)  # bed level under speech, relative to the bed alone

Kind = Literal["tts", "clip", "jingle", "silence", "bed"]


@dataclass(frozen=True)
class SegmentSpec:
    """One segment. ``bed`` starts a music bed that loops under everything after it.

    Cases:
    - bed with ``path``: the bed plays alone for ``seconds`` (default 0), then keeps playing
      under the following segments: ducked 18 dB under tts and clips, muted under jingles,
      at full level through silences; it ends, fading out, at the next bed or the end;
    - bed without ``path``: stops the current bed here.
    """

    kind: Kind
    text: str | None = None
    path: Path | None = None
    seconds: float | None = None
    engine: str | None = None
    voice: str | None = None


@dataclass(frozen=True)
class RenderOptions:
    """How to render: tags, TTS choice, loudness target and the synthesis cache."""

    title: str
    campaign: str
    unit: str
    month: str
    tts_engine: str = "espeak-ng"
    tts_voice: str = "vi"
    tts_rate: int | None = None
    tts_fallback: str | None = "espeak-ng"
    target_lufs: float = -16.0
    true_peak_db: float = -1.5
    cache_dir: Path | None = None
    acronyms: dict[str, str] | None = None
    # The render stops past this length (an estimate can be wrong): memory grows with it.
    max_seconds: float | None = None


@dataclass(frozen=True)
class SegmentReport:
    """What happened to one segment: which engine spoke, how long, and any note."""

    position: int
    kind: str
    engine_used: str | None
    duration_ms: int
    note: str | None


@dataclass(frozen=True)
class RenderResult:
    """The rendered programme: the player MP3 (64 kbps mono) and its 128 kbps archive copy."""

    sha256: str
    bytes: int
    duration_ms: int
    loudness_lufs: float
    true_peak_db: float
    format: str
    archive_sha256: str
    segments: list[SegmentReport]


@dataclass(frozen=True)
class _Loaded:
    audio: np.ndarray | None = None  # float32 at 44.1 kHz, matched to mix.ITEM_LUFS
    engine: str | None = None
    note: str | None = None
    bed: StreamedBed | None = None  # a bed is streamed as the mix reaches it


def _check(position: int, seg: SegmentSpec) -> None:
    """Reject a malformed segment before any work starts."""
    if seg.kind == "tts" and not (seg.text or "").strip():
        raise AudioError(f"Đoạn {position}: chưa có nội dung để đọc")
    if seg.kind in ("clip", "jingle") and seg.path is None:
        raise AudioError(f"Đoạn {position}: chưa chọn tệp âm thanh")
    if seg.kind == "silence" and not (seg.seconds and seg.seconds > 0):
        raise AudioError(f"Đoạn {position}: khoảng lặng phải dài hơn 0 giây")
    if seg.kind not in ("tts", "clip", "jingle", "silence", "bed"):
        raise AudioError(f"Đoạn {position}: loại đoạn không hợp lệ: {seg.kind}")
    if seg.path is not None and not Path(seg.path).is_file():
        raise AudioError(f"Đoạn {position}: không tìm thấy tệp {Path(seg.path).name}")


def _load(seg: SegmentSpec, options: RenderOptions, cache: Path) -> _Loaded:
    """Synthesise or decode one segment, loudness-matched at 44.1 kHz (in a worker thread)."""
    if seg.kind == "tts":
        spoken = items.speech(normalize_vi(seg.text or "", options.acronyms),
                              engine=seg.engine or options.tts_engine,
                              voice=seg.voice or options.tts_voice, rate=options.tts_rate,
                              fallback=options.tts_fallback, cache=cache)
        return _Loaded(spoken.audio, spoken.engine, spoken.note)
    if seg.path is None:
        return _Loaded()
    if seg.kind == "bed":
        return _Loaded(bed=open_bed(Path(seg.path), cache))
    return _Loaded(items.sound_file(Path(seg.path), cache))


def _loaded_in_order(segments: Sequence[SegmentSpec], options: RenderOptions,
                     cache: Path) -> Iterator[_Loaded]:
    """Load segments in parallel (espeak-ng and ffmpeg are separate processes), yield in order.

    Only a few segments are loaded ahead of the mixer, so memory stays bounded however long
    the programme is.
    """
    workers = max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="loa-render") as pool:
        pending: deque[Future[_Loaded]] = deque()
        upcoming = iter(segments)
        try:
            for seg in islice(upcoming, workers + 1):
                pending.append(pool.submit(_in_scope(), _load, seg, options, cache))
            while pending:
                loaded = pending.popleft().result()
                following = next(upcoming, None)
                if following is not None:
                    pending.append(pool.submit(_in_scope(), _load, following, options, cache))
                yield loaded
        finally:
            for future in pending:
                future.cancel()


def _in_scope() -> Callable[..., _Loaded]:
    """Run a load in this thread's context: its child processes belong to this render."""
    return contextvars.copy_context().run


def _place(timeline: mix.Timeline, seg: SegmentSpec, loaded: _Loaded) -> int:
    """Put one loaded segment on the timeline; returns its length in samples."""
    if seg.kind == "silence":
        mix.silence(timeline, seg.seconds or 0.0)
        return round((seg.seconds or 0.0) * RATE)
    if seg.kind == "bed":
        mix.start_bed(timeline, loaded.bed, seg.seconds or 0.0)
        return round((seg.seconds or 0.0) * RATE) if loaded.bed is not None else 0
    if loaded.audio is None:
        raise AudioError(f"Đoạn {seg.kind} không có âm thanh")
    duck = 0.0 if seg.kind == "jingle" else SPEECH_DUCK
    return mix.place(timeline, loaded.audio, music=seg.kind != "tts", duck=duck).length


def _assemble(segments: Sequence[SegmentSpec], options: RenderOptions, cache: Path,
              tick: Callable[[], None]) -> tuple[np.ndarray, Analysis, list[SegmentReport]]:
    """Load and mix every segment; the float master, its analysis and a report per segment."""
    timeline = mix.new_timeline()
    analysis = Analysis(RATE, unit=mix.UNIT)
    reports: list[SegmentReport] = []
    # Stretches that no later segment can change are analysed while mixing goes on, loudness
    # and frame peaks each on its own thread (sosfilt and numpy release the GIL), so
    # mastering can start as soon as the last segment is placed.
    with (ThreadPoolExecutor(1, "loa-loudness") as hops,
          ThreadPoolExecutor(1, "loa-peaks") as peaks):
        jobs = []

        def analyse(x: np.ndarray) -> None:
            jobs.extend([hops.submit(analysis.feed_hops, x), peaks.submit(analysis.feed_frames, x)])

        try:
            for position, (seg, loaded) in enumerate(
                    zip(segments, _loaded_in_order(segments, options, cache), strict=True),
                    start=1):
                length = _place(timeline, seg, loaded)
                _check_length(timeline.cursor, options.max_seconds)
                reports.append(SegmentReport(position, seg.kind, loaded.engine,
                                             length * 1000 // RATE, loaded.note))
                lo, hi = mix.settle(timeline)
                if hi > lo:
                    analyse(timeline.master[lo:hi])
                tick()
            lo = timeline.settled
            master = mix.finish(timeline)
            analyse(master[lo:])
        finally:
            mix.close_beds(timeline)
            for job in jobs:
                job.result()
    return master, analysis, reports


def _check_length(samples: int, max_seconds: float | None) -> None:
    if max_seconds is not None and samples > max_seconds * RATE:
        raise AudioError(f"Chương trình dài quá {round(max_seconds) // 60} phút, dừng dựng; hãy "
                         f"bớt nội dung (the programme runs past {round(max_seconds) // 60} min)")


class _Mastering:
    """The programme mixed and mastered on demand, as 16-bit blocks for the encoders.

    Nothing happens until the first block is asked for, so the encoder processes start (and
    load their libraries) while the segments are still being synthesised and mixed.
    """

    def __init__(self, segments: Sequence[SegmentSpec], options: RenderOptions,
                 tick: Callable[[], None]) -> None:
        self.segments, self.options, self.tick = segments, options, tick
        self.reports: list[SegmentReport] = []
        self.loudness = SILENCE_LUFS
        self.samples = 0
        self.meter = TruePeakMeter()

    def blocks(self) -> Iterator[np.ndarray]:
        """Mix, plan the loudness, then yield the master block by block, measuring its peak."""
        options = self.options
        with tempfile.TemporaryDirectory(prefix="loa-tts-") as scratch:
            cache = Path(options.cache_dir) if options.cache_dir else Path(scratch)
            master, analysis, self.reports = _assemble(self.segments, options, cache, self.tick)
        plan = plan_master(master, RATE, options.target_lufs,
                           options.true_peak_db - ENCODE_HEADROOM_DB, analysis)
        # The loudness is the limiter model's prediction for this exact PCM (checked against a
        # full BS.1770 measurement in the tests); re-measuring would cost a second filter pass.
        self.loudness, self.samples = plan.loudness, len(master)
        self.tick()
        for block in master_blocks(master, plan, mix.UNIT):
            self.meter.feed(mix.to_float(block))  # exactly the PCM the encoders get
            yield block


def _export(blocks: Iterator[np.ndarray], options: RenderOptions,
            store: AudioStore) -> list[StoredAudio]:
    """Encode both MP3s from the master's blocks as they come, tag them and store them."""
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".render-") as work:
        outs = encode_stream(blocks, RATE, [PLAYER_MP3, ARCHIVE_MP3], Path(work))
        tags = Tags(options.title, options.campaign, options.unit, options.month)
        stored = []
        for out in outs:
            write_tags(out, tags)
            stored.append(store.put_file(out.rename(out.with_suffix(".mp3"))))
    return stored


def render_programme(segments: Sequence[SegmentSpec], options: RenderOptions, store: AudioStore,
                     *, progress: Callable[[int, int], None] | None = None) -> RenderResult:
    """Render ``segments`` into a tagged, loudness-normalised MP3 (and archive) in ``store``."""
    if not segments:
        raise AudioError("Chương trình chưa có đoạn nào")
    for position, seg in enumerate(segments, start=1):
        _check(position, seg)
    total, done = len(segments) + 3, 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    mastering = _Mastering(segments, options, tick)
    stored = _export(mastering.blocks(), options, store)
    tick()
    peak = mastering.meter.close()
    tick()
    return RenderResult(stored[0].sha256, stored[0].bytes, mastering.samples * 1000 // RATE,
                        mastering.loudness, peak, "mp3", stored[1].sha256, mastering.reports)
