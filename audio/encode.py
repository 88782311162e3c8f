"""MP3 encoding (ffmpeg/LAME, all renditions at once from one PCM stream) and ID3 tags."""

from __future__ import annotations

import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loa.audio import children
from loa.audio.errors import AudioError

FFMPEG = "ffmpeg"
_QUEUED = 8  # blocks waiting per encoder: a few MB at most
_ENCODE_TIMEOUT_S = 600


@dataclass(frozen=True)
class Mp3Spec:
    """One MP3 rendition of the master."""

    kbps: int
    sample_rate: int
    quality: int  # LAME -q: 2 best/slowest … 7 fast; chosen per rendition for the time budget


# What players download (programmes and bulletins). Here, not in render.py, so that a
# bulletin's render loads no programme machinery.
PLAYER_MP3 = Mp3Spec(kbps=64, sample_rate=22050, quality=7)
# Limit below the ceiling: MP3 decoding overshoots the encoder's input by up to about 1 dB.
ENCODE_HEADROOM_DB = 1.0


@dataclass(frozen=True)
class Tags:
    """What the ID3 tag says about a programme."""

    title: str
    campaign: str
    unit: str
    month: str


def _command(spec: Mp3Spec, rate: int, out: Path) -> list[str]:
    return [FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "s16le", "-ar", str(rate), "-ac", "1",
            "-i", "pipe:0", "-map_metadata", "-1", "-ar", str(spec.sample_rate),
            "-c:a", "libmp3lame", "-b:a", f"{spec.kbps}k", "-compression_level",
            str(spec.quality), "-write_id3v1", "0", "-id3v2_version", "0", "-f", "mp3", str(out)]


def _feed(proc: subprocess.Popen[bytes], blocks: queue.Queue[memoryview | None],
          errors: list[BaseException]) -> None:
    """Write queued blocks to one encoder until the end marker (None)."""
    assert proc.stdin is not None
    broken = False
    while (data := blocks.get()) is not None:
        if broken:
            continue  # keep draining so the producer never blocks on a dead encoder
        try:
            proc.stdin.write(data)
        except OSError as exc:  # the encoder died; its exit code tells the story
            errors.append(exc)
            broken = True
    try:
        proc.stdin.close()
    except OSError as exc:
        errors.append(exc)


def encode_stream(blocks: Iterable[np.ndarray], rate: int, specs: list[Mp3Spec],
                  folder: Path) -> list[Path]:
    """Encode consecutive 16-bit mono PCM ``blocks`` to one MP3 per spec, all at once.

    The encoders run while the blocks are still being computed, and each gets its own
    bounded queue, so a slower encoder never holds the faster one back for long.
    """
    outs = [Path(tempfile.mkstemp(dir=folder, prefix=".enc-", suffix=".mp3")[1]) for _ in specs]
    procs = [children.popen(_command(s, rate, o), stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE) for s, o in zip(specs, outs, strict=True)]
    queues: list[queue.Queue[memoryview | None]] = [queue.Queue(_QUEUED) for _ in procs]
    errors: list[BaseException] = []
    feeders = [threading.Thread(target=_feed, args=(p, q, errors), daemon=True)
               for p, q in zip(procs, queues, strict=True)]
    for thread in feeders:
        thread.start()
    try:
        for block in blocks:
            children.check()
            data = memoryview(np.ascontiguousarray(block, dtype="<i2")).cast("B")
            for q in queues:
                q.put(data)
        _finish(procs, queues, feeders, errors)
    except BaseException:
        for proc in procs:
            proc.kill()
        _stop_feeders(queues, feeders)
        for out in outs:
            out.unlink(missing_ok=True)
        raise
    finally:
        for proc in procs:
            proc.wait()
            children.forget(proc)
            if proc.stderr is not None:
                proc.stderr.close()
    return outs


def _stop_feeders(queues: list[queue.Queue[memoryview | None]],
                  feeders: list[threading.Thread]) -> None:
    for q in queues:
        q.put(None)
    for thread in feeders:
        thread.join(timeout=_ENCODE_TIMEOUT_S)


def _finish(procs: list[subprocess.Popen[bytes]], queues: list[queue.Queue[memoryview | None]],
            feeders: list[threading.Thread], errors: list[BaseException]) -> None:
    """Close the streams, wait for every encoder and raise if any failed."""
    _stop_feeders(queues, feeders)
    failed = [p for p in procs if p.wait(timeout=_ENCODE_TIMEOUT_S) != 0]
    if failed or errors:
        stderr = failed[0].stderr if failed else None
        detail = stderr.read().decode("utf-8", "replace")[-200:] if stderr else ""
        raise AudioError(f"Mã hóa MP3 bị lỗi: {detail or errors[0]}")


def write_tags(path: Path, tags: Tags) -> None:
    """Write title, campaign, unit and month as UTF-8 ID3v2.4 frames."""
    from mutagen.id3 import ID3, TALB, TDRC, TIT2, TLAN, TPE1, TXXX  # programmes only

    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TALB(encoding=3, text=tags.campaign))
    id3.add(TPE1(encoding=3, text=tags.unit))
    id3.add(TDRC(encoding=3, text=tags.month))
    id3.add(TLAN(encoding=3, text="vie"))
    # Players and auditors read these by name; the standard frames above are for media players.
    for key, value in (("LOA_CAMPAIGN", tags.campaign), ("LOA_UNIT", tags.unit),
                       ("LOA_MONTH", tags.month)):
        id3.add(TXXX(encoding=3, desc=key, text=value))
    id3.save(path, v2_version=4)

