"""Bulletins: text to one short MP3 (attention signal, then speech) in well under 2 s.

The programme render (render.py) mixes many items at 44.1 kHz, writes two renditions and
caches every step. A bulletin is one voice and one signal, wanted at once, and only the
player rendition is needed, so it takes a shorter path through the same parts:

- one espeak-ng call for the whole text, read from its stdout at 22.05 kHz (its own rate,
  which is the player file's rate), so nothing is resampled or written to disk;
- speech and signal matched to mix.ITEM_LUFS as programme items are (mix.matching_gain);
- gain and limiter from loudness.plan_master at 22.05 kHz (one K-weighting pass, a
  frame-peak limiter modelled without re-filtering), then one ffmpeg encode to
  encode.PLAYER_MP3, the player file the programme render also writes.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from loa.audio import mix
from loa.audio.encode import encode_stream
from loa.audio.errors import AudioError, TTSError
from loa.audio.loudness import master_blocks, plan_master
from loa.audio.normalize import normalize_vi
from loa.audio.render import ENCODE_HEADROOM_DB, PLAYER_MP3
from loa.audio.synth import read_wav
from loa.audio.tts import ESPEAK, ESPEAK_VOICES, get_engine

RATE = PLAYER_MP3.sample_rate  # 22.05 kHz: espeak-ng's own rate and the player file's
TARGET_LUFS = -16.0
TRUE_PEAK_DB = -1.5
GAP_S = 0.6  # between the attention signal and the first word
_ESPEAK_TIMEOUT_S = 60.0
_DECODE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RenderedBulletin:
    """A rendered bulletin: the player MP3, its length and the text as it was spoken."""

    mp3: bytes
    duration_ms: int
    spoken: str


def render_bulletin(text: str, *, attention: bytes | None, acronyms: dict | None = None,
                    engine: str = "espeak", voice: str = "vi") -> RenderedBulletin:
    """Speak ``text`` after the ``attention`` signal (an MP3, or none) as one player MP3."""
    spoken = normalize_vi(text, acronyms)
    if not spoken.strip():
        raise AudioError("Bản tin chưa có nội dung để đọc (the bulletin has no text to read)")
    speech = _speech(spoken, engine, voice)
    speech *= np.float32(mix.matching_gain(speech, mix.ITEM_LUFS, RATE))
    parts = [speech]
    if attention:
        parts = [_attention_pcm(attention), np.zeros(round(GAP_S * RATE), np.float32), speech]
    whole = np.concatenate(parts) if len(parts) > 1 else speech
    return RenderedBulletin(_master_mp3(whole), len(whole) * 1000 // RATE, spoken)


def default_attention_signal() -> bytes:
    """The shipped attention signal: a three-note chime of 2.4 s, as a player MP3."""
    return _default_signal()


@lru_cache(maxsize=1)
def _default_signal() -> bytes:
    # Generated, not downloaded: the same samples every time, so the same MP3 (and sha256)
    # from the same encoder.
    return _master_mp3(chime())


def chime(rate: int = RATE) -> np.ndarray:
    """Three falling bell-like notes (G5, E5, C5): float32 at ``rate``, about 2.4 s.

    The notes sit where commune horn loudspeakers are loudest (500 Hz–2 kHz); the 3rd
    and 5th partials give a bell's colour, and each note rings out over the next.
    """
    starts, notes, ring_s = (0.0, 0.45, 0.9), (783.99, 659.26, 523.25), 1.5
    x = np.zeros(round((starts[-1] + ring_s) * rate), dtype=np.float64)
    t = np.arange(round(ring_s * rate)) / rate
    envelope = np.exp(-t / 0.45) * np.minimum(1.0, t / 0.005)  # 5 ms attack: no click
    envelope[-round(0.05 * rate):] *= np.linspace(1.0, 0.0, round(0.05 * rate))
    for start, freq in zip(starts, notes, strict=True):
        tone = (np.sin(2 * np.pi * freq * t) + 0.35 * np.sin(2 * np.pi * 3 * freq * t)
                + 0.12 * np.sin(2 * np.pi * 5 * freq * t))
        i = round(start * rate)
        x[i:i + len(t)] += tone * envelope
    x *= 0.5 / np.abs(x).max()
    return (x * mix.matching_gain(x, mix.ITEM_LUFS, rate)).astype(np.float32)


def _speech(spoken: str, engine: str, voice: str) -> np.ndarray:
    """The spoken text as float32 at RATE: espeak-ng through a pipe, others via their file."""
    if engine in ("espeak", "espeak-ng"):
        pcm, rate = _espeak_pcm(spoken, voice)
    else:
        with tempfile.TemporaryDirectory(prefix="loa-bulletin-") as scratch:
            wav = Path(scratch) / "speech.wav"
            get_engine(engine).synthesize(spoken, voice, wav)
            pcm, rate = read_wav(wav)
    x = mix.to_float(pcm)
    if rate != RATE:
        g = np.gcd(rate, RATE)
        x = resample_poly(x, RATE // g, rate // g).astype(np.float32, copy=False)
    if not len(x):
        raise TTSError("Bộ đọc không tạo ra âm thanh (the TTS engine produced no audio)")
    return x


def _espeak_pcm(spoken: str, voice: str) -> tuple[np.ndarray, int]:
    """One espeak-ng call for the whole text, its WAV read from stdout."""
    if voice not in ESPEAK_VOICES:
        raise TTSError(f"Giọng đọc espeak-ng không hợp lệ: {voice}")
    try:
        proc = subprocess.run([ESPEAK, "-v", voice, "-b", "1", "--stdout"],
                              input=spoken.encode("utf-8"), capture_output=True,
                              timeout=_ESPEAK_TIMEOUT_S, check=False)
    except FileNotFoundError as exc:
        raise TTSError("Chưa cài đặt espeak-ng trên máy chủ") from exc
    except subprocess.TimeoutExpired as exc:
        raise TTSError("espeak-ng quá thời gian") from exc
    if proc.returncode != 0:
        raise TTSError(f"espeak-ng bị lỗi: {proc.stderr.decode('utf-8', 'replace')[-200:]}")
    return _wav_pcm(proc.stdout)


def _wav_pcm(data: bytes) -> tuple[np.ndarray, int]:
    """16-bit mono PCM and rate of a streamed WAV (its length fields are not filled in)."""
    at = data.find(b"data", 12)
    if not data.startswith(b"RIFF") or at < 0 or data.find(b"fmt ", 12) < 0:
        raise TTSError("espeak-ng không tạo ra âm thanh (no WAV output)")
    fmt = data.find(b"fmt ", 12) + 8
    channels = int.from_bytes(data[fmt + 2:fmt + 4], "little")
    rate = int.from_bytes(data[fmt + 4:fmt + 8], "little")
    bits = int.from_bytes(data[fmt + 14:fmt + 16], "little")
    if bits != 16 or channels != 1:
        raise TTSError(f"espeak-ng: định dạng WAV không hỗ trợ ({channels} kênh, {bits} bit)")
    body = data[at + 8:]
    return np.frombuffer(body[:len(body) // 2 * 2], dtype="<i2"), rate


def _attention_pcm(mp3: bytes) -> np.ndarray:
    """The attention signal as float32 at RATE, matched to mix.ITEM_LUFS (cached by content)."""
    return _decoded(hashlib.sha256(mp3).hexdigest(), mp3)


@lru_cache(maxsize=16)
def _decoded(sha256: str, data: bytes) -> np.ndarray:
    del sha256  # the cache key: hashing is cheaper than comparing two MP3s byte by byte
    try:
        proc = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", "pipe:0", "-ac", "1",
                               "-ar", str(RATE), "-f", "s16le", "pipe:1"], input=data,
                              capture_output=True, timeout=_DECODE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioError(f"Không đọc được tín hiệu chú ý (attention signal): {exc}") from exc
    if proc.returncode != 0 or not proc.stdout:
        raise AudioError("Tín hiệu chú ý không phải âm thanh (the attention signal is not audio)")
    x = mix.to_float(np.frombuffer(proc.stdout[:len(proc.stdout) // 2 * 2], dtype="<i2"))
    x = x * np.float32(mix.matching_gain(x, mix.ITEM_LUFS, RATE))
    x.flags.writeable = False  # shared between renders
    return x


def _master_mp3(x: np.ndarray) -> bytes:
    """``x`` (float32 at RATE) at TARGET_LUFS under the true-peak ceiling, as the player MP3."""
    plan = plan_master(x, RATE, TARGET_LUFS, TRUE_PEAK_DB - ENCODE_HEADROOM_DB)
    with tempfile.TemporaryDirectory(prefix="loa-bulletin-") as work:
        (out,) = encode_stream(master_blocks(x, plan), RATE, [PLAYER_MP3], Path(work))
        return out.read_bytes()
