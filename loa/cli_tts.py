"""`loa tts`: the audio room's TTS commands, with the render cache's pruning beside them
(loaded when one runs)."""

from __future__ import annotations

from loa.audio.cli import tts
from loa.cli_programme import prune_cache_command

tts.add_command(prune_cache_command)

__all__ = ["tts"]
