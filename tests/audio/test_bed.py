"""A streamed music bed plays exactly the looped file, short or long, and its level is set
from its opening minutes; its decoder ends with it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from loa.audio import bed, mix
from loa.audio.clips import decode_pcm
from loa.audio.errors import AudioError, ClipError
from loa.audio.loudness import integrated_loudness

from .conftest import RATE


def _bed_file(path: Path, seconds: float) -> Path:
    source = f"sine=frequency=330:duration={seconds},volume=0.3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-ar",
                    str(RATE), str(path)], check=True)
    return path


def _played(stream: bed.StreamedBed, total: int, block: int) -> np.ndarray:
    parts = [stream.take(start, min(block, total - start)) for start in range(0, total, block)]
    return np.concatenate(parts)


@pytest.mark.parametrize("keep_s", [bed.KEEP_S, 1])
def test_a_streamed_bed_is_the_file_looped_kept_in_memory_or_decoded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_s: int
) -> None:
    monkeypatch.setattr(bed, "KEEP_S", keep_s)  # 1: too long to keep, decoded at each lap
    path = _bed_file(tmp_path / "nen.wav", 3.0)
    pcm = mix.to_float(decode_pcm(path, rate=RATE))
    stream = bed.StreamedBed(path, 0.5)
    total = 10 * RATE + 123  # three laps and a bit, in blocks that straddle the laps' ends
    played = _played(stream, total, RATE // 3)
    stream.close()
    expected = np.tile(pcm, 4)[:total] * np.float32(0.5)
    np.testing.assert_allclose(played, expected, atol=1e-4)


def test_the_level_is_set_from_the_opening_minutes_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _bed_file(tmp_path / "nen.wav", 4.0)
    gain = bed.bed_gain(path, tmp_path / "cache", -26.0)
    pcm = mix.to_float(decode_pcm(path, rate=RATE)) * np.float32(gain)
    assert integrated_loudness(pcm, RATE) == pytest.approx(-26.0, abs=0.1)

    def no_decoding(*_args: object) -> float:
        raise AssertionError("measured again")

    monkeypatch.setattr(bed, "measure_gain", no_decoding)
    assert bed.bed_gain(path, tmp_path / "cache", -26.0) == pytest.approx(gain)


def test_a_bed_that_decodes_to_nothing_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "rong.wav"
    empty.write_bytes(b"")
    stream = bed.StreamedBed(empty, 1.0)
    with pytest.raises(ClipError, match=r"rong\.wav"):
        stream.take(0, RATE)


def test_a_render_running_past_its_ceiling_stops_with_a_message(tmp_path: Path) -> None:
    from loa.audio.render import RenderOptions, SegmentSpec, render_programme
    from loa.audio.store import AudioStore

    options = RenderOptions(title="T", campaign="C", unit="U", month="2026-12",
                            cache_dir=tmp_path / "c", max_seconds=60)
    segments = [SegmentSpec("silence", seconds=50.0), SegmentSpec("silence", seconds=20.0)]
    with pytest.raises(AudioError, match="dài quá 1 phút"):
        render_programme(segments, options, AudioStore(tmp_path / "store"))
    assert not (tmp_path / "store").exists() or not list((tmp_path / "store").rglob("*.mp3"))
