"""Lay segments on a timeline: crossfades, silences and a ducked music bed, at 44.1 kHz."""

from __future__ import annotations

import mmap
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from loa.audio.loudness import SILENCE_LUFS, integrated_loudness

RATE = 44100
ITEM_LUFS = -20.0  # every item is matched to this before mixing, so levels agree across items
CROSSFADE_S = 0.3  # overlap around music (jingles, clips); speech meets speech with a declick
DECLICK_S = 0.005
BED_LEVEL_DB = -6.0  # the bed alone, relative to items
BED_FADE_S = 1.5
DUCK_ATTACK_S = 0.3
DUCK_RELEASE_S = 0.8
_BLOCK = RATE * 10
_HOP = RATE // 10  # settled stretches end on loudness hops, so analysis needs no carry-over
_SETTLE_S = max(BED_FADE_S, CROSSFADE_S + DUCK_ATTACK_S) + 0.1
# The master is 16-bit with 12 dB of headroom: 1.0 (full scale) is UNIT, so sums up to ±4
# never clip before the limiter, at half the memory of float32. Rounding noise ends up near
# -80 dBFS after mastering (measured), far under what either MP3 rendition keeps.
UNIT = 8192


@dataclass
class Placed:
    """An item on the timeline: its first sample and how it treats the bed."""

    start: int
    length: int
    duck: float  # bed gain while this item plays: 0 mutes it (jingle), small ducks it (speech)


class BedSource(Protocol):
    """A music bed at its level, looping: ``take`` is asked for consecutive stretches."""

    def take(self, offset: int, n: int) -> np.ndarray:
        """``n`` float32 samples starting ``offset`` samples into the loop."""

    def close(self) -> None:
        """Release what the source holds (a decoder)."""


class LoopedArray:
    """A bed already in memory (short beds in tests and benches)."""

    def __init__(self, pcm: np.ndarray) -> None:
        self.pcm = pcm

    def take(self, offset: int, n: int) -> np.ndarray:
        return _looped(self.pcm, offset, n)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class BedSpan:
    """A music bed looping from ``start`` to ``stop`` samples."""

    source: BedSource
    start: int
    stop: int = -1


@dataclass
class Timeline:
    """Items placed so far; ``cursor`` is where the next item begins."""

    master: np.ndarray  # 16-bit, UNIT = full scale
    cursor: int = 0
    settled: int = 0  # samples before this are final: beds mixed, no item will reach back
    previous_music: bool = False
    placed: list[Placed] = field(default_factory=list)
    beds: list[BedSpan] = field(default_factory=list)


def to_float(pcm: np.ndarray) -> np.ndarray:
    """16-bit PCM to float32 in ±1."""
    return pcm.astype(np.float32) * np.float32(1 / 32768)


def matching_gain(x: np.ndarray, target: float = ITEM_LUFS, rate: int = RATE, *,
                  short: bool = False) -> float:
    """Linear gain that brings ``x`` to ``target`` LUFS (1 for items too quiet to gate);
    ``short``: measured with numpy alone (loudness.Analysis)."""
    level = integrated_loudness(x, rate, short=short)
    return 10 ** ((target - level) / 20) if level > SILENCE_LUFS else 1.0


def match_loudness(x: np.ndarray, target: float = ITEM_LUFS) -> np.ndarray:
    """Scale ``x`` in place to ``target`` LUFS (items too quiet to gate are left alone)."""
    x *= np.float32(matching_gain(x, target))
    return x


def from_master(pcm: np.ndarray) -> np.ndarray:
    """Master samples (16-bit, UNIT = full scale) as float32, full scale ±1."""
    return pcm.astype(np.float32) * np.float32(1 / UNIT)


def _add(dest: np.ndarray, x: np.ndarray) -> None:
    """``dest += x`` for a stretch of the 16-bit master and float samples, rounded."""
    total = dest.astype(np.float32)
    total += x * np.float32(UNIT)
    np.clip(np.rint(total, out=total), -32768, 32767, out=total)
    dest[:] = total


