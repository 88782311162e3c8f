"""How far a programme misses its length bounds, in words: honest rounding, never "0 giây"."""

from __future__ import annotations

import pytest

from loa.playlists.limits import gap_words
from loa.playlists.programmes import duration_problem


@pytest.mark.parametrize(
    ("ms", "vi", "en"),
    [
        (1, "1 giây", "1 s"),  # a shortfall is never 0
        (400, "1 giây", "1 s"),
        (1_000, "1 giây", "1 s"),
        (1_001, "2 giây", "2 s"),  # rounded up: the operator adds at least this much
        (59_000, "59 giây", "59 s"),  # under a minute: seconds only
        (59_001, "1 phút", "1 min"),
        (60_000, "1 phút", "1 min"),
        (65_000, "1 phút 5 giây", "1 min 5 s"),
        (120_000, "2 phút", "2 min"),
        (754_200, "12 phút 35 giây", "12 min 35 s"),
        (0, "0 giây", "0 s"),
    ],
)
def test_a_gap_reads_in_whole_seconds_rounded_up(ms: int, vi: str, en: str) -> None:
    assert gap_words(ms) == (vi, en)


@pytest.mark.parametrize(
    ("duration_ms", "problem"),
    [
        (179_600, "ngắn hơn mức tối thiểu 1 giây (too short by 1 s)"),  # 0.4 s short
        (120_000, "ngắn hơn mức tối thiểu 1 phút (too short by 1 min)"),
        (180_000, None),
        (600_000, None),
        (600_001, "dài hơn mức tối đa 1 giây (too long by 1 s)"),
        (725_000, "dài hơn mức tối đa 2 phút 5 giây (too long by 2 min 5 s)"),
    ],
)
def test_the_length_problem_says_by_how_much(duration_ms: int, problem: str | None) -> None:
    assert duration_problem(duration_ms, 180, 600) == problem
