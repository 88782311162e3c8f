"""Probing a live stream before it is relayed: does it answer, is it audio, which codec.

ffprobe reads Icecast/SHOUTcast, plain HTTP MP3/AAC/Ogg and HLS playlists alike; its
network timeout (``-rw_timeout``) and the process's own timeout bound a probe of a
stream that never answers, so adding a source never hangs the command or the page.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

PROBE_TIMEOUT_S = 15.0
# ffprobe's own network timeout, in microseconds: a silent server fails before ours does.
_RW_TIMEOUT_US = 8_000_000


@dataclass(frozen=True)
class StreamProbe:
    """What a probe found: ``codec`` when the stream answered with audio, else ``error``."""

    codec: str | None
    sample_rate: int | None = None
    channels: int | None = None
    bitrate: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.codec is not None


def probe_stream(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> StreamProbe:
    """Ask ffprobe what ``url`` carries.

    Cases: an audio stream gives its codec (mp3, aac, vorbis, opus …); no answer
    within ``timeout_s``, a refused connection, an HTTP error or a stream with no
    audio gives ``error`` (its last words from ffprobe).
    """
    # A live stream never ends: read only enough of it to name the codec.
    cmd = ["ffprobe", "-v", "error", "-rw_timeout", str(_RW_TIMEOUT_US),
           "-formatprobesize", "16384", "-probesize", "32768", "-analyzeduration", "1000000",
           "-show_entries", "stream=codec_type,codec_name,sample_rate,channels,bit_rate",
           "-of", "json", url]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return StreamProbe(None, error=f"no answer within {timeout_s:.0f} s")
    if done.returncode != 0:
        words = done.stderr.decode(errors="replace").strip().splitlines()
        last = words[-1] if words else f"ffprobe exited {done.returncode}"
        return StreamProbe(None, error=last[-300:])
    try:
        streams = json.loads(done.stdout or b"{}").get("streams", [])
    except ValueError:
        streams = []
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if audio is None:
        return StreamProbe(None, error="no audio in the stream")
    return StreamProbe(str(audio.get("codec_name")), _int(audio.get("sample_rate")),
                       _int(audio.get("channels")), _int(audio.get("bit_rate")))


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
