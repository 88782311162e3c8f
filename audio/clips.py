"""Probe and decode audio files with ffprobe/ffmpeg, rejecting what is not usable audio."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loa.audio import children
from loa.audio.errors import ClipError, ClipTooLong
from loa.audio.store import AudioStore, StoredAudio

if TYPE_CHECKING:  # numpy loads only when audio is decoded, not with every command
    import numpy as np

RATE = 44100
FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
_PROBE_TIMEOUT_S = 30
_DECODE_TIMEOUT_S = 300
_MIN_DURATION_MS = 50
_MIN_PLAYABLE_SHARE = 0.8  # of the header's length: a few bad frames cost far less, and
# estimated lengths (VBR without a Xing header) can be a little off


@dataclass(frozen=True)
class ClipInfo:
    """What probing found: duration and container format."""

    duration_ms: int
    format: str


def probe_clip(path: Path, *, max_bytes: int = 200 * 1024 * 1024,
               max_ms: int | None = None) -> ClipInfo:
    """Check that ``path`` is real, non-empty audio of acceptable size; ClipError otherwise.

    With ``max_ms``, a longer file is ClipTooLong, told from its header before the whole
    file is decoded (a 24-hour silent FLAC is 16 MB, and decoding it takes minutes).
    """
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
    if max_ms is not None and duration_ms > max_ms:
        raise ClipTooLong(duration_ms, name)
    played_ms = _check_decodes(path, duration_ms)
    if max_ms is not None and played_ms > max_ms:  # a header may understate the length
        raise ClipTooLong(played_ms, name)
    return ClipInfo(duration_ms=played_ms, format=str(fmt.get("format_name", "")).split(",")[0])


def _ffprobe(path: Path) -> dict:
    cmd = [FFPROBE, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
           str(path)]
    try:
        proc = children.run(cmd, timeout=_PROBE_TIMEOUT_S)
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


def _check_decodes(path: Path, probed_ms: int) -> int:
    """Decode the whole file and return how many ms of it play; ClipError if too little does.

    Cases:
    - decode errors in a few frames (a slightly damaged MP3): accepted, players skip them;
    - nothing, or under _MIN_DURATION_MS, decodes: refused as corrupt;
    - less than _MIN_PLAYABLE_SHARE of the length in the header decodes: refused, saying how
      much would play (the rest is damaged, and the operator would hear a cut-off clip).
    """
    # Decoding the whole file catches corruption past the header that ffprobe does not read;
    # -progress reports how far decoding got, decode errors or not.
    cmd = [FFMPEG, "-nostdin", "-v", "quiet", "-i", str(path), "-map", "0:a:0", "-f", "null",
           "-progress", "pipe:1", "-nostats", "-"]
    try:
        proc = children.run(cmd, timeout=_DECODE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise ClipError(f"Không đọc được tệp âm thanh (quá thời gian): {path.name}") from exc
    times = re.findall(rb"^out_time_us=(\d+)$", proc.stdout, re.M)
    played_ms = int(times[-1]) // 1000 if times and proc.returncode == 0 else 0
    if played_ms < _MIN_DURATION_MS:
        raise ClipError(f"Tệp âm thanh bị hỏng hoặc không phải âm thanh: {path.name}")
    if played_ms < probed_ms * _MIN_PLAYABLE_SHARE:
        raise ClipError(f"Tệp âm thanh bị hỏng: chỉ phát được {played_ms / 1000:.1f} trong "
                        f"{probed_ms / 1000:.1f} giây: {path.name}")
    return played_ms


def decode_pcm(path: Path, *, rate: int = RATE) -> np.ndarray:
    """Decode any audio file to mono 16-bit PCM at ``rate`` as an int16 array."""
    cmd = [FFMPEG, "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1",
           "-ar", str(rate), "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    try:
        proc = children.run(cmd, timeout=_DECODE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise ClipError(f"Không đọc được tệp âm thanh (quá thời gian): {path.name}") from exc
    if proc.returncode != 0 or not proc.stdout:
        raise ClipError(f"Tệp âm thanh bị hỏng hoặc không phải âm thanh: {path.name}")
    import numpy as np

    return np.frombuffer(proc.stdout, dtype=np.int16)


def import_clip(src: Path, store: AudioStore, *, max_bytes: int = 200 * 1024 * 1024,
                ) -> tuple[StoredAudio, ClipInfo]:
    """Probe an uploaded clip and, only if it is usable audio, put it in the store."""
    info = probe_clip(src, max_bytes=max_bytes)
    return store.put_file(src), info
