"""AudioAsset rows for files the audio store holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from sqlalchemy.orm import Session

from loa.audio.clips import probe_clip
from loa.audio.errors import ClipError, ClipTooLong
from loa.audio.store import AudioStore
from loa.playlists.models import AudioAsset


def record_asset(
    session: Session,
    sha256: str,
    size: int,
    duration_ms: int,
    fmt: str,
    loudness_lufs: float | None = None,
) -> AudioAsset:
    """The asset row for a stored file, created once (the store is content-addressed)."""
    asset = session.get(AudioAsset, sha256)
    if asset is None:
        asset = AudioAsset(
            sha256=sha256,
            bytes=size,
            duration_ms=duration_ms,
            format=fmt,
            loudness_lufs=loudness_lufs,
        )
        session.add(asset)
        session.flush()
    return asset


def clip_too_long(duration_ms: int, max_ms: int, name: str) -> NoReturn:
    raise ClipError(
        f"Đoạn ghi âm dài {minutes_text(duration_ms)}, quá thời lượng tối đa của chương trình "
        f"({minutes_text(max_ms)}) (clip longer than the programme may be): {name}"
    )


def store_clip(
    session: Session, store: AudioStore, path: Path, max_ms: int | None = None,
    too_long: Callable[[int, int, str], NoReturn] = clip_too_long,
) -> AudioAsset:
    """Check a clip, jingle or bed, then keep it; a bad file raises ClipError, stores nothing.

    Cases: corrupt or empty audio is refused by the probe; with ``max_ms``, a longer
    file (a clip longer than a whole programme's maximum, a bed past its cap) is refused
    by ``too_long`` from its header, before it is decoded or stored.
    """
    try:
        info = probe_clip(path, max_ms=max_ms)
    except ClipTooLong as long:
        too_long(long.duration_ms, max_ms or 0, path.name)
    stored = store.put_file(path)
    return record_asset(session, stored.sha256, stored.bytes, info.duration_ms, info.format)


def minutes_text(ms: int) -> str:
    """A length as Vietnamese minutes and seconds, as the pages print it."""
    seconds = round(ms / 1000)
    return f"{seconds // 60} phút {seconds % 60} giây"


def audio_json(sha256: str, size: int, fmt: str, duration_ms: int | None = None) -> dict:
    """How the player API names an audio file: a URL relative to the server, so the agent
    joins it to whatever address it reached us by (proxies), its hash, size and format."""
    described: dict = {"url": f"/api/v1/audio/{sha256}", "sha256": sha256, "bytes": size,
                       "format": fmt}
    if duration_ms is not None:
        described["duration_ms"] = duration_ms
    return described
