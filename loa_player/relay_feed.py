"""A live relay's sound: the stream decoded by ffmpeg, measured here, handed to the output.

Why ffmpeg: it already reads every kind of source a station relays (Icecast and
SHOUTcast, plain HTTP MP3/AAC/Ogg, HLS playlists) and its network options
(``-reconnect*``, ``-rw_timeout``) ride out a short blip of the link without the
output noticing. What ffmpeg cannot decide is the station's rule: when a stream has
failed and what airs instead. So ffmpeg only decodes, to 16-bit mono PCM on a pipe;
this feed measures every 100 ms of it, switches to the fallback (a file decoded the
same way, paced to real time) after ``no_data_s`` without data or ``silence_s`` below
``silence_dbfs``, retries the stream every ``retry_s`` and switches back when it
carries sound again. The output gets PCM from one place whatever is on.
"""

from __future__ import annotations

import logging
import math
import os
import select
import subprocess
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)

RATE = 22050  # the player file's rate: mono, 16-bit
BYTES_PER_S = RATE * 2
CHUNK = BYTES_PER_S // 10  # 100 ms: the unit the level is measured in
TICK_S = 0.05
PREROLL_KEEP = BYTES_PER_S // 2  # before the slot, keep only the freshest half second


@dataclass(frozen=True)
class RelayRules:
    """When a stream counts as failed, and how it is retried (issue 17 §2)."""

    no_data_s: float = 5.0
    silence_s: float = 20.0
    silence_dbfs: float = -50.0
    retry_s: float = 5.0
    back_after_s: float = 0.3  # of sound, before a returned stream goes back on air


def dbfs(pcm: bytes) -> float:
    """The RMS level of 16-bit PCM in dB below full scale (-inf for digital silence)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    if not samples:
        return -math.inf
    power = sum(s * s for s in samples) / len(samples)
    return 10 * math.log10(power / 32768**2) if power else -math.inf


def stream_command(url: str) -> list[str]:
    """ffmpeg decoding ``url`` to PCM; it reconnects by itself after a short drop."""
    network = ["-rw_timeout", "5000000", "-reconnect", "1", "-reconnect_streamed", "1",
               "-reconnect_on_network_error", "1", "-reconnect_delay_max", "4"]
    if ".m3u8" not in url.lower():  # a live stream's end is a drop; an HLS playlist's is not
        network += ["-reconnect_at_eof", "1", "-reconnect_on_http_error", "4xx,5xx"]
    return ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *network,
            # read little before decoding: a live stream gives a few KB a second
            "-formatprobesize", "8192", "-probesize", "16384", "-analyzeduration", "500000",
            "-i", url, "-vn", "-ac", "1", "-ar", str(RATE),
            "-f", "s16le", "-"]


def file_command(path: Path) -> list[str]:
    """ffmpeg decoding a fallback file to PCM, looped for as long as it is needed."""
    return ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-stream_loop", "-1",
            "-i", str(path), "-vn", "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"]


class Decoder:
    """One ffmpeg process with its PCM on a pipe, read without blocking."""

    def __init__(self, cmd: list[str]) -> None:
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        self._fd = self.proc.stdout.fileno()
        os.set_blocking(self._fd, False)
        self.ended = False

    def read(self, limit: int = 1 << 16) -> bytes:
        """What has arrived (b"" if nothing yet); ``ended`` once the process closed its pipe."""
        if self.ended:
            return b""
        ready, _, _ = select.select([self._fd], [], [], 0)
        if not ready:
            return b""
        try:
            data = os.read(self._fd, limit)
        except BlockingIOError:
            return b""
        if not data:
            self.ended = True
        return data

    def read_exactly(self, size: int, timeout_s: float = 1.0) -> bytes:
        """``size`` bytes (a file decodes faster than real time), fewer if it stalls."""
        out = bytearray()
        deadline = time.monotonic() + timeout_s
        while len(out) < size and not self.ended and time.monotonic() < deadline:
            data = self.read(size - len(out))
            if data:
                out += data
            else:
                select.select([self._fd], [], [], 0.02)
        return bytes(out)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class PcmSink(Protocol):
    """An output taking live PCM (the relay's side of an output plugin)."""

    name: str

    def write(self, pcm: bytes) -> None:
        """Play ``pcm`` next; OSError when the output has died."""
        ...

    def failed(self) -> str | None:
        """Why the output stopped, or None while it plays."""
        ...

    def close(self) -> None:
        ...


@dataclass
class Dropout:
    """A stretch when the fallback, not the stream, was on air."""

    start: datetime  # when the stream stopped delivering (or went silent)
    reason: str  # no_data | silence | error
    end: datetime | None = None

    def detail(self) -> dict[str, str]:
        assert self.end is not None
        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "reason": self.reason}


@dataclass
class Totals:
    """What a relay put on air, in bytes of PCM (each 44,100 is a second)."""

    relayed: int = 0
    fallback: int = 0
    silence: int = 0
    dropouts: list[Dropout] = field(default_factory=list)

    def ms(self, count: int) -> int:
        return round(count * 1000 / BYTES_PER_S)


