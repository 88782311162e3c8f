"""Mixing and mastering details a listener would hear: duck ramps, peaks, loudness plans."""

from __future__ import annotations

import numpy as np
import pytest

from loa.audio import mix
from loa.audio.loudness import Analysis, plan_master
from loa.audio.truepeak import TruePeakMeter, true_peak_db
from tests.helpers.reference import true_peak_dbfs

from .conftest import RATE, tone


def test_bed_ramps_stay_smooth_late_in_a_long_programme() -> None:
    timeline = mix.new_timeline(420)
    mix.start_bed(timeline, tone(220, 1.0, 0.3), 400.0)  # past 2**24 samples (6.3 minutes)
    start = timeline.cursor
    mix.place(timeline, np.zeros(3 * RATE, dtype=np.float32), music=False, duck=0.1)
    out = mix.from_master(mix.finish(timeline))
    attack = int(mix.DUCK_ATTACK_S * RATE)
    # Bed level per 220 Hz cycle through the dip before the speech: it must fall steadily.
    cycle = RATE // 220
    span = out[start - attack - 4 * cycle:start + 2 * cycle]
    levels = np.abs(span[:len(span) // cycle * cycle]).reshape(-1, cycle).max(axis=1)
    assert np.all(np.diff(levels) <= 1e-3)
    assert levels[-1] == pytest.approx(levels[0] * 0.1, rel=0.05)
    # Halfway through the attack the bed is halfway down, so the dip starts when it should.
    half = out[start - attack // 2 - cycle // 2:start - attack // 2 + cycle // 2]
    assert np.abs(half).max() == pytest.approx(levels[0] * 0.55, rel=0.05)


def test_true_peak_between_samples_is_found_across_block_boundaries() -> None:
    rng = np.random.default_rng(5)
    x = (np.convolve(rng.standard_normal(RATE), np.ones(6) / 6, "same") * 0.1).astype(
        np.float32)
    # A quarter-rate burst sampled 45° off its crests peaks 3 dB above its samples, right on
    # a block boundary.
    n = np.arange(-200, 200)
    x[RATE // 2 - 200:RATE // 2 + 200] += 0.8 * np.sin(np.pi / 2 * n + np.pi / 4) * np.hanning(
        400)
    reference = true_peak_dbfs(x)
    meter = TruePeakMeter()
    for block in (x[:RATE // 2], x[RATE // 2:RATE // 2 + 3], x[RATE // 2 + 3:]):
        meter.feed(block)
    assert meter.close() == pytest.approx(reference, abs=0.1)
    assert true_peak_db(x, RATE) == pytest.approx(reference, abs=0.1)
    assert 20 * np.log10(np.abs(x).max()) < reference - 0.5  # the samples alone understate it


def test_master_planned_while_mixing_equals_planned_afterwards() -> None:
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(20 * RATE) * 0.2).astype(np.float32)
    pieces = Analysis(RATE)
    for lo, hi in ((0, 12345), (12345, 8 * RATE), (8 * RATE, 20 * RATE)):
        pieces.feed(x[lo:hi])
    whole = plan_master(x, RATE, -16.0, -2.5)
    streamed = plan_master(x, RATE, -16.0, -2.5, pieces)
    assert streamed.gain == pytest.approx(whole.gain)
    assert streamed.loudness == pytest.approx(whole.loudness)
    np.testing.assert_allclose(streamed.frame_gain, whole.frame_gain, rtol=1e-6)


def test_master_has_headroom_for_loud_overlaps_before_the_limiter() -> None:
    timeline = mix.new_timeline(10)
    loud = tone(440, 2.0, 1.0)
    mix.place(timeline, loud, music=True, duck=1.0)
    mix.place(timeline, loud * 2.5, music=True, duck=1.0)  # crossfades into the first
    out = mix.from_master(mix.finish(timeline))
    assert np.abs(out).max() > 2.4  # the crossfade sums past full scale and is kept
    middle = out[int(2.5 * RATE):int(3.0 * RATE)]
    np.testing.assert_allclose(middle, 2.5 * loud[int(0.8 * RATE):int(1.3 * RATE)], atol=2e-4)


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
def test_the_short_way_measures_what_pyloudnorm_and_scipy_measure(rate: int) -> None:
    """A bulletin is K-weighted and limited with numpy alone (no scipy to import before it
    plays): the same filter as pyloudnorm designs, hops and limiter gains as the long way's."""
    from pyloudnorm.iirfilter import IIRfilter
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    from loa.audio.loudness import _k_weighting, _limiter_gain

    designed = [IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf"),
                IIRfilter(0.0, 0.5, 38.0, rate, "high_pass")]
    np.testing.assert_allclose(_k_weighting(rate), [[*f.b, *f.a] for f in designed],
                               rtol=1e-12, atol=1e-12)
    rng = np.random.default_rng(rate)
    x = (rng.standard_normal(37 * rate) * np.where(np.arange(37 * rate) % rate < rate // 3,
                                                   0.5, 0.05)).astype(np.float32)
    short, long = Analysis(rate, short=True), Analysis(rate)
    for lo, hi in ((0, 999), (999, 12 * rate + 7), (12 * rate + 7, 37 * rate)):
        short.feed(x[lo:hi])
        long.feed(x[lo:hi])
    np.testing.assert_allclose(short.hops(), long.hops(), rtol=1e-9)
    peaks = short.frames()[0]
    for radius in (1, 14, 30):
        width = 2 * radius + 1
        needed = np.minimum(0.5 / np.maximum(peaks * np.float32(1.8), np.float32(1e-9)), 1.0)
        expected = uniform_filter1d(minimum_filter1d(needed.astype(np.float32), width,
                                                     mode="nearest"), width, mode="nearest")
        np.testing.assert_allclose(_limiter_gain(peaks.copy(), 1.8, 0.5, radius), expected,
                                   rtol=1e-6)
