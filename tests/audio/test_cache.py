"""The render cache stays bounded: what renders still use is kept, the rest is pruned."""

from __future__ import annotations

import os
import time
from pathlib import Path

from loa.audio.cache import prune_cache
from loa.audio.items import speech

DAY = 86400


def age(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


def test_prunes_old_files_keeps_recent_and_removes_empty_folders(tmp_path: Path) -> None:
    old, recent = tmp_path / "ab" / "old.wav", tmp_path / "cd" / "recent.wav"
    for path, days in ((old, 100), (recent, 10)):
        path.parent.mkdir()
        path.write_bytes(b"x" * 1000)
        age(path, days)
    pruned = prune_cache(tmp_path, older_than_days=90)
    assert (pruned.files, pruned.bytes) == (1, 1000)
    assert not old.parent.exists() and recent.exists()


def test_missing_cache_prunes_nothing(tmp_path: Path) -> None:
    assert prune_cache(tmp_path / "none", 90).files == 0


def test_speech_a_render_reuses_is_kept(tmp_path: Path) -> None:
    def say() -> None:
        speech("Xin chào bà con.", engine="espeak-ng", voice="vi", rate=None, fallback=None,
               cache=tmp_path)

    say()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            age(path, 100)
    say()  # a warm render reads the prepared speech: that counts as use
    pruned = prune_cache(tmp_path, older_than_days=90)
    kept = [p for p in tmp_path.rglob("*.npy")]
    assert kept, "the prepared speech a render just used was pruned"
    assert pruned.files >= 1  # the WAV it was prepared from was not needed, so it went
