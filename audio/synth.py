"""Cached synthesis of one TTS segment, with fallback to another engine."""

from __future__ import annotations

import hashlib
import json
import logging
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loa.audio.cache import touch
from loa.audio.errors import TTSError
from loa.audio.tts import ESPEAK_VOICES, get_engine

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Spoken:
    """Synthesised speech: 16-bit PCM at the engine's rate, who spoke, and why if not the first."""

    pcm: np.ndarray
    rate: int
    engine: str
    note: str | None
    cached: bool
    wav: Path  # the cached synthesis it was read from


def cache_key(engine: str, voice: str, rate: int | None, spoken_text: str) -> str:
    """Cache key of a synthesis: engine, voice, rate and the normalised text."""
    blob = json.dumps([engine, voice, rate, spoken_text], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono 16-bit PCM and sample rate of a WAV file (stereo is mixed down)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise TTSError(f"Bộ đọc tạo tệp WAV không phải 16 bit: {path.name}")
        channels, rate = wav.getnchannels(), wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return pcm, rate


def cached_wav(cache: Path, engine: str, voice: str, rate: int | None, text: str) -> Path:
    """Where the synthesis cache keeps this synthesis (it may not exist yet)."""
    key = cache_key(engine, voice, rate, text)
    return cache / key[:2] / f"{key}.wav"


def _synthesize(engine: str, voice: str, rate: int | None, text: str, cache: Path) -> Path:
    """The cached WAV for this synthesis, synthesising it first if needed."""
    target = cached_wav(cache, engine, voice, rate, text)
    if target.exists():
        touch(target)
    else:
        get_engine(engine).synthesize(text, voice, target, rate=rate)
    return target


def speak(text: str, *, engine: str, voice: str, rate: int | None, fallback: str | None,
          cache: Path) -> Spoken:
    """Speak normalised ``text``, falling back to ``fallback`` if ``engine`` fails."""
    cached = cached_wav(cache, engine, voice, rate, text).exists()
    try:
        wav = _synthesize(engine, voice, rate, text, cache)
        pcm, sr = read_wav(wav)
        return Spoken(pcm, sr, engine, None, cached, wav)
    except TTSError as exc:
        if not fallback or fallback == engine:
            raise
        logger.warning("TTS %s failed, falling back to %s: %s", engine, fallback, exc)
        first_error = exc
    # The fallback engine may not know the first engine's voice; espeak-ng then reads northern.
    fb_voice = voice if fallback != "espeak-ng" or voice in ESPEAK_VOICES else "vi"
    fb_cached = cached_wav(cache, fallback, fb_voice, rate, text).exists()
    wav = _synthesize(fallback, fb_voice, rate, text, cache)
    pcm, sr = read_wav(wav)
    note = f"{engine} lỗi ({first_error}), dùng {fallback}"
    return Spoken(pcm, sr, fallback, note, fb_cached, wav)
