"""Audio errors whose text is shown to the operator, in Vietnamese."""

from __future__ import annotations


class AudioError(Exception):
    """Base of audio errors; str(err) is a clear Vietnamese message for the operator."""


class ClipError(AudioError):
    """An uploaded clip is corrupt, empty, not audio or too large."""


class TTSError(AudioError):
    """A TTS engine failed, is offline or timed out."""


class ClipTooLong(ClipError):
    """A file longer than its use allows, found from its header before it is decoded."""

    def __init__(self, duration_ms: int, name: str) -> None:
        super().__init__(f"Tệp âm thanh quá dài ({duration_ms // 1000} giây): {name}")
        self.duration_ms = duration_ms