def _add_faded(dest: np.ndarray, x: np.ndarray, seconds: float) -> None:
    """``dest += x`` with ``x`` faded in and out over ``seconds``; ``x`` itself is untouched."""
    # Items may be read-only views of the cache, and copying each one would cost memory.
    n = min(len(x) // 2, int(seconds * RATE))
    if not n:
        _add(dest, x)
        return
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    _add(dest[:n], x[:n] * ramp)
    _add(dest[n:len(x) - n], x[n:len(x) - n])
    _add(dest[len(x) - n:], x[len(x) - n:] * ramp[::-1])


def _zeros(n: int) -> np.ndarray:
    """``n`` 16-bit zeros in fresh pages from the OS: only what is used costs RAM."""
    buffer = mmap.mmap(-1, max(1, n) * 2, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        # 2 MB pages: first touching a 15-minute master costs a quarter of the time.
        buffer.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(buffer, dtype=np.int16)[:n]


def new_timeline(max_seconds: int = 3600) -> Timeline:
    """An empty timeline with room for ``max_seconds`` (it grows if needed)."""
    return Timeline(_zeros(RATE * max_seconds))


def _ensure(timeline: Timeline, end: int) -> None:
    if end > len(timeline.master):
        grown = _zeros(max(end, len(timeline.master) * 2))
        grown[:len(timeline.master)] = timeline.master
        timeline.master = grown


def place(timeline: Timeline, x: np.ndarray, *, music: bool, duck: float) -> Placed:
    """Add item ``x`` after the previous one, overlapping it when either is music."""
    overlap = int(CROSSFADE_S * RATE) if (music or timeline.previous_music) else 0
    overlap = min(overlap, len(x) // 2, timeline.cursor)
    start = timeline.cursor - overlap
    _ensure(timeline, start + len(x))
    _add_faded(timeline.master[start:start + len(x)], x, max(DECLICK_S, overlap / RATE))
    timeline.cursor = start + len(x)
    timeline.previous_music = music
    item = Placed(start, len(x), duck)
    timeline.placed.append(item)
    return item


def silence(timeline: Timeline, seconds: float) -> None:
    """Leave ``seconds`` of silence (the bed, if any, plays through it)."""
    timeline.cursor += round(seconds * RATE)
    _ensure(timeline, timeline.cursor)
    timeline.previous_music = False


def start_bed(timeline: Timeline, bed: BedSource | np.ndarray | None, intro_s: float) -> None:
    """End the current bed here and start ``bed`` (None: no bed) with ``intro_s`` alone.

    A source is at its level already; an array is levelled here.
    """
    if timeline.beds and timeline.beds[-1].stop < 0:
        timeline.beds[-1].stop = timeline.cursor
    if isinstance(bed, np.ndarray):
        if not len(bed):
            return
        bed = LoopedArray(bed * np.float32(matching_gain(bed, ITEM_LUFS + BED_LEVEL_DB)))
    if bed is not None:
        timeline.beds.append(BedSpan(bed, timeline.cursor))
        silence(timeline, intro_s)


def _bed_gain(placed: list[Placed], start: int, end: int) -> np.ndarray:
    """Bed gain over [start, end): the lowest of each item's ramp-down, hold, ramp-up shape."""
    # Offsets from the block start: float32 holds whole numbers exactly only up to 2**24
    # samples (6.3 minutes), so absolute positions would bend the ramps in long programmes.
    offsets = np.arange(end - start, dtype=np.float32)
    gain = np.ones(end - start, dtype=np.float32)
    attack, release = DUCK_ATTACK_S * RATE, DUCK_RELEASE_S * RATE
    for item in placed:
        stop = item.start + item.length
        if item.duck >= 1.0 or stop + release < start or item.start - attack > end:
            continue
        into = np.clip((offsets - (item.start - start - attack)) / attack, 0.0, 1.0)
        out = np.clip(((stop - start + release) - offsets) / release, 0.0, 1.0)
        depth = np.minimum(into, out)
        np.minimum(gain, 1.0 - depth * (1.0 - item.duck), out=gain)
    return gain


def _looped(pcm: np.ndarray, offset: int, n: int) -> np.ndarray:
    """``n`` samples of ``pcm`` played in a loop, starting ``offset`` samples into the loop."""
    offset %= len(pcm)
    if offset + n <= len(pcm):
        return pcm[offset:offset + n]
    laps = -(-(offset + n) // len(pcm))
    return np.tile(pcm, laps)[offset:offset + n]


def _mix_beds(timeline: Timeline, lo: int, hi: int, total: int | None) -> None:
    """Add the beds over [lo, hi); ``total`` is the programme's end once known."""
    fade = int(BED_FADE_S * RATE)
    for bed in timeline.beds:
        stop = bed.stop if bed.stop >= 0 else total  # None: the bed is still playing
        if stop is not None and total is not None:
            stop = min(stop, total)
        until = hi if stop is None else min(hi, stop)
        for start in range(max(lo, bed.start), until, _BLOCK):
            end = min(until, start + _BLOCK)
            gain = _bed_gain(timeline.placed, start, end)
            if stop is not None and end > stop - fade:
                # Fade the bed out over its last BED_FADE_S so it never stops abruptly.
                gain *= np.clip((stop - np.arange(start, end)) / fade, 0.0, 1.0).astype(
                    np.float32)
            gain *= bed.source.take(start - bed.start, end - start)
            _add(timeline.master[start:end], gain)
        if stop is not None and until >= stop:
            bed.source.close()  # heard to its end: its decoder is not needed any more


def settle(timeline: Timeline) -> tuple[int, int]:
    """Mix the beds as far as no later segment can change; returns the newly final range.

    A later segment reaches back at most a crossfade plus a duck attack (its start and the
    bed's dip before it), or a bed fade (ending a bed fades its last seconds), so everything
    more than _SETTLE_S before the cursor is final and can be analysed while mixing goes on.
    """
    upto = (timeline.cursor - int(_SETTLE_S * RATE)) // _HOP * _HOP
    lo = timeline.settled
    if upto > lo:
        _mix_beds(timeline, lo, upto, None)
        timeline.settled = upto
    return lo, timeline.settled


def finish(timeline: Timeline) -> np.ndarray:
    """Mix the rest of the beds under the items; the programme (16-bit, UNIT = full scale)."""
    total = timeline.cursor
    _mix_beds(timeline, timeline.settled, total, total)
    timeline.settled = total
    close_beds(timeline)
    return timeline.master[:total]


def close_beds(timeline: Timeline) -> None:
    """Release every bed's decoder (at the end, or when a render stops half-way)."""
    for bed in timeline.beds:
        bed.source.close()
