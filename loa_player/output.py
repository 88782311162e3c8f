"""Output plugins: what turns a cached file into sound, or into a record of sound for tests."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

PROCESS_CHECK = timedelta(seconds=0.5)
# Looked at more often in its first second: an output that cannot play (no sound card)
# fails at once, and each look later is a moment of the bulletin nobody hears.
FIRST_CHECK = timedelta(seconds=0.1)
FIRST_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Cue:
    """One airing handed to an output."""

    airing_id: int | None
    sha256: str
    path: Path
    duration_ms: int
    starts_at: datetime
    # Where in the audio to begin: non-zero when a restarted agent resumes an airing.
    from_ms: int = 0
    bulletin_id: int | None = None  # a bulletin's play (airing_id None)

    @property
    def rest(self) -> timedelta:
        """How long what is left of the audio lasts."""
        return timedelta(milliseconds=self.duration_ms - self.from_ms)

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

    def ends_by(self) -> datetime:
        """When to look at it next: its expected end, sooner if it may fail before."""
        ...

    def stop(self) -> None:
        """Cut the sound now (shutdown)."""
        ...


class NotStarted:
    """The playback of a cue whose output is being started (or that no output could start):
    silent, never finished on its own, looked at again at ``at``."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def finished(self) -> bool:
        return False

    def error(self) -> str | None:
        return None

    def ends_by(self) -> datetime:
        return self._at

    def stop(self) -> None:
        """Nothing plays."""


class Output(Protocol):
    name: str

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

    def ends_by(self) -> datetime:
        return self._ends

    def stop(self) -> None:
        self._ends = self._now()


class NullOutput:
    """Plays nothing; appends what it would have played, and when, to a JSON-lines file."""

    name = "null"

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
                 "from_ms": cue.from_ms, "bulletin_id": cue.bulletin_id}
        self.played.append(entry)
        if self._record is not None:
            try:
                with self._record.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry) + "\n")
            except OSError as exc:  # a full disk: the airing's own events still tell it
                logger.warning("null output: could not record airing %s: %s",
                               cue.airing_id, exc)
        logger.info("null output: %s recorded, not heard",
                    f"airing {cue.airing_id}" if cue.bulletin_id is None
                    else f"bulletin {cue.bulletin_id}")
        return _TimedPlayback(self._now, started + cue.rest)


class _ProcessPlayback:
    """Processes playing one cue; expected to end ``rest`` after they started."""

    def __init__(self, procs: list[subprocess.Popen[bytes]], now: Callable[[], datetime],
                 rest: timedelta) -> None:
        self._procs, self._now = procs, now
        self._started = now()
        self._ends = self._started + rest

    def finished(self) -> bool:
        """All ended, or one failed: a pipeline whose player (or decoder) has failed cannot
        sound, so it ends now and the next output takes over without waiting for the rest
        (a decoder blocked on a dead pipe, a slow machine)."""
        codes = [p.poll() for p in self._procs]
        if all(code is not None for code in codes):
            return True
        if any(code is not None and code > 0 for code in codes):
            self.stop()
            return True
        return False

    def error(self) -> str | None:
        # The player's own complaint says more than the decoder's broken pipe it caused.
        for proc in reversed(self._procs):
            if proc.returncode and proc.returncode > 0:
                err = proc.stderr.read().decode(errors="replace")[-300:] if proc.stderr else ""
                return f"{proc.args[0]} exited {proc.returncode}: {err.strip()}"
        return None

    def ends_by(self) -> datetime:
        # A process can fail at any moment: look again soon, so a fallback output takes over.
        now = self._now()
        soon = FIRST_CHECK if now - self._started < FIRST_SECOND else PROCESS_CHECK
        return min(self._ends, now + soon)

    def stop(self) -> None:
        for proc in self._procs:
            proc.terminate()
        # Reap in the background: the next airing must not wait for these to die.
        threading.Thread(target=_reap, args=(self._procs,), daemon=True).start()


def _reap(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _spawn(cmd: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, stdout=kwargs.pop("stdout", subprocess.DEVNULL),
                            stderr=subprocess.PIPE, **kwargs)


class FfplayOutput:
    """Plays through ffplay (any format ffmpeg reads), without a window."""

    name = "ffplay"

    def __init__(self, now: Callable[[], datetime], program: str = "ffplay") -> None:
        self._now, self._program = now, program

    def start(self, cue: Cue) -> Playback:
        cmd = [self._program, "-nodisp", "-autoexit", "-loglevel", "error", *cue.seek,
               str(cue.path)]
        return _ProcessPlayback([_spawn(cmd, stdin=subprocess.DEVNULL)], self._now, cue.rest)


class AplayOutput:
    """Plays through ALSA's aplay; ffmpeg decodes first, since aplay reads only PCM/WAV."""

    name = "aplay"

    def __init__(self, now: Callable[[], datetime], device: str | None = None,
                 program: str = "aplay") -> None:
        self._now, self._device, self._program = now, device, program

    def start(self, cue: Cue) -> Playback:
        decode = _spawn(
            ["ffmpeg", "-loglevel", "error", *cue.seek, "-i", str(cue.path), "-f", "wav", "-"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        device = ["-D", self._device] if self._device else []
        try:
            play = _spawn([self._program, "-q", *device, "-"], stdin=decode.stdout)
        except OSError:
            decode.kill()
            decode.wait()
            raise
        finally:
            if decode.stdout is not None:
                decode.stdout.close()  # aplay owns the pipe now; ffmpeg sees SIGPIPE if it dies
        return _ProcessPlayback([decode, play], self._now, cue.rest)


OUTPUT_NAMES = ("aplay", "ffplay", "null")
DEFAULT_OUTPUTS = ("aplay", "ffplay", "null")
# The variables naming the outputs, first found wins: the documented name, then the one
# boxes installed before it was named so still carry in their env file.
OUTPUTS_ENV = ("LOA_PLAYER_OUTPUTS", "LOA_OUTPUT")


def outputs_setting(environ: Mapping[str, str]) -> str:
    """The outputs a box's environment names: ``LOA_PLAYER_OUTPUTS``, else ``LOA_OUTPUT``
    (older boxes), else "" (the default order)."""
    return next((environ[name] for name in OUTPUTS_ENV if environ.get(name)), "")


def parse_outputs(text: str) -> list[str]:
    """``aplay,ffplay,null`` as a list of output names, in the order to try them.

    Cases: spaces and empty items are ignored; an unknown name is an error; nothing
    at all means the default order.
    """
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in OUTPUT_NAMES]
    if unknown:
        raise ValueError(f"unknown output {unknown[0]!r}: choose from {', '.join(OUTPUT_NAMES)}")
    return names or list(DEFAULT_OUTPUTS)


def make_outputs(names: list[str], now: Callable[[], datetime], record: Path,
                 alsa_device: str | None = None) -> list[Output]:
    """The outputs called ``names``, in order."""
    made: dict[str, Callable[[], Output]] = {
        "null": lambda: NullOutput(now, record),
        "ffplay": lambda: FfplayOutput(now),
        "aplay": lambda: AplayOutput(now, alsa_device),
    }
    return [made[name]() for name in names]
