"""MP3 encoding (ffmpeg/LAME, both bitrates in parallel) and Vietnamese ID3v2.4 tags."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mutagen.id3 import ID3, TALB, TDRC, TIT2, TLAN, TPE1, TXXX

from audio.errors import AudioError

FFMPEG = "ffmpeg"
_CHUNK = 1 << 20
_ENCODE_TIMEOUT_S = 600


@dataclass(frozen=True)
class Mp3Spec:
    """One MP3 rendition of the master."""

    kbps: int
    sample_rate: int
    quality: int  # LAME -q: 2 best/slowest … 7 fast; chosen per rendition for the time budget


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


def _feed(proc: subprocess.Popen[bytes], data: memoryview, errors: list[BaseException]) -> None:
    try:
        assert proc.stdin is not None
        for start in range(0, len(data), _CHUNK):
            proc.stdin.write(data[start:start + _CHUNK])
        proc.stdin.close()
    except OSError as exc:  # the encoder died; its exit code tells the story
        errors.append(exc)


def encode_mp3s(pcm: np.ndarray, rate: int, specs: list[Mp3Spec], folder: Path) -> list[Path]:
    """Encode 16-bit mono ``pcm`` to one MP3 per spec, all encoders running at once."""
    data = memoryview(np.ascontiguousarray(pcm, dtype="<i2")).cast("B")
    outs = [Path(tempfile.mkstemp(dir=folder, prefix=".enc-", suffix=".mp3")[1]) for _ in specs]
    procs = [subprocess.Popen(_command(s, rate, o), stdin=subprocess.PIPE,
                              stderr=subprocess.PIPE) for s, o in zip(specs, outs, strict=True)]
    errors: list[BaseException] = []
    feeders = [threading.Thread(target=_feed, args=(p, data, errors)) for p in procs]
    try:
        for thread in feeders:
            thread.start()
        for thread in feeders:
            thread.join()
        failed = [p for p in procs if p.wait(timeout=_ENCODE_TIMEOUT_S) != 0]
        if failed or errors:
            detail = failed[0].stderr.read().decode("utf-8", "replace")[-200:] if failed else ""
            raise AudioError(f"Mã hóa MP3 bị lỗi: {detail or errors[0]}")
    except BaseException:
        for proc, out in zip(procs, outs, strict=True):
            proc.kill()
            out.unlink(missing_ok=True)
        raise
    finally:
        for proc in procs:
            if proc.stderr is not None:
                proc.stderr.close()
    return outs


def write_tags(path: Path, tags: Tags) -> None:
    """Write title, campaign, unit and month as UTF-8 ID3v2.4 frames."""
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

