"""Benchmark: render a 15-minute programme (14 TTS news items over a bed, 2 jingles)."""

from __future__ import annotations

import re
import resource
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from audio.render import RenderOptions, SegmentSpec, render_programme
from audio.store import AudioStore
from bench.results import write_section

RATE = 44100
ITEMS = 14
SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


def _write_wav(path: Path, x: np.ndarray) -> Path:
    pcm = np.clip(np.rint(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm.tobytes())
    return path


def _note(freq: float, seconds: float, level: float = 0.2) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.minimum(1.0, t / 0.02) * np.exp(-2.5 * t / seconds)
    tone = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    return (level * envelope * tone).astype(np.float32)


def make_jingle(path: Path, seconds: float = 8.0) -> Path:
    """A rising arpeggio ending on a held chord."""
    notes = [523.25, 659.25, 783.99, 1046.5]
    step = seconds / 8
    parts = [_note(f, step * 1.5) for f in notes]
    x = np.zeros(int(seconds * RATE), dtype=np.float32)
    for i, part in enumerate(parts):
        start = int(i * step * RATE)
        x[start:start + len(part)] += part[:len(x) - start]
    chord = sum(_note(f, seconds - 4 * step, 0.12) for f in notes)
    x[int(4 * step * RATE):int(4 * step * RATE) + len(chord)] += chord
    return _write_wav(path, x)


def make_bed(path: Path, seconds: float = 32.0) -> Path:
    """A soft four-chord loop with a pulse, loopable end to start."""
    chords = [(261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6),
              (196.0, 246.9, 293.7)]
    bar = seconds / 8
    x = np.zeros(int(seconds * RATE), dtype=np.float32)
    for i in range(8):
        start = int(i * bar * RATE)
        for beat in range(4):
            for f in chords[i % 4]:
                note = _note(f, bar / 4, 0.08)
                at = start + int(beat * bar / 4 * RATE)
                x[at:at + len(note)] += note[:len(x) - at]
    return _write_wav(path, x)


def news_items(count: int, chars: int) -> list[str]:
    """``count`` news texts of about ``chars`` characters, cut at sentences of the seed plans."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    sentences = [s.strip() for s in re.split(r"(?<=[.;:])\s+|\n+", text) if len(s.strip()) > 20]
    items, current = [], ""
    for sentence in sentences:
        current += sentence + " "
        if len(current) >= chars:
            items.append(current.strip())
            current = ""
            if len(items) == count:
                break
    return items


CHARS_PER_ITEM = 950  # about 60 s each once normalised, at espeak-ng's default rate


def _programme(folder: Path) -> list[SegmentSpec]:
    jingle = make_jingle(folder / "jingle.wav")
    bed = make_bed(folder / "bed.wav")
    segments = [SegmentSpec("jingle", path=jingle), SegmentSpec("bed", path=bed, seconds=4.0)]
    for index, text in enumerate(news_items(ITEMS, CHARS_PER_ITEM)):
        if index:
            segments.append(SegmentSpec("silence", seconds=1.0))
        segments.append(SegmentSpec("tts", text=text))
    segments += [SegmentSpec("bed"), SegmentSpec("jingle", path=jingle)]
    return segments


def _max_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    """Run cold and warm renders and record time, loudness and peak memory."""
    if not SEEDS.is_dir():
        sys.exit(f"seed texts not found at {SEEDS}")
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        folder = Path(tmp)
        segments = _programme(folder)
        store = AudioStore(folder / "store")
        options = RenderOptions(title="Chuyển đổi số: bản tin tháng 11", campaign="Chuyển đổi số",
                                unit="Xã Thủy Nguyên, Hải Phòng", month="2026-11",
                                cache_dir=folder / "tts-cache")
        rows = []
        for label in ("cold TTS cache", "warm TTS cache"):
            start = time.perf_counter()
            result = render_programme(segments, options, store)
            rows.append((label, time.perf_counter() - start, result))
    own, children = _max_rss_mb()
    lines = ["| run | seconds | duration | loudness | true peak | MP3 bytes |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, seconds, r in rows:
        lines.append(f"| {label} | {seconds:.2f} | {r.duration_ms / 60000:.2f} min | "
                     f"{r.loudness_lufs:.2f} LUFS | {r.true_peak_db:.2f} dBTP | {r.bytes:,} |")
    lines += ["", f"Peak memory (ru_maxrss): render process {own:.0f} MB, largest child "
              f"{children:.0f} MB. Targets: cold ≤ 6 s, warm ≤ 4 s, memory ≤ 400 MB. "
              f"{ITEMS} TTS items (espeak-ng, vi) from the seed plans over a synthetic bed, "
              "2 synthetic jingles; output 64 kbps mono MP3 (22.05 kHz) + 128 kbps archive."]
    write_section("render", "python -m bench.bench_render", "\n".join(lines))


if __name__ == "__main__":
    main()
