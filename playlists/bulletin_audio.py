"""A bulletin's one audio file: the unit's attention signal, then the speech or recording."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from loa.audio.store import AudioStore
from loa.playlists.assets import record_asset
from loa.playlists.models import AudioAsset
from loa.stations.models import AdminUnit
from loa.stations.units import ancestors

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class BulletinSound:
    """What a bulletin plays, as kept in the store."""

    asset: AudioAsset
    spoken: str | None  # the text as the voice read it (None for a recording)


def attention_signal(unit: AdminUnit, store: AudioStore) -> bytes:
    """The unit's attention signal, else its nearest ancestor's, else the shipped default."""
    for node in ancestors(unit):
        sha = node.attention_sha256
        if sha and store.exists(sha):
            return store.path(sha).read_bytes()
    return default_attention()


def default_attention() -> bytes:
    """The shipped chime."""
    from loa.audio.bulletin import default_attention_signal

    return default_attention_signal()


def _suffix(data: bytes) -> str:
    return ".wav" if data[:4] == b"RIFF" else ".mp3"


def render_text(
    session: Session, store: AudioStore, text: str, attention: bytes,
    acronyms: dict[str, str] | None,
) -> BulletinSound:
    """Speak ``text`` after the attention signal into one stored MP3 (the fast path)."""
    from loa.audio.bulletin import render_bulletin

    rendered = render_bulletin(text, attention=attention, acronyms=acronyms)
    return BulletinSound(_keep(session, store, rendered.mp3, rendered.duration_ms),
                         rendered.spoken)


def render_file(session: Session, store: AudioStore, path: Path, attention: bytes) -> BulletinSound:
    """An uploaded recording, checked as usable audio, after the attention signal.

    Cases: a corrupt, empty or non-audio file raises ClipError (nothing is stored);
    one over MAX_UPLOAD_BYTES is refused before it is decoded.
    """
    from loa.audio.clips import probe_clip

    probe_clip(Path(path), max_bytes=MAX_UPLOAD_BYTES)
    return _render_segments(session, store, attention, Path(path))


def _render_segments(
    session: Session, store: AudioStore, attention: bytes, path: Path
) -> BulletinSound:
    """Chime, then the recording, through the programme renderer (loudness-matched)."""
    from loa.audio.render import RenderOptions, SegmentSpec, render_programme

    with tempfile.TemporaryDirectory(prefix="loa-bulletin-") as work:
        chime = Path(work) / f"attention{_suffix(attention)}"
        chime.write_bytes(attention)
        options = RenderOptions(title="Thông báo", campaign="bulletin", unit="", month="")
        segments = [SegmentSpec("jingle", path=chime), SegmentSpec("clip", path=path)]
        result = render_programme(segments, options, store)
    asset = record_asset(session, result.sha256, result.bytes, result.duration_ms, "mp3",
                         result.loudness_lufs)
    return BulletinSound(asset, None)


def _keep(session: Session, store: AudioStore, mp3: bytes, duration_ms: int) -> AudioAsset:
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".bulletin-") as work:
        out = Path(work) / "bulletin.mp3"
        out.write_bytes(mp3)
        stored = store.put_file(out)
    return record_asset(session, stored.sha256, stored.bytes, duration_ms, "mp3")
