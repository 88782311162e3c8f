"""Benchmark: render a 15-minute programme (14 TTS news items over a bed, 2 jingles)."""

from __future__ import annotations

import os
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

from bench.results import write_section
from loa.audio.clips import decode_pcm
from loa.audio.render import RenderOptions, RenderResult, SegmentSpec, render_programme
from loa.audio.store import AudioStore

RATE = 44100
ITEMS = 14
# Beside the checkout (../shared/seeds); LOA_SEEDS points elsewhere (e.g. from a worktree).
SEEDS = Path(os.environ.get("LOA_SEEDS") or
             Path(__file__).resolve().parents[1].parent / "shared" / "seeds")


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


def _memory_kb(pid: int | str) -> tuple[int, int]:
    """(RSS, PSS) of a process in kB; PSS shares the pages of common libraries fairly."""
    found = {"Rss:": 0, "Pss:": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                key = line.split(maxsplit=1)[0]
                if key in found:
                    found[key] = int(line.split()[1])
    except OSError:  # the process has just exited
        pass
    return found["Rss:"], found["Pss:"]


def _children() -> list[str]:
    """Live child processes that have started their own program (espeak-ng, ffmpeg)."""
    me = os.readlink("/proc/self/exe")
    pids: list[str] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids += (task / "children").read_text().split()
        except OSError:
            continue
    # Between fork and exec a child shares the renderer's memory; counting it would double it.
    return [pid for pid in pids if _exe(pid) not in (me, None)]


def _exe(pid: str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


class MemorySampler:
    """Peak memory of this process plus its live children (encoders), sampled every 20 ms.

    ru_maxrss of children is no use here: a child started while the renderer was large
    reports the renderer's RSS as its own peak (the counter survives exec).
    """

    def __init__(self) -> None:
        self.peak_self = self.peak_children = self.peak_total = self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            own, own_pss = _memory_kb("self")
            others = [_memory_kb(pid) for pid in _children()]
            children = sum(rss for rss, _ in others)
            self.peak_self = max(self.peak_self, own)
            self.peak_children = max(self.peak_children, children)
            self.peak_total = max(self.peak_total, own + children)
            self.peak_pss = max(self.peak_pss, own_pss + sum(pss for _, pss in others))


def _decoded_levels(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak of the player MP3 as decoded (pyloudnorm; 4× resampled
    in overlapping minutes, which keeps this check's own memory small)."""
    pcm = decode_pcm(path, rate=22050)
    loudness = pyloudnorm.Meter(22050).integrated_loudness(pcm.astype(np.float64) / 32768)
    peak, step, margin = 0.0, 22050 * 60, 64
    for start in range(0, len(pcm), step):
        part = pcm[max(0, start - margin):start + step + margin].astype(np.float64) / 32768
        peak = max(peak, float(np.abs(resample_poly(part, 4, 1)).max()))
    return loudness, 20 * float(np.log10(peak))


def _timed(segments: list[SegmentSpec], options: RenderOptions,
           store: AudioStore) -> tuple[float, RenderResult, float]:
    """Wall seconds of one render, its result, and CPU seconds of this process and children."""
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    start = time.perf_counter()
    result = render_programme(segments, options, store)
    seconds = time.perf_counter() - start
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime
              for a, b in zip(after, before, strict=True))
    return seconds, result, cpu


def _runs(folder: Path, repeats: int) -> tuple[list[tuple[str, list, RenderResult]], Path]:
    """``repeats`` cold renders (fresh TTS cache) each followed by a warm one."""
    folder.mkdir()
    segments = _programme(folder)
    store = AudioStore(folder / "store")
    cold: list[tuple[float, float, float]] = []
    warm: list[tuple[float, float, float]] = []
    for run in range(repeats):
        options = RenderOptions(title="Chuyển đổi số: bản tin tháng 11",
                                campaign="Chuyển đổi số", unit="Xã Thủy Nguyên, Hải Phòng",
                                month="2026-11", cache_dir=folder / f"tts-cache-{run}")
        for label, rows in (("cold", cold), ("warm", warm)):
            seconds, result, cpu = _timed(segments, options, store)
            rows.append((seconds, cpu, os.getloadavg()[0]))
            print(f"{label} {seconds:.2f} s, CPU {cpu:.2f} s, load {rows[-1][2]:.2f}",
                  file=sys.stderr)
    return [("cold TTS cache", cold, result), ("warm TTS cache", warm, result)], store.path(
        result.sha256)


def _median(rows: list[tuple[float, float, float]], column: int) -> float:
    return statistics.median(row[column] for row in rows)


def _report(table: list[tuple[str, list, RenderResult]], repeats: int,
            decoded: tuple[float, float], memory: MemorySampler) -> str:
    """The RESULTS.md section: medians with ranges, levels of the decoded file, peak memory."""
    lines = [f"Median of {repeats} runs each (range in brackets); load average is the "
             "1-minute load when each run ended (2 cores; other sessions share the machine).",
             "", "| run | seconds | CPU s (render + encoders) | load average | duration | "
             "loudness (predicted) | true peak (measured) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, rows, r in table:
        lines.append(f"| {label} | {_median(rows, 0):.2f} ({min(x[0] for x in rows):.2f}–"
                     f"{max(x[0] for x in rows):.2f}) | {_median(rows, 1):.2f} | "
                     f"{_median(rows, 2):.2f} | {r.duration_ms / 60000:.2f} min | "
                     f"{r.loudness_lufs:.2f} LUFS | {r.true_peak_db:.2f} dBTP |")
    mb = 1024
    memory_line = (
        "Peak memory (sampled every 20 ms over one cold and one warm render): render process "
        f"{memory.peak_self / mb:.0f} MB; child processes together (encoders; espeak-ng when "
        f"cold) {memory.peak_children / mb:.0f} MB; render process and children together "
        f"{memory.peak_total / mb:.0f} MB RSS (counting the libraries they share once per "
        f"process), {memory.peak_pss / mb:.0f} MB PSS.")
    lines += ["", f"Decoded player MP3 (pyloudnorm; peak 4× oversampled): {decoded[0]:.2f} LUFS, "
              f"{decoded[1]:.2f} dBTP. Player file {table[-1][2].bytes:,} bytes.", "",
              memory_line, "",
              f"Targets: cold ≤ 6 s, warm ≤ 4 s, memory ≤ 400 MB. {ITEMS} TTS items (espeak-ng, "
              "vi) from the seed plans over a synthetic bed, 2 synthetic jingles; output 64 kbps "
              "mono MP3 (22.05 kHz) + 128 kbps archive (44.1 kHz), encoded at once from one "
              "PCM stream."]
    return "\n".join(lines)


def main() -> None:
    """Run cold and warm renders; record time, CPU, memory and the decoded output's levels."""
    if not SEEDS.is_dir():
        sys.exit(f"seed texts not found at {SEEDS}")
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        # Memory is sampled in its own cold + warm pair from a fresh process: reading /proc
        # costs CPU, so the timed runs go unobserved.
        with MemorySampler() as memory:
            _runs(Path(tmp) / "memory", 1)
        table, player = _runs(Path(tmp) / "timed", repeats)
        decoded = _decoded_levels(player)
    write_section("render", "python -m bench.bench_render", _report(table, repeats, decoded,
                                                                      memory))


if __name__ == "__main__":
    main()
