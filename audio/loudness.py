"""EBU R128 / ITU-R BS.1770 loudness, true peak and a true-peak limiter, vectorised for speed."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyloudnorm.iirfilter import IIRfilter
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import lfilter, lfilter_zi

SILENCE_LUFS = -70.0
_BLOCK_S = 10.0  # work in 10 s blocks so a 15-minute programme never needs a second full copy
_LIMIT_WINDOW_S = 0.010
_FRAME = 30  # limiter frame, 0.68 ms at 44.1 kHz; divides the 4410-sample hop


@lru_cache(maxsize=8)
def _k_weighting(rate: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """BS.1770 K-weighting (shelf + high-pass) coefficients for ``rate``, via pyloudnorm."""
    shelf = IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf")
    high_pass = IIRfilter(0.0, 0.5, 38.0, rate, "high_pass")
    return tuple((np.asarray(f.b), np.asarray(f.a)) for f in (shelf, high_pass))


def hop_energies(x: np.ndarray, rate: int) -> np.ndarray:
    """Mean square of the K-weighted signal per 100 ms hop."""
    hop = rate // 10
    stages = _k_weighting(rate)
    states = [lfilter_zi(b, a) * 0.0 for b, a in stages]
    block = int(_BLOCK_S * rate) // hop * hop
    sums: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float64)
    for start in range(0, len(x), block):
        chunk = x[start:start + block].astype(np.float64)
        for index, (b, a) in enumerate(stages):
            chunk, states[index] = lfilter(b, a, chunk, zi=states[index])
        chunk = np.concatenate([carry, chunk])
        whole = len(chunk) // hop * hop
        sums.append((chunk[:whole] ** 2).reshape(-1, hop).mean(axis=1))
        carry = chunk[whole:]
    return np.concatenate(sums) if sums else np.zeros(0)


def integrated_loudness(x: np.ndarray, rate: int) -> float:
    """Gated integrated loudness in LUFS of a mono float signal (full scale ±1)."""
    return loudness_of_hops(hop_energies(x, rate))


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


def _interpolator(taps_per_side: int = 8) -> np.ndarray:
    """Windowed-sinc weights for the 3 points between two samples (4× oversampling)."""
    offsets = np.arange(-taps_per_side + 1, taps_per_side + 1)
    phases = np.array([0.25, 0.5, 0.75])
    t = phases[None, :] - offsets[:, None]
    return (np.sinc(t) * np.kaiser(2 * taps_per_side, 8.0)[:, None]).astype(np.float32)


_INTERP = _interpolator()
_INTERP_SIDE = _INTERP.shape[0] // 2


def _true_peaks_at(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """True peak around each sample in ``idx``: it and the 3 interpolated points each side."""
    padded_idx = np.clip(idx[:, None] + np.arange(-_INTERP_SIDE, _INTERP_SIDE + 1)[None, :],
                         0, len(x) - 1)
    window = x[padded_idx].astype(np.float32)
    after = window[:, 1:] @ _INTERP  # points between n and n+1
    before = window[:, :-1] @ _INTERP  # points between n-1 and n
    peaks = np.maximum(np.abs(after).max(axis=1), np.abs(before).max(axis=1))
    return np.maximum(peaks, np.abs(window[:, _INTERP_SIDE]))


def _candidates(x: np.ndarray, level: float) -> np.ndarray:
    """Local maxima of |x| above level/√2: a band-limited signal peaks between samples only
    next to a sample-domain maximum, and real audio overshoots its samples by well under 3 dB."""
    block = int(_BLOCK_S * 44100)
    found: list[np.ndarray] = []
    for start in range(0, len(x), block):
        lo = max(0, start - 1)
        a = np.abs(x[lo:start + block + 1])
        inner = a[1:-1]
        mask = (inner > level * 0.7071) & (inner >= a[:-2]) & (inner >= a[2:])
        found.append(np.flatnonzero(mask) + lo + 1)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def true_peak_db(x: np.ndarray, rate: int) -> float:
    """Maximum true peak in dBTP (4× oversampling, as BS.1770-4 annex 2)."""
    if not len(x):
        return float("-inf")
    sample_peak = float(np.abs(x).max())
    idx = _candidates(x, sample_peak)
    peak = sample_peak
    for start in range(0, len(idx), 1 << 18):  # bounded memory: 17 floats per candidate
        peak = max(peak, float(_true_peaks_at(x, idx[start:start + (1 << 18)]).max()))
    return 20 * float(np.log10(peak)) if peak > 0 else float("-inf")


def _frames(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame absolute peak and energy of ``x`` (frames of _FRAME samples, hop-aligned)."""
    hop = rate // 10
    n = len(x) // hop * hop
    peaks = np.empty(n // _FRAME, dtype=np.float32)
    energy = np.empty(n // _FRAME, dtype=np.float64)
    block = int(_BLOCK_S * rate) // hop * hop
    for start in range(0, n, block):
        view = x[start:min(n, start + block)].reshape(-1, _FRAME)
        peaks[start // _FRAME:start // _FRAME + len(view)] = np.abs(view).max(axis=1)
        energy[start // _FRAME:start // _FRAME + len(view)] = np.einsum(
            "ij,ij->i", view, view, dtype=np.float64)
    return peaks, energy


def _limiter_gain(peaks: np.ndarray, gain: float, ceiling: float, radius: int) -> np.ndarray:
    """Per-frame smooth gain keeping every frame's peak × gain under ``ceiling``."""
    needed = np.minimum(1.0, ceiling / np.maximum(peaks * gain, 1e-9)).astype(np.float32)
    # Min over ±radius then mean over ±radius never exceeds the gain any frame needs,
    # and turns the reduction into smooth look-ahead ramps instead of clicks.
    width = 2 * radius + 1
    return uniform_filter1d(minimum_filter1d(needed, width, mode="nearest"), width,
                            mode="nearest")


def master_pcm(x: np.ndarray, rate: int, target_lufs: float, ceiling_db: float,
               hops: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Gain ``x`` to ``target_lufs`` under a peak ceiling; (16-bit PCM, predicted loudness)."""
    hops = hop_energies(x, rate) if hops is None else hops
    measured = loudness_of_hops(hops)
    if measured <= SILENCE_LUFS:
        return np.zeros(len(x), dtype=np.int16), SILENCE_LUFS
    peaks, energy = _frames(x, rate)
    ceiling = 10 ** (ceiling_db / 20)
    radius = max(1, int(_LIMIT_WINDOW_S * rate / _FRAME))
    per_hop = (rate // 10) // _FRAME
    n_hops = min(len(hops), len(energy) // per_hop)
    plain = energy[:n_hops * per_hop].reshape(n_hops, per_hop).sum(axis=1)

    def predict(gain_db: float) -> tuple[float, np.ndarray]:
        gain = 10 ** (gain_db / 20)
        frame_gain = _limiter_gain(peaks, gain, ceiling, radius)
        kept = (energy * frame_gain**2)[:n_hops * per_hop].reshape(n_hops, per_hop).sum(axis=1)
        ratio = np.divide(kept, plain, out=np.ones_like(kept), where=plain > 0)
        return loudness_of_hops(hops[:n_hops] * ratio * gain**2), frame_gain

    # Limiting lowers loudness; the limiter's per-hop energy ratio predicts by how much, so a
    # secant search on frame-level data converges without re-filtering the programme.
    gains = [target_lufs - measured]
    results = [predict(gains[0])]
    for _ in range(8):
        if abs(results[-1][0] - target_lufs) < 0.05:
            break
        if len(gains) == 1 or results[-1][0] == results[-2][0]:
            step = target_lufs - results[-1][0]
        else:
            slope = (results[-1][0] - results[-2][0]) / (gains[-1] - gains[-2])
            step = (target_lufs - results[-1][0]) / max(slope, 0.05)
        gains.append(gains[-1] + step)
        results.append(predict(gains[-1]))
    predicted, frame_gain = results[-1]
    return _apply(x, 10 ** (gains[-1] / 20), frame_gain), predicted


def _apply(x: np.ndarray, gain: float, frame_gain: np.ndarray) -> np.ndarray:
    """16-bit PCM of x × gain × the per-frame limiter gain (the tail past the last frame too)."""
    out = np.empty(len(x), dtype=np.int16)
    per_sample_tail = frame_gain[-1] if len(frame_gain) else 1.0
    block = _FRAME * 4096
    for start in range(0, len(x), block):
        chunk = x[start:start + block] * np.float32(gain * 32767.0)
        first = start // _FRAME
        g = frame_gain[first:first + -(-len(chunk) // _FRAME)]
        g = np.concatenate([g, np.full(-(-len(chunk) // _FRAME) - len(g), per_sample_tail,
                                       dtype=np.float32)])
        chunk *= np.repeat(g, _FRAME)[:len(chunk)]
        out[start:start + len(chunk)] = np.rint(np.clip(chunk, -32768, 32767))
    return out
