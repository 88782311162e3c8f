"""Items ready to mix: float32 at 44.1 kHz, loudness-matched, and cached that way."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loa.audio import mix
from loa.audio.cache import touch
from loa.audio.clips import decode_pcm
from loa.audio.synth import cached_wav, speak

logger = logging.getLogger(__name__)

# The level and rate are in the name, so changing either simply misses the old entries.
_READY_SUFFIX = f".{mix.RATE}Hz{mix.ITEM_LUFS:+g}LUFS.npy"


@dataclass(frozen=True)
class Speech:
    """Speech ready to mix, who spoke it, and why if not the engine asked for."""

    audio: np.ndarray  # float32 at mix.RATE, matched to mix.ITEM_LUFS; may be read-only
    engine: str
    note: str | None


def _ready_path(wav: Path) -> Path:
    return wav.with_name(wav.stem + _READY_SUFFIX)


def _prepare(pcm: np.ndarray, rate: int) -> np.ndarray:
    """16-bit speech at ``rate`` → float32 at mix.RATE, matched to mix.ITEM_LUFS."""
    x = pcm.astype(np.float32) * np.float32(1 / 32768)
    # Measured before resampling: half the samples to filter, and upsampling adds no energy.
    gain = np.float32(mix.matching_gain(x, mix.ITEM_LUFS, rate))
    if rate != mix.RATE:
        from scipy.signal import resample_poly  # slow to import (see loudness): only here

        g = np.gcd(rate, mix.RATE)
        x = resample_poly(x, mix.RATE // g, rate // g).astype(np.float32, copy=False)
    x *= gain
    return x


def _store(path: Path, x: np.ndarray) -> None:
    """Write ``x`` as .npy at ``path``, via a temp file and rename (renders may race)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ready-", suffix=".npy")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, x)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load_ready(path: Path) -> np.ndarray | None:
    """The prepared speech at ``path``, memory-mapped; None if absent or unreadable."""
    if not path.exists():
        return None
    try:
        # Memory-mapped: a warm render reads each item straight from the page cache.
        audio = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as exc:
        logger.warning("Ignoring unreadable prepared speech %s: %s", path.name, exc)
        return None
    if audio.dtype != np.float32 or audio.ndim != 1:
        return None
    touch(path)
    return audio


def speech(text: str, *, engine: str, voice: str, rate: int | None, fallback: str | None,
           cache: Path) -> Speech:
    """Normalised ``text`` spoken, resampled and loudness-matched, from the cache if it can."""
    audio = _load_ready(_ready_path(cached_wav(cache, engine, voice, rate, text)))
    if audio is not None:
        return Speech(audio, engine, None)
    spoken = speak(text, engine=engine, voice=voice, rate=rate, fallback=fallback, cache=cache)
    ready = _ready_path(spoken.wav)
    audio = _load_ready(ready)  # the fallback's speech may have been prepared before
    if audio is not None:
        return Speech(audio, spoken.engine, spoken.note)
    prepared = _prepare(spoken.pcm, spoken.rate)
    _store(ready, prepared)
    # Mapped back from the file just written: while the item waits its turn in the mixer it
    # costs page cache, not the renderer's own memory.
    mapped = _load_ready(ready)
    return Speech(prepared if mapped is None else mapped, spoken.engine, spoken.note)


def file_key(path: Path, target_lufs: float | None) -> str:
    """Cache key of a decoded sound file: where it is, its size and mtime, and the level."""
    # Files are never edited in place (uploads go to the content-addressed store), so a
    # changed file always shows a new size or modification time.
    info = path.stat()
    blob = json.dumps([str(path.resolve()), info.st_size, info.st_mtime_ns, target_lufs])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def sound_file(path: Path, cache: Path, target_lufs: float | None = mix.ITEM_LUFS) -> np.ndarray:
    """A jingle, clip or bed as float32 at mix.RATE, matched to ``target_lufs`` if set.

    Decoded once and kept in ``cache``, so a re-render does not start ffmpeg again.
    """
    key = file_key(path, target_lufs)
    ready = cache / "files" / key[:2] / f"{key}.{mix.RATE}Hz.npy"
    audio = _load_ready(ready)
    if audio is not None:
        return audio
    x = mix.to_float(decode_pcm(path, rate=mix.RATE))
    if target_lufs is not None:
        mix.match_loudness(x, target_lufs)
    _store(ready, x)
    return x
