"""TTS engines behind one interface, and the registry that names them."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from loa.audio import children
from loa.audio.errors import TTSError

logger = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
FFMPEG = "ffmpeg"
ESPEAK_VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")
_RATE_RANGE = (80, 450)  # espeak-ng words per minute; outside this speech is unintelligible


@runtime_checkable
class TTSEngine(Protocol):
    """Turns (already normalised) text into a WAV file."""

    name: str

    def synthesize(self, text: str, voice: str, out_wav: Path, *, rate: int | None = None) -> None:
        """Write ``text`` spoken by ``voice`` to ``out_wav``; TTSError on failure."""


def _temp_beside(target: Path, suffix: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".tts-", suffix=suffix)
    os.close(fd)
    return Path(name)


def _run(cmd: list[str], *, what: str, timeout: float, stdin: bytes | None = None) -> None:
    """Run a synthesis/conversion command, turning every failure into a TTSError."""
    try:
        proc = children.run(cmd, stdin=stdin, timeout=timeout)
    except FileNotFoundError as exc:
        raise TTSError(f"Chưa cài đặt {what} trên máy chủ") from exc
    except subprocess.TimeoutExpired as exc:
        raise TTSError(f"{what} quá thời gian ({timeout:.0f} giây)") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip()[-200:]
        raise TTSError(f"{what} bị lỗi: {detail or proc.returncode}")


class EspeakEngine:
    """Offline espeak-ng; voices vi (Bắc), vi-vn-x-central (Trung), vi-vn-x-south (Nam)."""

    name = "espeak-ng"

    def __init__(self, binary: str = ESPEAK, timeout: float = 120.0) -> None:
        self.binary = binary
        self.timeout = timeout

    def synthesize(self, text: str, voice: str, out_wav: Path, *, rate: int | None = None) -> None:
        """Speak ``text`` into ``out_wav`` (22.05 kHz mono WAV) via a temp file and rename."""
        if voice not in ESPEAK_VOICES:
            raise TTSError(f"Giọng đọc espeak-ng không hợp lệ: {voice}")
        cmd = [self.binary, "-v", voice, "-b", "1"]
        if rate is not None:
            if not _RATE_RANGE[0] <= rate <= _RATE_RANGE[1]:
                raise TTSError(f"Tốc độ đọc phải trong khoảng {_RATE_RANGE[0]}–{_RATE_RANGE[1]}")
            cmd += ["-s", str(rate)]
        tmp = _temp_beside(out_wav, ".wav")
        try:
            _run([*cmd, "-w", str(tmp), "--stdin"], what="espeak-ng", timeout=self.timeout,
                 stdin=text.encode("utf-8"))
            if tmp.stat().st_size <= 44:
                raise TTSError("espeak-ng không tạo ra âm thanh")
            os.replace(tmp, out_wav)
        finally:
            tmp.unlink(missing_ok=True)


class GttsEngine:
    """Online Google TTS (gTTS, lang="vi"); needs the network, so always give it a fallback."""

    name = "gtts"

    def __init__(self, timeout: float | tuple[float, float] = (5.0, 20.0), tld: str = "com.vn"):
        self.timeout = timeout
        self.tld = tld

    def synthesize(self, text: str, voice: str, out_wav: Path, *, rate: int | None = None) -> None:
        """Fetch speech from Google into ``out_wav``; TTSError (Vietnamese) when offline."""
        from gtts import gTTS, gTTSError  # imported late: only this engine needs it

        slow = rate is not None and rate < 150  # gTTS has only two speeds
        mp3 = _temp_beside(out_wav, ".mp3")
        wav = _temp_beside(out_wav, ".wav")
        try:
            speech = gTTS(text, lang="vi", tld=self.tld, slow=slow, lang_check=False,
                          timeout=self.timeout)
            with mp3.open("wb") as fh:
                speech.write_to_fp(fh)
            _run([FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(mp3), "-ac", "1",
                  "-ar", "22050", "-c:a", "pcm_s16le", str(wav)], what="ffmpeg", timeout=120)
            os.replace(wav, out_wav)
        except gTTSError as exc:
            raise TTSError(f"gTTS lỗi (mất mạng hoặc dịch vụ không trả lời): {exc}") from exc
        except (OSError, ValueError, TypeError, AssertionError) as exc:
            raise TTSError(f"gTTS lỗi: {exc}") from exc
        finally:
            mp3.unlink(missing_ok=True)
            wav.unlink(missing_ok=True)


class PiperEngine:
    """Piper neural TTS; ``voice`` is the path of an .onnx voice model the user supplies."""

    name = "piper"

    def __init__(self, binary: str = "piper", timeout: float = 300.0) -> None:
        self.binary = binary
        self.timeout = timeout

    def synthesize(self, text: str, voice: str, out_wav: Path, *, rate: int | None = None) -> None:
        """Speak ``text`` with the Piper model at ``voice`` into ``out_wav``."""
        if shutil.which(self.binary) is None:
            raise TTSError("Chưa cài đặt piper trên máy chủ")
        if not Path(voice).is_file():
            raise TTSError(f"Không tìm thấy tệp giọng đọc Piper: {voice}")
        cmd = [self.binary, "--model", voice]
        if rate is not None:
            # Piper's length scale: 1.0 is its natural pace, which is about 175 words a minute.
            cmd += ["--length_scale", f"{175 / max(rate, 1):.3f}"]
        tmp = _temp_beside(out_wav, ".wav")
        try:
            _run([*cmd, "--output_file", str(tmp)], what="piper", timeout=self.timeout,
                 stdin=text.encode("utf-8"))
            os.replace(tmp, out_wav)
        finally:
            tmp.unlink(missing_ok=True)


_REGISTRY: dict[str, Callable[[], TTSEngine]] = {
    EspeakEngine.name: EspeakEngine,
    GttsEngine.name: GttsEngine,
    PiperEngine.name: PiperEngine,
}


def register_engine(name: str, factory: Callable[[], TTSEngine]) -> None:
    """Make an engine available by name (for plug-ins and tests)."""
    _REGISTRY[name] = factory


def engine_names() -> list[str]:
    """Names of the registered engines."""
    return sorted(_REGISTRY)


def get_engine(name: str) -> TTSEngine:
    """The engine registered as ``name`` ("espeak-ng", "gtts", "piper", ...)."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise TTSError(f"Không có bộ đọc TTS tên: {name}") from None
    return factory()
