"""Output plugins: what turns a cached file into sound, or into a record of sound for tests."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cue:
    """One airing handed to an output."""

    airing_id: int
    sha256: str
    path: Path
    duration_ms: int
    starts_at: datetime
    # Where in the audio to begin: non-zero when a restarted agent resumes an airing.
    from_ms: int = 0

    @property
    def seek(self) -> list[str]:
        """ffmpeg/ffplay options that skip to ``from_ms`` (none from the start)."""
        return ["-ss", f"{self.from_ms / 1000:.3f}"] if self.from_ms else []


class Playback(Protocol):
    def finished(self) -> bool:
        """Whether the sound has ended (or failed)."""
        ...

    def error(self) -> str | None:
        """Why it failed, once finished; None if it played through."""
        ...

    def ends_by(self) -> datetime | None:
        """When it should end, so the agent can wake then; None if only polling can tell."""
        ...

    def stop(self) -> None:
        """Cut the sound now (shutdown)."""
        ...


class Output(Protocol):
    def start(self, cue: Cue) -> Playback:
        """Begin playing ``cue`` now."""
        ...


class _TimedPlayback:
    def __init__(self, now: Callable[[], datetime], ends: datetime) -> None:
        self._now, self._ends = now, ends

    def finished(self) -> bool:
        return self._now() >= self._ends

    def error(self) -> str | None:
        return None

    def ends_by(self) -> datetime | None:
        return self._ends

    def stop(self) -> None:
        self._ends = self._now()


class NullOutput:
    """Plays nothing; appends what it would have played, and when, to a JSON-lines file."""

    def __init__(self, now: Callable[[], datetime], record: Path | None = None) -> None:
        self._now = now
        self._record = record
        self.played: list[dict[str, object]] = []

    def start(self, cue: Cue) -> Playback:
        started = self._now()
        entry = {"airing_id": cue.airing_id, "sha256": cue.sha256,
                 "starts_at": cue.starts_at.isoformat(), "started_at": started.isoformat(),
                 "error_s": (started - cue.starts_at).total_seconds(),
                 "wall_time": time.time(), "duration_ms": cue.duration_ms,
                 "from_ms": cue.from_ms}
        self.played.append(entry)
        if self._record is not None:
            with self._record.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")
        rest = timedelta(milliseconds=cue.duration_ms - cue.from_ms)
        return _TimedPlayback(self._now, started + rest)


class _ProcessPlayback:
    def __init__(self, procs: list[subprocess.Popen[bytes]]) -> None:
        self._procs = procs

    def finished(self) -> bool:
        return all(p.poll() is not None for p in self._procs)

    def error(self) -> str | None:
        for proc in self._procs:
            if proc.returncode:
                err = proc.stderr.read().decode(errors="replace")[-300:] if proc.stderr else ""
                return f"{proc.args[0]} exited {proc.returncode}: {err.strip()}"
        return None

    def ends_by(self) -> datetime | None:
        return None

    def stop(self) -> None:
        for proc in self._procs:
            proc.terminate()


class FfplayOutput:
    """Plays through ffplay (any format ffmpeg reads), without a window."""

    def start(self, cue: Cue) -> Playback:
        cmd = ["ffplay", "-nodisp", "-autoexit", "-loglevel", "error", *cue.seek, str(cue.path)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        return _ProcessPlayback([proc])


class AplayOutput:
    """Plays through ALSA's aplay; ffmpeg decodes first, since aplay reads only PCM/WAV."""

    def start(self, cue: Cue) -> Playback:
        decode = subprocess.Popen(
            ["ffmpeg", "-loglevel", "error", *cue.seek, "-i", str(cue.path), "-f", "wav", "-"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        play = subprocess.Popen(["aplay", "-q", "-"], stdin=decode.stdout,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if decode.stdout is not None:
            decode.stdout.close()  # aplay owns the pipe now; ffmpeg sees SIGPIPE if it dies
        return _ProcessPlayback([decode, play])


def make_output(name: str, now: Callable[[], datetime], record: Path) -> Output:
    """The output plugin called ``name``: null, ffplay or aplay."""
    if name == "null":
        return NullOutput(now, record)
    if name == "ffplay":
        return FfplayOutput()
    if name == "aplay":
        return AplayOutput()
    raise ValueError(f"unknown output {name!r}: choose null, ffplay or aplay")
