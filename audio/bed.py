"""Music beds, streamed: decoded block by block as the mix reaches them, never whole.

A bed is often far longer than the programme (an album, an hour of music) and only its
first minutes are heard, so decoding it whole cost memory in proportion to the file
(a 2-hour bed took 2.9 GB). Here an ffmpeg pipe feeds the mix; a bed that ends before
the programme does loops, from memory when it is short, by decoding it again when not.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from loa.audio import children, mix
from loa.audio.cache import touch
from loa.audio.clips import FFMPEG
from loa.audio.errors import ClipError
from loa.audio.items import file_key
from loa.audio.loudness import SILENCE_LUFS, Analysis, loudness_of_hops

# The bed's level is set from its first minutes: what a programme hears of it (the
# longest a render may run is 2 hours, but most are 10 to 30 minutes).
LEVEL_WINDOW_S = 600
KEEP_S = 120  # a bed this short is kept in memory (21 MB) to loop; a longer one is decoded again
_READ = mix.RATE * 4  # samples read from the pipe at once: 4 s, 700 kB


def _decoder(path: Path, seconds: float | None = None) -> subprocess.Popen[bytes]:
    cmd = [FFMPEG, "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1",
           "-ar", str(mix.RATE)]
    if seconds is not None:
        cmd += ["-t", str(seconds)]
    return children.popen([*cmd, "-f", "f32le", "-"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _close(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    children.forget(proc)


def _read(proc: subprocess.Popen[bytes], n: int) -> np.ndarray:
    """Up to ``n`` samples from a decoder; fewer only at its end."""
    assert proc.stdout is not None
    data = proc.stdout.read(n * 4)
    return np.frombuffer(data[:len(data) // 4 * 4], dtype="<f4")


def measure_gain(path: Path, target_lufs: float) -> float:
    """Linear gain bringing the bed's first LEVEL_WINDOW_S to ``target_lufs``, in blocks."""
    analysis = Analysis(mix.RATE, frames=False)
    proc = _decoder(path, LEVEL_WINDOW_S)
    try:
        while len(block := _read(proc, _READ)):
            analysis.feed(block)
    finally:
        _close(proc)
    level = loudness_of_hops(analysis.hops())
    return 10 ** ((target_lufs - level) / 20) if level > SILENCE_LUFS else 1.0


def bed_gain(path: Path, cache: Path, target_lufs: float) -> float:
    """``measure_gain``, kept in ``cache`` so a re-render does not decode the bed twice."""
    key = file_key(path, target_lufs)
    kept = cache / "files" / key[:2] / f"{key}.level.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        gain = float(json.loads(kept.read_text(encoding="utf-8"))["gain"])
        touch(kept)
        return gain
    gain = measure_gain(path, target_lufs)
    kept.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=kept.parent, prefix=".level-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"gain": gain}, fh)
    os.replace(tmp, kept)
    return gain


class StreamedBed:
    """A bed file played in a loop from its start, read forward block by block.

    ``take`` is called with consecutive offsets (the mixer settles the timeline from
    start to end); the decoder is started on first use and killed by ``close``.
    """

    def __init__(self, path: Path, gain: float) -> None:
        self.path, self.gain = path, np.float32(gain)
        self._proc: subprocess.Popen[bytes] | None = None
        self._position = 0  # samples of the loop handed out so far
        self._kept: list[np.ndarray] | None = []  # the first lap, while it is short
        self._lap: np.ndarray | None = None  # the whole lap, once known to be short

    def take(self, offset: int, n: int) -> np.ndarray:
        """``n`` samples starting ``offset`` samples into the loop, at the bed's level."""
        if offset < self._position:  # never asked by the mixer; decode from the start again
            self.close()
            self._position, self._kept, self._lap = 0, [], None
        while self._position < offset:  # skipped samples (equally never asked): read past them
            self._next(min(offset - self._position, _READ))
        parts, wanted = [], n
        while wanted:
            part = self._next(wanted)
            parts.append(part)
            wanted -= len(part)
        out = np.concatenate(parts) if len(parts) > 1 else parts[0].copy()
        out *= self.gain
        return out

    def _next(self, n: int) -> np.ndarray:
        """Up to ``n`` following samples of the loop (at least one)."""
        if self._lap is not None:
            at = self._position % len(self._lap)
            part = self._lap[at:at + n]
            self._position += len(part)
            return part
        if self._proc is None:
            self._proc = _decoder(self.path)
        part = _read(self._proc, n)
        if not len(part):  # the end of a lap
            self._lap_ended()
            return self._next(n)
        if self._kept is not None:
            self._kept.append(part)
            if self._position + len(part) > KEEP_S * mix.RATE:
                self._kept = None  # too long to keep: it will be decoded again
        self._position += len(part)
        return part

    def _lap_ended(self) -> None:
        assert self._proc is not None
        _close(self._proc)
        self._proc = None
        if self._position == 0:
            raise ClipError(f"Nhạc nền không có âm thanh: {self.path.name}")
        if self._kept is not None:
            self._lap = np.concatenate(self._kept)
            self._kept = None

    def close(self) -> None:
        if self._proc is not None:
            _close(self._proc)
            self._proc = None


def open_bed(path: Path, cache: Path) -> StreamedBed:
    """The bed at ``path``, levelled to sit BED_LEVEL_DB under the items, ready to stream."""
    return StreamedBed(path, bed_gain(path, cache, mix.ITEM_LUFS + mix.BED_LEVEL_DB))
