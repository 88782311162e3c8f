"""Bulletins: text to one short MP3 (attention signal, then speech) in well under 2 s.

The programme render (render.py) mixes many items at 44.1 kHz, writes two renditions and
caches every step. A bulletin is one voice and one signal, wanted at once, and only the
player rendition is needed, so it takes a shorter path through the same parts:

- the voice (espeak-ng, or a recording's decoder) starts first, from a thread, then the
  encoder (encode.encode_stream, encode.PLAYER_MP3 as the programme's player file), so
  ffmpeg loads and the voice works while the attention signal is made ready (once per
  process: the chime's samples built, or a unit's own signal decoded);
- one espeak-ng call for the whole text, read from its stdout at 22.05 kHz (its own rate,
  which is the player file's rate), so nothing is resampled or written to disk;
- the speech is K-weighted once (loudness.Analysis): that measure sets its gain to
  mix.ITEM_LUFS, as programme items are matched, and, scaled and joined to the attention
  signal's cached analysis, feeds loudness.plan_master (gain to -16 LUFS, frame-peak
  limiter under the true-peak ceiling) without filtering anything again."""

from __future__ import annotations

import enum
import hashlib
import logging
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import numpy as np

from loa.audio import mix
from loa.audio.clips import decode_pcm
from loa.audio.encode import ENCODE_HEADROOM_DB, PLAYER_MP3, encode_stream
from loa.audio.errors import AudioError, TTSError
from loa.audio.loudness import (
    SILENCE_LUFS,
    Analysis,
    joined,
    loudness_of_hops,
    master_blocks,
    plan_master,
)
from loa.audio.normalize import normalize_vi
from loa.audio.synth import read_wav
from loa.audio.tts import ESPEAK, ESPEAK_VOICES, get_engine

logger = logging.getLogger(__name__)

RATE = PLAYER_MP3.sample_rate  # 22.05 kHz: espeak-ng's own rate and the player file's
TARGET_LUFS = -16.0
TRUE_PEAK_DB = -1.5
GAP_S = 0.6  # between the attention signal and the first word
_ESPEAK_TIMEOUT_S = 60.0
_DECODE_TIMEOUT_S = 30.0


class _Shipped(enum.Enum):
    SIGNAL = "default"


# The shipped chime as ``attention``: its samples are used as they were made, rather than
# encoded to MP3 and decoded again (two ffmpeg runs, about 0.5 s, before a warning plays).
DEFAULT_SIGNAL: Final = _Shipped.SIGNAL
Attention = bytes | Literal[_Shipped.SIGNAL] | None


@dataclass(frozen=True)
class RenderedBulletin:
    """A rendered bulletin: the player MP3, its length and the text as it was spoken."""

    mp3: bytes
    duration_ms: int
    spoken: str


