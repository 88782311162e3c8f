"""AudioAsset rows for files the audio store holds."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from audio.clips import import_clip
from audio.store import AudioStore
from playlists.models import AudioAsset


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


def store_clip(session: Session, store: AudioStore, path: Path) -> AudioAsset:
    """Check a clip or jingle, then keep it; a bad file raises ClipError and stores nothing."""
    stored, info = import_clip(path, store)
    return record_asset(session, stored.sha256, stored.bytes, info.duration_ms, info.format)
