"""Synthetic jingle and music bed for the benchmarks (generated, never downloaded)."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np

RATE = 44100
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
