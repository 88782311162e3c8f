"""The real subprocess path: ffmpeg decoding into aplay on ALSA's null device."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loa.clock import OffsetClock
from loa.player.output import AplayOutput, Cue, Playback
from tests.players.conftest import slow_player

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("need_aplay")


def wait_finished(playback: Playback, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not playback.finished() and time.monotonic() < deadline:
        time.sleep(0.02)  # polling a process; the deadline bounds the test
    return playback.finished()


def cue(tone: Path, from_ms: int = 0) -> Cue:
    return Cue(7, "ab" * 32, tone, 1000, T0, from_ms)


def test_aplay_plays_the_cue_to_the_null_device(tone: Path) -> None:
    playback = AplayOutput(OffsetClock(T0).now, device="null").start(cue(tone))
    assert wait_finished(playback, 10) and playback.error() is None


def test_aplay_on_a_missing_device_fails_with_aplays_own_message(tone: Path) -> None:
    playback = AplayOutput(OffsetClock(T0).now, device="nosuchcard").start(cue(tone, 500))
    assert wait_finished(playback, 10)
    error = playback.error()
    assert error is not None and error.startswith("aplay exited 1") and "nosuchcard" in error


def test_an_overrunning_output_is_stopped(tone: Path, tmp_path: Path) -> None:
    clock = OffsetClock(T0)
    playback = AplayOutput(clock.now, program=slow_player(tmp_path)).start(cue(tone))
    # Its expected end is the cue's length from now; it polls sooner, in case it fails.
    assert T0 < playback.ends_by() <= clock.now() + (cue(tone).rest)
    assert not wait_finished(playback, 1.5)
    playback.stop()
    assert wait_finished(playback, 5) and playback.error() is None


def test_a_missing_program_raises_at_start(tone: Path) -> None:
    with pytest.raises(OSError):
        AplayOutput(OffsetClock(T0).now, program="/nonexistent/aplay").start(cue(tone))
