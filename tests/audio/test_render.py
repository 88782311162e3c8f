"""Rendering a programme: what the operator and the auditor will notice in the file."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from loa.audio import mix
from loa.audio.clips import decode_pcm
from loa.audio.errors import ClipError, TTSError
from loa.audio.loudness import integrated_loudness
from loa.audio.render import RenderOptions, SegmentSpec, render_programme
from loa.audio.store import AudioStore
from loa.audio.truepeak import true_peak_db
from loa.audio.tts import EspeakEngine, register_engine
from tests.helpers.reference import reference_meter, true_peak_dbfs

from .conftest import RATE, tone

OPTIONS = RenderOptions(title="Bản tin chuyển đổi số tháng 11", campaign="Chuyển đổi số",
                        unit="Xã Thủy Nguyên, Hải Phòng", month="2026-11")
NEWS = "Ngày 09/02/2022, UBND thành phố ban hành Kế hoạch số 29/KH-UBND về chuyển đổi số."


def _programme(jingle: Path, bed: Path) -> list[SegmentSpec]:
    return [
        SegmentSpec("jingle", path=jingle),
        SegmentSpec("bed", path=bed, seconds=1.0),
        SegmentSpec("tts", text=NEWS),
        SegmentSpec("silence", seconds=0.5),
        SegmentSpec("tts", text="Đài phát lại 03 lần/tháng.", voice="vi-vn-x-south"),
        SegmentSpec("bed"),
        SegmentSpec("jingle", path=jingle),
    ]


@pytest.fixture
def rendered(tmp_path: Path, store: AudioStore, jingle: Path, bed: Path):
    steps: list[tuple[int, int]] = []
    options = RenderOptions(**{**OPTIONS.__dict__, "cache_dir": tmp_path / "cache"})
    result = render_programme(_programme(jingle, bed), options, store,
                              progress=lambda done, total: steps.append((done, total)))
    return result, steps


def test_programme_is_normalised_and_never_clips(rendered, store: AudioStore) -> None:
    result, _ = rendered
    x = decode_pcm(store.path(result.sha256), rate=22050).astype(np.float64) / 32768
    measured = reference_meter(22050).integrated_loudness(x)  # independent reference meter
    assert abs(measured - OPTIONS.target_lufs) <= 1.0
    assert abs(result.loudness_lufs - OPTIONS.target_lufs) <= 1.0
    over = true_peak_dbfs(x)
    assert over <= OPTIONS.true_peak_db
    assert result.true_peak_db <= OPTIONS.true_peak_db


def test_player_and_archive_files_are_mp3_with_vietnamese_tags(rendered,
                                                                store: AudioStore) -> None:
    result, _ = rendered
    player, archive = MP3(store.path(result.sha256)), MP3(store.path(result.archive_sha256))
    assert (player.info.bitrate, player.info.channels) == (64000, 1)
    assert (archive.info.bitrate, archive.info.channels) == (128000, 1)
    assert result.format == "mp3" and store.verify(result.sha256)
    assert result.bytes == store.path(result.sha256).stat().st_size
    assert abs(player.info.length * 1000 - result.duration_ms) < 150
    tags = ID3(store.path(result.sha256))
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == "Bản tin chuyển đổi số tháng 11"
    assert str(tags["TALB"]) == "Chuyển đổi số"
    assert str(tags["TPE1"]) == "Xã Thủy Nguyên, Hải Phòng"
    assert str(tags["TXXX:LOA_MONTH"]) == "2026-11"


def test_reports_say_who_spoke_and_durations_add_up(rendered) -> None:
    result, steps = rendered
    kinds = [(r.position, r.kind, r.engine_used) for r in result.segments]
    assert kinds == [(1, "jingle", None), (2, "bed", None), (3, "tts", "espeak-ng"),
                     (4, "silence", None), (5, "tts", "espeak-ng"), (6, "bed", None),
                     (7, "jingle", None)]
    assert result.segments[3].duration_ms == 500
    laid = sum(r.duration_ms for r in result.segments)
    crossfades = 300  # the closing jingle overlaps the speech before it
    assert abs(result.duration_ms - (laid - crossfades)) <= 5
    assert [d for d, _ in steps] == list(range(1, steps[-1][1] + 1))  # every step, in order


class _Counting(EspeakEngine):
    calls: ClassVar[list[str]] = []

    def synthesize(self, text, voice, out_wav, *, rate=None):
        type(self).calls.append(text)
        super().synthesize(text, voice, out_wav, rate=rate)


def test_cache_hit_avoids_resynthesis(tmp_path: Path, store: AudioStore) -> None:
    register_engine("counting", _Counting)
    _Counting.calls.clear()
    options = RenderOptions(**{**OPTIONS.__dict__, "cache_dir": tmp_path / "c",
                               "tts_engine": "counting", "tts_voice": "vi"})
    first = [SegmentSpec("tts", text="Tin thứ nhất."), SegmentSpec("tts", text="Tin 02.")]
    a = render_programme(first, options, store)
    assert len(_Counting.calls) == 2
    assert render_programme(first, options, store).sha256 == a.sha256
    assert len(_Counting.calls) == 2  # nothing re-synthesised
    # "Tin hai." normalises to the same spoken text as "Tin 02.": still cached.
    changed = [SegmentSpec("tts", text="Tin thứ nhất."), SegmentSpec("tts", text="Tin hai."),
               SegmentSpec("tts", text="Tin mới.")]
    render_programme(changed, options, store)
    assert _Counting.calls[2:] == ["Tin mới."]


def test_gtts_offline_falls_back_and_says_so(tmp_path: Path, store: AudioStore,
                                             offline: list[object]) -> None:
    options = RenderOptions(**{**OPTIONS.__dict__, "tts_engine": "gtts"})
    result = render_programme([SegmentSpec("tts", text="Xin chào bà con.")], options, store)
    report = result.segments[0]
    assert report.engine_used == "espeak-ng"
    assert report.note is not None and "gtts" in report.note and "espeak-ng" in report.note
    without = RenderOptions(**{**options.__dict__, "tts_fallback": None})
    with pytest.raises(TTSError):
        render_programme([SegmentSpec("tts", text="Xin chào.")], without, store)


def test_corrupt_clip_fails_the_render_and_stores_nothing(tmp_path: Path,
                                                          store: AudioStore) -> None:
    bad = tmp_path / "hong.mp3"
    bad.write_bytes(b"\xff\xfb" + bytes(3000))
    with pytest.raises(ClipError, match=r"hong\.mp3"):
        render_programme([SegmentSpec("clip", path=bad)], OPTIONS, store)
    assert not store.root.exists() or not [p for p in store.root.rglob("*") if p.is_file()]


def test_bed_is_ducked_under_speech_and_muted_under_jingles() -> None:
    timeline = mix.new_timeline(30)
    bed = tone(220, 1.0, 0.3)
    mix.start_bed(timeline, bed, 2.0)
    speech = np.zeros(3 * RATE, dtype=np.float32)  # silent "speech": only the bed is heard
    mix.place(timeline, speech, music=False, duck=10 ** (-18 / 20))
    mix.silence(timeline, 2.0)
    mix.place(timeline, np.zeros(2 * RATE, dtype=np.float32), music=True, duck=0.0)
    out = mix.from_master(mix.finish(timeline))

    def level(a: float, b: float) -> float:
        part = out[int(a * RATE):int(b * RATE)]
        return 20 * np.log10(np.sqrt(np.mean(part**2)) + 1e-12)

    alone, under_speech = level(0.5, 1.5), level(3.0, 4.5)
    assert -19.0 < under_speech - alone < -17.0
    assert level(5.85, 6.35) == pytest.approx(alone, abs=0.5)  # back up during the silence
    assert level(7.8, 8.6) < alone - 60  # muted under the jingle


def test_meter_agrees_with_pyloudnorm_and_true_peak_with_oversampling() -> None:
    rng = np.random.default_rng(3)
    x = (np.convolve(rng.standard_normal(RATE * 5), np.ones(8) / 8, "same") * 0.2).astype(
        np.float32)
    x[RATE:2 * RATE] *= 0.05  # quiet passage exercises the gates
    reference = reference_meter(RATE).integrated_loudness(x.astype(np.float64))
    assert integrated_loudness(x, RATE) == pytest.approx(reference, abs=0.05)
    oversampled = true_peak_dbfs(x)
    assert true_peak_db(x, RATE) == pytest.approx(oversampled, abs=0.1)


def test_rerender_reuses_prepared_items_and_survives_a_damaged_cache(
        tmp_path: Path, store: AudioStore, jingle: Path, bed: Path) -> None:
    options = RenderOptions(**{**OPTIONS.__dict__, "cache_dir": tmp_path / "c"})
    programme = _programme(jingle, bed)
    first = render_programme(programme, options, store)
    prepared = sorted((tmp_path / "c").rglob("*.npy"))
    # Two speech items and the jingle kept at 44.1 kHz and matched for next time; the bed,
    # streamed, keeps only its level.
    assert len(prepared) == 3
    levels = sorted((tmp_path / "c").rglob("*.level.json"))
    assert len(levels) == 1
    assert render_programme(programme, options, store).sha256 == first.sha256
    for path in [*prepared, *levels]:
        path.write_bytes(b"not an array")
    assert render_programme(programme, options, store).sha256 == first.sha256