def render_bulletin(text: str, *, attention: Attention, acronyms: dict | None = None,
                    engine: str = "espeak", voice: str = "vi") -> RenderedBulletin:
    """Speak ``text`` after the ``attention`` signal (an audio file's bytes, DEFAULT_SIGNAL or
    none) as one player MP3."""
    spoken = normalize_vi(text, acronyms)
    if not spoken.strip():
        raise AudioError("Bản tin chưa có nội dung để đọc (the bulletin has no text to read)")
    mp3, samples = _render(lambda: _speech(spoken, engine, voice), attention)
    return RenderedBulletin(mp3, samples * 1000 // RATE, spoken)


def render_recording(path: Path, *, attention: Attention) -> RenderedBulletin:
    """A recorded or uploaded bulletin after the ``attention`` signal, as one player MP3.

    The recording is decoded straight to the player rate and matched like speech; ``spoken``
    is empty. ClipError if it is not audio (check its size and length first: probe_clip).
    """
    mp3, samples = _render(lambda: mix.to_float(decode_pcm(Path(path), rate=RATE)), attention)
    return RenderedBulletin(mp3, samples * 1000 // RATE, "")


def _render(voice: Callable[[], np.ndarray], attention: Attention) -> tuple[bytes, int]:
    """Signal, pause and ``voice()`` mastered into the player MP3; and its length in samples."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="loa-bulletin-voice") as pool:
        speech = pool.submit(voice)  # espeak-ng (or the recording's decoder) starts first
        samples: list[int] = []

        def blocks() -> Iterator[np.ndarray]:
            # Runs once the encoder process has been started: ffmpeg loads and the voice
            # works while the signal is made ready (a command's first bulletin builds the
            # chime's samples, or decodes the unit's own signal: tens of milliseconds).
            lead = _lead_of(attention)
            whole, analysis = _voiced(speech.result(), lead)
            samples.append(len(whole))
            yield from _mastered(whole, analysis)

        return _encode(blocks()), samples[0]


def _lead_of(attention: Attention) -> _Lead | None:
    if attention is DEFAULT_SIGNAL:
        return _default_lead()
    if attention:
        return _lead(hashlib.sha256(attention).hexdigest(), attention)
    return None


def warm_up() -> None:
    """Build what every bulletin with the shipped chime reuses (its samples, matched and
    analysed), as a long-running process's first bulletin would (loa.app)."""
    _default_lead()


def default_attention_signal() -> bytes:
    """The shipped attention signal: a three-note chime of 2.4 s, as a player MP3."""
    return _default_signal()


@lru_cache(maxsize=1)
def _default_signal() -> bytes:
    # Generated, not downloaded: the same samples every time, so the same MP3 (and sha256)
    # from the same encoder.
    return _encode(iter(_default_master()))


@lru_cache(maxsize=1)
def _default_master() -> tuple[np.ndarray, ...]:
    """The chime mastered as its MP3 is: 16-bit blocks."""
    x = chime()
    return tuple(_mastered(x, _analysed(x)))


@lru_cache(maxsize=1)
def _default_lead() -> _Lead:
    """The shipped chime as a lead, from the samples its MP3 encodes."""
    return _as_lead(mix.to_float(np.concatenate(_default_master())))


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
    return (x * mix.matching_gain(x, mix.ITEM_LUFS, rate, short=True)).astype(np.float32)


def _speech(spoken: str, engine: str, voice: str) -> np.ndarray:
    """The spoken text as float32 at RATE: espeak-ng through a pipe, others via their file.

    A warning cannot wait for the network: if another engine fails, espeak-ng (offline)
    reads it, in its northern voice unless the voice asked for is one of its own.
    """
    if engine in ("espeak", "espeak-ng"):
        pcm, rate = _espeak_pcm(spoken, voice)
    else:
        try:
            with tempfile.TemporaryDirectory(prefix="loa-bulletin-") as scratch:
                wav = Path(scratch) / "speech.wav"
                get_engine(engine).synthesize(spoken, voice, wav)
                pcm, rate = read_wav(wav)
        except TTSError as exc:
            logger.warning("Bulletin TTS %s failed, reading with espeak-ng: %s", engine, exc)
            pcm, rate = _espeak_pcm(spoken, voice if voice in ESPEAK_VOICES else "vi")
    x = mix.to_float(pcm)
    if rate != RATE:
        from scipy.signal import resample_poly  # slow to import (see loudness): only here

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


@dataclass(frozen=True)
class _Lead:
    """The attention signal and the pause after it, padded to whole loudness hops."""

    pcm: np.ndarray  # float32 at RATE, matched to mix.ITEM_LUFS; read-only, shared
    analysis: Analysis


@lru_cache(maxsize=16)
def _lead(sha256: str, mp3: bytes) -> _Lead:
    """The decoded, matched and analysed attention signal (cached by content)."""
    del sha256  # the cache key: hashing is cheaper than comparing two MP3s byte by byte
    return _as_lead(_decode(mp3))


def _as_lead(x: np.ndarray) -> _Lead:
    """The signal ``x`` (float32 at RATE) matched, padded with the pause and analysed."""
    x *= np.float32(mix.matching_gain(x, mix.ITEM_LUFS, RATE, short=True))
    hop = RATE // 10
    pause = -(-(len(x) + round(GAP_S * RATE)) // hop) * hop - len(x)
    pcm = np.concatenate([x, np.zeros(pause, dtype=np.float32)])
    pcm.flags.writeable = False
    return _Lead(pcm, _analysed(pcm))


def _decode(data: bytes) -> np.ndarray:
    """Any audio file's bytes as mono float32 at RATE."""
    try:
        proc = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", "pipe:0", "-ac", "1",
                               "-ar", str(RATE), "-f", "s16le", "pipe:1"], input=data,
                              capture_output=True, timeout=_DECODE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioError(f"Không đọc được tín hiệu chú ý (attention signal): {exc}") from exc
    if proc.returncode != 0 or not proc.stdout:
        raise AudioError("Tín hiệu chú ý không phải âm thanh (the attention signal is not audio)")
    return mix.to_float(np.frombuffer(proc.stdout[:len(proc.stdout) // 2 * 2], dtype="<i2"))


def _analysed(x: np.ndarray) -> Analysis:
    analysis = Analysis(RATE, short=True)  # numpy alone: no scipy to import before it plays
    analysis.feed(x)
    return analysis


def _voiced(speech: np.ndarray, lead: _Lead | None) -> tuple[np.ndarray, Analysis]:
    """The bulletin before mastering (signal, pause, speech at mix.ITEM_LUFS) and its analysis.

    The speech is K-weighted once: its loudness sets its gain, and the same analysis, scaled,
    is joined to the signal's cached one for the mastering plan.
    """
    if not len(speech):
        raise AudioError("Bản tin không có âm thanh (the bulletin has no sound)")
    analysis = _analysed(speech)
    level = loudness_of_hops(analysis.hops())
    gain = 10 ** ((mix.ITEM_LUFS - level) / 20) if level > SILENCE_LUFS else 1.0
    speech *= np.float32(gain)
    if lead is None:
        return speech, joined([(analysis, gain)])
    return np.concatenate([lead.pcm, speech]), joined([(lead.analysis, 1.0), (analysis, gain)])


def _mastered(x: np.ndarray, analysis: Analysis) -> Iterator[np.ndarray]:
    """``x`` (float32 at RATE) at TARGET_LUFS under the true-peak ceiling, as 16-bit blocks."""
    plan = plan_master(x, RATE, TARGET_LUFS, TRUE_PEAK_DB - ENCODE_HEADROOM_DB, analysis)
    yield from master_blocks(x, plan)


def _encode(blocks: Iterator[np.ndarray]) -> bytes:
    """The player MP3 of the 16-bit ``blocks`` (the encoder starts before the first block)."""
    with tempfile.TemporaryDirectory(prefix="loa-bulletin-") as work:
        (out,) = encode_stream(blocks, RATE, [PLAYER_MP3], Path(work))
        return out.read_bytes()
