"""The output plugins' relay side: each output takes live PCM from the relay feed.

The same order and fallback as for files (``OnAir`` tries each output in turn); an
output that cannot take PCM is an ``OSError`` there, so the next one is tried.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
import wave
from pathlib import Path
from typing import Any

from loa.player.relay_feed import RATE, PcmSink

logger = logging.getLogger(__name__)


class ProcessSink:
    """aplay or ffplay reading raw PCM on its standard input."""

    def __init__(self, name: str, cmd: list[str]) -> None:
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)

    def write(self, pcm: bytes) -> None:
        if self.proc.poll() is not None or self.proc.stdin is None:
            raise OSError(f"{self.name} is not running")
        self.proc.stdin.write(pcm)
        self.proc.stdin.flush()

    def failed(self) -> str | None:
        code = self.proc.poll()
        if code is None:
            return None
        err = self.proc.stderr.read().decode(errors="replace")[-300:] if self.proc.stderr else ""
        return f"{self.name} exited {code}: {err.strip()}"

    def close(self) -> None:
        threading.Thread(target=self._reap, daemon=True).start()  # never hold the playout

    def _reap(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class NullSink:
    """Plays nothing: keeps what it was given as a WAV file beside the null output's record
    (tests listen to it), and notes the relay in that record."""

    name = "null"

    def __init__(self, folder: Path, record: Path, entry: dict[str, Any]) -> None:
        stamp = entry["starts_at"].replace(":", "").replace("+", "p")
        self.path = folder / f"relay-{entry['relay_slot_id']}-{stamp}-{time.time_ns()}.wav"
        self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - closed in close()
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(RATE)
        try:
            with record.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({**entry, "wav": str(self.path)}) + "\n")
        except OSError as exc:
            logger.warning("null output: could not record relay: %s", exc)

    def write(self, pcm: bytes) -> None:
        self._wav.writeframes(pcm)

    def failed(self) -> str | None:
        return None

    def close(self) -> None:
        self._wav.close()


def open_sink(name: str, *, alsa_device: str | None, folder: Path, record: Path,
              entry: dict[str, Any]) -> PcmSink:
    """The relay side of output ``name``; OSError if it cannot take live PCM."""
    raw = ["-f", "s16le", "-ar", str(RATE), "-ac", "1"]
    if name == "aplay":
        device = ["-D", alsa_device] if alsa_device else []
        return ProcessSink(name, ["aplay", "-q", *device, "-t", "raw", "-f", "S16_LE",
                                  "-r", str(RATE), "-c", "1", "-"])
    if name == "ffplay":
        return ProcessSink(name, ["ffplay", "-nodisp", "-loglevel", "error", *raw, "-i", "-"])
    if name == "null":
        return NullSink(folder, record, entry)
    raise OSError(f"output {name} cannot relay a live stream")
