"""Probe and decode audio files with ffprobe/ffmpeg, rejecting what is not usable audio."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.errors import ClipError
from audio.store import AudioStore, StoredAudio

RATE = 44100
FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
_PROBE_TIMEOUT_S = 30
_DECODE_TIMEOUT_S = 300
_MIN_DURATION_MS = 50


@dataclass(frozen=True)
class ClipInfo:
    """What probing found: duration and container format."""

    duration_ms: int
    format: str


def probe_clip(path: Path, *, max_bytes: int = 200 * 1024 * 1024) -> ClipInfo:
    """Check that ``path`` is real, non-empty audio of acceptable size; ClipError otherwise."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ClipError(f"Không tìm thấy tệp âm thanh: {name}")
    size = path.stat().st_size
    if size == 0:
        raise ClipError(f"Tệp âm thanh rỗng: {name}")
    if size > max_bytes:
        raise ClipError(
            f"Tệp âm thanh quá lớn: {name} ({size / 1048576:.1f} MB, "
            f"tối đa {max_bytes / 1048576:.0f} MB)"
        )
    data = _ffprobe(path)
    streams = [s for s in data.get("streams", []) if s.get("codec_type") == "audio"]
    fmt = data.get("format", {})
    if not streams:
        raise ClipError(f"Tệp âm thanh bị hỏng hoặc không phải âm thanh: {name}")
    duration_ms = _duration_ms(fmt, streams[0])
    if duration_ms < _MIN_DURATION_MS:
        raise ClipError(f"Tệp âm thanh rỗng hoặc quá ngắn: {name}")
    # Decoding the whole file catches corruption past the header that ffprobe does not read.
    _check_decodes(path)
    return ClipInfo(duration_ms=duration_ms, format=str(fmt.get("format_name", "")).split(",")[0])


def _ffprobe(path: Path) -> dict:
    cmd = [FFPROBE, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
           str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ClipError(f"Không đọc được tệp âm thanh (quá thời gian): {path.name}") from exc
    if proc.returncode != 0:
        raise ClipError(f"Tệp âm thanh bị hỏng hoặc không phải âm thanh: {path.name}")
    try:
        return json.loads(proc.stdout or b"{}")
    except json.JSONDecodeError as exc:
        raise ClipError(f"Tệp âm thanh bị hỏng hoặc không phải âm thanh: {path.name}") from exc


def _duration_ms(fmt: dict, stream: dict) -> int:
    for raw in (stream.get("duration"), fmt.get("duration")):
        try:
            return round(float(raw) * 1000)
        except (TypeError, ValueError):
            continue
    return 0


def _check_decodes(path: Path) -> None:
    cmd = [FFMPEG, "-nostdin", "-v", "error", "-xerror", "-i", str(path), "-map", "0:a:0",
           "-f", "null", "-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=_DECODE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ClipError(f"Không đọc được tệp âm thanh (quá thời gian): {path.name}") from exc
    if proc.returncode != 0 or proc.stderr.strip():
        raise ClipError(f"Tệp âm thanh bị hỏng hoặc không phải âm thanh: {path.name}")


def decode_pcm(path: Path, *, rate: int = RATE) -> np.ndarray:
    """Decode any audio file to mono 16-bit PCM at ``rate`` as an int16 array."""
    cmd = [FFMPEG, "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1",
           "-ar", str(rate), "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=_DECODE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ClipError(f"Không đọc được tệp âm thanh (quá thời gian): {path.name}") from exc
    if proc.returncode != 0 or not proc.stdout:
        raise ClipError(f"Tệp âm thanh bị hỏng hoặc không phải âm thanh: {path.name}")
    return np.frombuffer(proc.stdout, dtype=np.int16)


def import_clip(src: Path, store: AudioStore, *, max_bytes: int = 200 * 1024 * 1024,
                ) -> tuple[StoredAudio, ClipInfo]:
    """Probe an uploaded clip and, only if it is usable audio, put it in the store."""
    info = probe_clip(src, max_bytes=max_bytes)
    return store.put_file(src), info
