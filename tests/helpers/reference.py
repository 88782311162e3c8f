"""Independent reference measures the audio tests check Loa's own against: pyloudnorm's
meter and a true peak by scipy's 4x oversampling. Imported on first use: scipy takes about
a second to import, which every xdist worker would otherwise pay while collecting."""

from __future__ import annotations

from typing import Any

import numpy as np


def reference_meter(rate: int) -> Any:
    """pyloudnorm's BS.1770 meter (its ``integrated_loudness`` takes float64 samples)."""
    import pyloudnorm

    return pyloudnorm.Meter(rate)


def true_peak_dbfs(x: np.ndarray) -> float:
    """The peak between samples as well, by 4x oversampling, in dBFS."""
    from scipy.signal import resample_poly

    return float(20 * np.log10(np.abs(resample_poly(x.astype(np.float64), 4, 1)).max()))
