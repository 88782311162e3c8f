"""Audio errors whose text is shown to the operator, in Vietnamese."""

from __future__ import annotations


class AudioError(Exception):
    """Base of audio errors; str(err) is a clear Vietnamese message for the operator."""


class ClipError(AudioError):
    """An uploaded clip is corrupt, empty, not audio or too large."""


class TTSError(AudioError):
    """A TTS engine failed, is offline or timed out."""
