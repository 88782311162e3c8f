"""Outputs start a resumed airing at its offset: ffplay and ffmpeg seek, null records it."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from loa.clock import FrozenClock
from loa.player.output import AplayOutput, Cue, FfplayOutput, NullOutput

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def cue(from_ms: int = 0) -> Cue:
    return Cue(7, "ab" * 32, Path("/cache/x.mp3"), 600_000, T0, from_ms)


class FakePopen:
    """Stands in for a process: records its command line, never runs anything."""

    commands: ClassVar[list[list[str]]] = []

    def __init__(self, args: list[str], **_kw: Any) -> None:
        self.args, self.stdout, self.stderr = args, None, None
        self.returncode = None
        FakePopen.commands.append(args)


@pytest.fixture
def popen(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    FakePopen.commands = []
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    return FakePopen.commands


def test_ffplay_seeks_only_when_resuming(popen: list[list[str]]) -> None:
    clock = FrozenClock(T0)
    FfplayOutput(clock.now).start(cue())
    FfplayOutput(clock.now).start(cue(190_000))
    assert "-ss" not in popen[0]
    assert popen[1][-3:] == ["-ss", "190.000", "/cache/x.mp3"]


def test_aplay_decodes_from_the_offset(popen: list[list[str]]) -> None:
    AplayOutput(FrozenClock(T0).now).start(cue(1_500))
    decode, play = popen
    assert decode[:5] == ["ffmpeg", "-loglevel", "error", "-ss", "1.500"]
    assert decode[5:7] == ["-i", "/cache/x.mp3"] and play[0] == "aplay"


def test_null_output_records_the_offset_and_plays_only_the_rest(tmp_path: Path) -> None:
    clock = FrozenClock(T0 + timedelta(seconds=190))
    record = tmp_path / "played.jsonl"
    playback = NullOutput(clock.now, record).start(cue(190_000))
    assert json.loads(record.read_text())["from_ms"] == 190_000
    assert playback.ends_by() == T0 + timedelta(seconds=600)
