"""EBU R128 / ITU-R BS.1770 loudness, true peak and a true-peak limiter, vectorised for speed.

Only numpy at import: scipy.signal costs 0.5-1 s of CPU to import (it builds every
docstring), which an emergency bulletin's command cannot spend before it plays. A
programme (minutes of audio at 44.1 kHz) is K-weighted by scipy's sosfilt, imported when
it first runs; a short signal (``Analysis(short=True)``: a bulletin) by FFT convolution
with the same filter's impulse response, with numpy alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SILENCE_LUFS = -70.0
_BLOCK_S = 10.0  # work in 10 s blocks so a 15-minute programme never needs a second full copy
_LIMIT_WINDOW_S = 0.010
_FRAME_S = 30 / 44100  # limiter frame, 0.68 ms: 30 samples at 44.1 kHz, 15 at 22.05 kHz


@lru_cache(maxsize=8)
def _k_weighting(rate: int) -> np.ndarray:
    """BS.1770 K-weighting as second-order sections [b0 b1 b2 a0 a1 a2]: the +4 dB shelf
    above 1.5 kHz, then the 38 Hz high-pass, as RBJ biquads (pyloudnorm's design; the test
    compares the two, and pyloudnorm itself would import scipy.signal)."""
    w0 = 2 * np.pi * np.array([1500.0, 38.0]) / rate
    cos, sin = np.cos(w0), np.sin(w0)
    a = 10 ** (4.0 / 40)  # shelf gain 4 dB, Q 1/sqrt(2)
    alpha = sin[0] / (2 / np.sqrt(2))
    root = 2 * np.sqrt(a) * alpha
    shelf = [a * ((a + 1) + (a - 1) * cos[0] + root), -2 * a * ((a - 1) + (a + 1) * cos[0]),
             a * ((a + 1) + (a - 1) * cos[0] - root), (a + 1) - (a - 1) * cos[0] + root,
             2 * ((a - 1) - (a + 1) * cos[0]), (a + 1) - (a - 1) * cos[0] - root]
    alpha = sin[1] / (2 * 0.5)  # high-pass Q 0.5
    high_pass = [(1 + cos[1]) / 2, -(1 + cos[1]), (1 + cos[1]) / 2, 1 + alpha, -2 * cos[1],
                 1 - alpha]
    sos = np.array([shelf, high_pass], dtype=np.float64)
    return sos / sos[:, 3:4]


_RESPONSE_S = 0.25  # the K-weighting's impulse response is below 1e-12 after 0.11 s


@lru_cache(maxsize=8)
def _k_response(rate: int) -> np.ndarray:
    """The K-weighting's impulse response, _RESPONSE_S long: the inverse FFT of its frequency
    response over 4 s (by then the response is far below float64's resolution)."""
    size = 1 << int(np.ceil(np.log2(4 * rate)))
    z = np.exp(-1j * np.linspace(0.0, np.pi, size // 2 + 1))  # z^-1 around the unit circle
    response = np.ones_like(z)
    for b0, b1, b2, a0, a1, a2 in _k_weighting(rate):
        response *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    return np.fft.irfft(response, size)[:round(_RESPONSE_S * rate)]


class _IIRWeighting:
    """The K-weighting by scipy's sosfilt, its state carried from block to block."""

    def __init__(self, rate: int) -> None:
        from scipy.signal import sosfilt  # here, not at import: see the module's docstring

        self._sosfilt = sosfilt
        self._sos = _k_weighting(rate)
        self._state = np.zeros((len(self._sos), 2))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y, self._state = self._sosfilt(self._sos, x, zi=self._state)
        return y


class _FIRWeighting:
    """The K-weighting by FFT convolution with its impulse response (overlap-add: the tail
    of each block's response is added to the next). Numpy only; fast for seconds to a few
    minutes of audio, five times slower than sosfilt over a whole programme."""

    def __init__(self, rate: int) -> None:
        self._h = _k_response(rate)
        self._tail = np.zeros(len(self._h) - 1)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        size = 1 << int(np.ceil(np.log2(len(x) + len(self._h))))
        y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(self._h, size), size)
        y = y[:len(x) + len(self._tail)]
        y[:len(self._tail)] += self._tail
        self._tail = y[len(x):].copy()
        return y[:len(x)]


def frame_size(rate: int) -> int:
    """Samples per limiter frame at ``rate``: about 0.68 ms, dividing the 100 ms hop."""
    hop = rate // 10
    size = max(1, round(_FRAME_S * rate))
    while hop % size:  # the nearest divisor of the hop at or below the nominal size
        size -= 1
    return size


class Analysis:
    """What mastering needs from a signal fed in consecutive blocks: per 100 ms hop the mean
    square of the K-weighted signal and, optionally, per 30-sample frame the peak and energy.

    Blocks may be any length; a tail shorter than a hop is left out, as BS.1770 gating does.
    ``short``: the signal is seconds to minutes long (a bulletin), K-weighted with numpy
    alone (see the module's docstring); the hops agree with the long way's to 1e-9.
    """

    def __init__(self, rate: int, *, frames: bool = True, unit: float = 1.0,
                 short: bool = False) -> None:
        self.rate = rate
        self.short = short
        self._scale = 1.0 / unit  # samples fed are in units of ``unit`` = full scale
        self._hop = rate // 10
        self.frame = frame_size(rate)
        self._weighting = _FIRWeighting(rate) if short else _IIRWeighting(rate)
        self._frames = frames
        self._carry = np.zeros(0)  # K-weighted samples short of a whole hop
        self._raw = np.zeros(0, dtype=np.float32)  # raw samples short of a whole hop
        self._hops: list[np.ndarray] = []
        self._peaks: list[np.ndarray] = []
        self._energy: list[np.ndarray] = []

    def feed(self, x: np.ndarray) -> None:
        """Add the next samples of the signal."""
        self.feed_hops(x)
        if self._frames:
            self.feed_frames(x)

    def feed_hops(self, x: np.ndarray) -> None:
        """Add the next samples to the loudness hops only (for one thread of two)."""
        block = int(_BLOCK_S * self.rate) // self._hop * self._hop  # bounds float64 copies
        for start in range(0, len(x), block):
            part = x[start:start + block].astype(np.float64)
            if self._scale != 1.0:
                part *= self._scale
            chunk = self._weighting(part)
            chunk = np.concatenate([self._carry, chunk]) if len(self._carry) else chunk
            whole = len(chunk) // self._hop * self._hop
            self._hops.append((chunk[:whole] ** 2).reshape(-1, self._hop).mean(axis=1))
            self._carry = chunk[whole:].copy()

    def feed_frames(self, x: np.ndarray) -> None:
        """Add the next samples to the frame peaks and energies only (for one thread of two)."""
        block = int(_BLOCK_S * self.rate) // self._hop * self._hop  # bounds temporaries
        for start in range(0, len(x), block):
            part = x[start:start + block].astype(np.float32)
            if self._scale != 1.0:
                part *= np.float32(self._scale)
            raw = np.concatenate([self._raw, part]) if len(self._raw) else part
            whole = len(raw) // self._hop * self._hop
            view = raw[:whole].reshape(-1, self.frame)
            self._peaks.append(np.abs(view).max(axis=1).astype(np.float32, copy=False))
            # float32 is ample per 30-sample frame; hop sums are taken in float64.
            self._energy.append(np.einsum("ij,ij->i", view, view, dtype=np.float64).astype(
                np.float32))
            self._raw = np.array(raw[whole:], dtype=np.float32)

    def hops(self) -> np.ndarray:
        """Mean square of the K-weighted signal per whole 100 ms hop so far."""
        return np.concatenate(self._hops) if self._hops else np.zeros(0)

    def frames(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame absolute peak and energy over the whole hops so far."""
        if not self._peaks:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)
        return np.concatenate(self._peaks), np.concatenate(self._energy)


def joined(parts: Sequence[tuple[Analysis, float]]) -> Analysis:
    """The analysis of signals played one after another, each scaled by its linear gain.

    Each part but the last must have been fed a whole number of hops and end in silence
    (at least a few ms): the K-weighting's memory is then gone at the join, so filtering
    the parts apart gives what filtering the whole would. Nothing is filtered again.
    """
    first = parts[0][0]
    whole = Analysis(first.rate, frames=first._frames, short=True)  # filters nothing
    for part, gain in parts:
        whole._hops.append(part.hops() * gain ** 2)
        peaks, energy = part.frames()
        whole._peaks.append(peaks * np.float32(gain))
        whole._energy.append(energy * np.float32(gain ** 2))
    return whole


def hop_energies(x: np.ndarray, rate: int, *, short: bool = False) -> np.ndarray:
    """Mean square of the K-weighted signal per 100 ms hop."""
    analysis = Analysis(rate, frames=False, short=short)
    analysis.feed(x)
    return analysis.hops()


def integrated_loudness(x: np.ndarray, rate: int, *, short: bool = False) -> float:
    """Gated integrated loudness in LUFS of a mono float signal (full scale ±1)."""
    return loudness_of_hops(hop_energies(x, rate, short=short))


def loudness_of_hops(hops: np.ndarray) -> float:
    """BS.1770 gating over 100 ms mean-square hops of the K-weighted signal."""
    if len(hops) < 4:
        return SILENCE_LUFS
    # 400 ms blocks with 75 % overlap are four consecutive 100 ms hops.
    blocks = (hops[:-3] + hops[1:-2] + hops[2:-1] + hops[3:]) / 4.0
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(blocks)
    gated = blocks[levels > -70.0]
    if not len(gated):
        return SILENCE_LUFS
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    with np.errstate(divide="ignore"):
        final = gated[-0.691 + 10 * np.log10(gated) > relative]
    return float(-0.691 + 10 * np.log10(final.mean())) if len(final) else SILENCE_LUFS


def _limiter_gain(peaks: np.ndarray, gain: float, ceiling: float, radius: int) -> np.ndarray:
    """Per-frame smooth gain keeping every frame's peak × gain under ``ceiling``."""
    needed = peaks * np.float32(gain)  # in place from here: one frame array, not five
    np.maximum(needed, np.float32(1e-9), out=needed)
    np.divide(np.float32(ceiling), needed, out=needed)
    np.minimum(needed, np.float32(1.0), out=needed)
    # Min over ±radius then mean over ±radius never exceeds the gain any frame needs,
    # and turns the reduction into smooth look-ahead ramps instead of clicks.
    return _moving_mean(_moving_min(needed, radius), radius, out=needed)


def _moving_min(x: np.ndarray, radius: int) -> np.ndarray:
    """The minimum over ±``radius`` around each entry, the ends repeated (as
    scipy.ndimage.minimum_filter1d in mode "nearest"), in O(n): van Herk / Gil-Werman, the
    minimum of a block's running suffix and the next block's running prefix."""
    width = 2 * radius + 1
    padded = np.pad(x, (radius, radius), mode="edge")
    blocks = -(-len(padded) // width)
    padded = np.pad(padded, (0, blocks * width - len(padded)), constant_values=np.inf)
    grid = padded.reshape(blocks, width)
    prefix = np.minimum.accumulate(grid, axis=1).ravel()
    suffix = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[:len(x)], prefix[width - 1:width - 1 + len(x)])


def _moving_mean(x: np.ndarray, radius: int, out: np.ndarray) -> np.ndarray:
    """The mean over ±``radius`` around each entry, the ends repeated (as
    scipy.ndimage.uniform_filter1d in mode "nearest"), summed in float64, into ``out``."""
    sums = np.concatenate([[0.0], np.cumsum(np.pad(x, (radius, radius), mode="edge"),
                                            dtype=np.float64)])
    width = 2 * radius + 1
    np.divide(sums[width:] - sums[:-width], width, out=out, casting="unsafe")
    return out


@dataclass(frozen=True)
class MasterPlan:
    """How to turn the mix into the master: overall gain, limiter gain per frame, loudness."""

    gain: float
    frame_gain: np.ndarray
    loudness: float  # the limiter model's prediction for the 16-bit master, in LUFS
    frame: int = frame_size(44100)  # samples per entry of ``frame_gain``


def plan_master(x: np.ndarray, rate: int, target_lufs: float, ceiling_db: float,
                analysis: Analysis | None = None) -> MasterPlan:
    """Gain and limiting that bring ``x`` to ``target_lufs`` with peaks under ``ceiling_db``.

    ``analysis``, if given, must have been fed exactly ``x`` (e.g. while it was being mixed).
    """
    if analysis is None:
        analysis = Analysis(rate)
        analysis.feed(x)
    hops = analysis.hops()
    measured = loudness_of_hops(hops)
    if measured <= SILENCE_LUFS:
        return MasterPlan(0.0, np.ones(0, dtype=np.float32), SILENCE_LUFS, analysis.frame)
    peaks, energy = analysis.frames()
    ceiling = 10 ** (ceiling_db / 20)
    frame = analysis.frame
    radius = max(1, int(_LIMIT_WINDOW_S * rate / frame))
    per_hop = (rate // 10) // frame
    n_hops = min(len(hops), len(energy) // per_hop)
    energy = energy[:n_hops * per_hop].reshape(n_hops, per_hop)
    plain = energy.sum(axis=1, dtype=np.float64)

    def predict(gain_db: float) -> tuple[float, np.ndarray]:
        gain = 10 ** (gain_db / 20)
        frame_gain = _limiter_gain(peaks, gain, ceiling, radius)
        squared = np.square(frame_gain[:n_hops * per_hop]).reshape(n_hops, per_hop)
        kept = np.einsum("ij,ij->i", energy, squared, dtype=np.float64)
        ratio = np.divide(kept, plain, out=np.ones_like(kept), where=plain > 0)
        return loudness_of_hops(hops[:n_hops] * ratio * gain**2), frame_gain

    gain_db, (predicted, frame_gain) = _secant(predict, target_lufs, target_lufs - measured)
    return MasterPlan(10 ** (gain_db / 20), frame_gain, predicted, frame)


def _secant(predict: Callable[[float], tuple[float, np.ndarray]], target: float,
            first: float) -> tuple[float, tuple[float, np.ndarray]]:
    """Gain (dB) whose predicted loudness meets ``target``, and that prediction."""
    # Limiting lowers loudness; the limiter's per-hop energy ratio predicts by how much, so a
    # secant search on frame-level data converges without re-filtering the programme.
    gains = [first]
    latest = predict(first)  # only the latest limiter gains are kept: each is a frame array
    levels = [latest[0]]
    for _ in range(8):
        if abs(levels[-1] - target) < 0.05:
            break
        if len(gains) == 1 or levels[-1] == levels[-2]:
            step = target - levels[-1]
        else:
            slope = (levels[-1] - levels[-2]) / (gains[-1] - gains[-2])
            step = (target - levels[-1]) / max(slope, 0.05)
        gains.append(gains[-1] + step)
        del latest
        latest = predict(gains[-1])
        levels.append(latest[0])
    return gains[-1], latest


def master_blocks(x: np.ndarray, plan: MasterPlan, unit: float = 1.0) -> Iterator[np.ndarray]:
    """The 16-bit master, block by block: x × gain × the limiter (its last gain past the end).

    ``x`` is in units of ``unit`` = full scale (1 for float signals).
    """
    tail = plan.frame_gain[-1] if len(plan.frame_gain) else np.float32(1.0)
    frame = plan.frame
    block = frame * 4096  # about 2.8 s: small enough to keep the encoders busy early
    for start in range(0, len(x), block):
        chunk = x[start:start + block] * np.float32(plan.gain * 32767.0 / unit)
        frames = -(-len(chunk) // frame)
        g = plan.frame_gain[start // frame:start // frame + frames]
        if len(g) < frames:
            g = np.concatenate([g, np.full(frames - len(g), tail, dtype=np.float32)])
        chunk *= np.repeat(g, frame)[:len(chunk)]
        np.clip(chunk, -32768, 32767, out=chunk)
        yield np.rint(chunk, out=chunk).astype(np.int16)