class RelayFeed:
    """The stream (or the fallback) for one relay, on its own thread, into the sink attached.

    Connected before the slot (``start``): until a sink is attached only the
    freshest half second is kept, so the relay starts live, not from a backlog.
    """

    def __init__(self, url: str, fallback: Callable[[], Path | None], now: Callable[[], datetime],
                 rules: RelayRules = RelayRules()) -> None:
        self.url, self.rules, self._now, self._fallback_path = url, rules, now, fallback
        self.totals = Totals()
        self.finished_dropouts: list[Dropout] = []  # handed to the agent's playout thread
        self._lock = threading.Lock()
        self._sink: PcmSink | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loa-relay", daemon=True)
        self._stream: Decoder | None = None
        self._backup: Decoder | None = None
        self._pending = bytearray()  # stream PCM not yet measured (less than a chunk)
        self._dropout: Dropout | None = None
        self._last_data = time.monotonic()
        self._retried = time.monotonic()
        self._silent_s = 0.0
        self._loud_s = 0.0
        self._paced_from = time.monotonic()
        self._paced = 0

    @property
    def on_fallback(self) -> bool:
        return self._dropout is not None

    def start(self) -> RelayFeed:
        self._connect()
        self._thread.start()
        return self

    def attach(self, sink: PcmSink) -> None:
        with self._lock:
            self._sink = sink
            self._pending.clear()
            self._paced_from, self._paced = time.monotonic(), 0
            # A stream silent before the slot is timed from the slot's start, not earlier.
            self._last_data = max(self._last_data, self._paced_from)

    def detach(self, sink: PcmSink) -> None:
        with self._lock:
            if self._sink is sink:
                self._sink = None

    def stop(self) -> Totals:
        """Stop at once; a dropout under way ends now. What was put on air, in total."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for decoder in (self._stream, self._backup):
            if decoder is not None:
                decoder.close()
        if self._dropout is not None:
            self._end_dropout()
        return self.totals

    # -- the feed thread ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step(time.monotonic())
            except Exception:  # this thread is its own outermost loop: log, keep the air
                logger.exception("relay feed step failed")
            self._stop.wait(TICK_S)

    def _connect(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._stream = Decoder(stream_command(self.url))
        self._retried = time.monotonic()

    def _step(self, mono: float) -> None:
        assert self._stream is not None
        data = self._stream.read()
        if data:
            self._last_data = mono
            self._pending += data
        with self._lock:
            sink = self._sink
            if sink is None:
                del self._pending[: max(len(self._pending) - PREROLL_KEEP, 0)]
            while len(self._pending) >= CHUNK:
                chunk = bytes(self._pending[:CHUNK])
                del self._pending[:CHUNK]
                if sink is not None:
                    self._take(chunk, sink)
            if sink is not None:
                self._watch(mono)
                if self._dropout is not None:
                    self._play_fallback(sink, mono)
        if (self._dropout is not None or sink is None) and self._due_retry(mono):
            logger.info("relay: retrying %s", self.url)
            self._connect()

    def _take(self, chunk: bytes, sink: PcmSink) -> None:
        """100 ms of the stream: on air unless a dropout holds; measured either way."""
        silent = dbfs(chunk) < self.rules.silence_dbfs
        if self._dropout is None:
            self._write(sink, chunk)
            self.totals.relayed += len(chunk)
            if silent:
                self.totals.silence += len(chunk)
                self._silent_s += 0.1
                if self._silent_s >= self.rules.silence_s:
                    self._begin_dropout("silence", self._silent_s)
            else:
                self._silent_s = 0.0
        elif not silent:  # a returned stream goes back on air once it carries sound
            self._loud_s += 0.1
            if self._loud_s >= self.rules.back_after_s:
                self._end_dropout()
        else:
            self._loud_s = 0.0

    def _watch(self, mono: float) -> None:
        if self._dropout is not None:
            return
        quiet = mono - self._last_data
        if quiet >= self.rules.no_data_s:
            ended = self._stream is not None and self._stream.ended
            self._begin_dropout("error" if ended and self._stream_failed() else "no_data", quiet)

    def _stream_failed(self) -> bool:
        code = self._stream.proc.poll() if self._stream is not None else None
        return code not in (None, 0)

    def _due_retry(self, mono: float) -> bool:
        """Every ``retry_s`` while the stream gives nothing (or has ended)."""
        assert self._stream is not None
        if mono - self._retried < self.rules.retry_s:
            return False
        return self._stream.ended or mono - self._last_data >= self.rules.retry_s

    def _begin_dropout(self, reason: str, ago_s: float) -> None:
        start = self._now() - timedelta(seconds=ago_s)
        self._dropout = Dropout(start, reason)
        self._loud_s = 0.0
        self._paced_from, self._paced = time.monotonic(), 0
        logger.warning("relay %s: %s since %s, fallback on air", self.url, reason,
                       start.isoformat())

    def _end_dropout(self) -> None:
        dropout, self._dropout = self._dropout, None
        assert dropout is not None
        dropout.end = self._now()
        self._silent_s = self._loud_s = 0.0
        self.totals.dropouts.append(dropout)
        self.finished_dropouts.append(dropout)
        logger.info("relay %s: back on the stream (%s)", self.url, dropout.detail())

    def _play_fallback(self, sink: PcmSink, mono: float) -> None:
        """The fallback's PCM, paced to real time (a file decodes faster than it plays)."""
        owed = int((mono - self._paced_from) * BYTES_PER_S) // 2 * 2 - self._paced
        if owed <= 0:
            return
        pcm = b""
        if self._backup is None or self._backup.ended:
            path = self._fallback_path()
            self._backup = Decoder(file_command(path)) if path is not None else None
        if self._backup is not None:
            pcm = self._backup.read_exactly(owed)
        pcm = pcm or bytes(owed)  # nothing to fall back on: the output stays open
        self._paced += len(pcm)
        self._write(sink, pcm)
        self.totals.fallback += len(pcm)

    def _write(self, sink: PcmSink, pcm: bytes) -> None:
        try:
            sink.write(pcm)
        except OSError as exc:  # the output died: OnAir sees it failed and tries the next
            logger.warning("relay output %s: %s", sink.name, exc)
