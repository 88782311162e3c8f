"""A bulletin's one audio file: the unit's attention signal, then the speech or recording."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from loa.audio.errors import AudioError
from loa.audio.store import AudioStore
from loa.errors import LoaError
from loa.playlists.assets import record_asset
from loa.playlists.models import AudioAsset
from loa.stations.models import AdminUnit
from loa.stations.units import ancestors

if TYPE_CHECKING:
    from loa.audio.bulletin import Attention

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_ATTENTION_MS = 15_000


@dataclass(frozen=True)
class BulletinSound:
    """What a bulletin plays, as kept in the store."""

    asset: AudioAsset
    spoken: str | None  # the text as the voice read it (None for a recording)


def attention_signal(unit: AdminUnit, store: AudioStore) -> Attention:
    """The unit's attention signal (bytes), else its nearest ancestor's, else the shipped
    default (audio.bulletin.DEFAULT_SIGNAL: rendered from its samples, not its MP3)."""
    from loa.audio.bulletin import DEFAULT_SIGNAL

    for node in ancestors(unit):
        sha = node.attention_sha256
        if sha and store.exists(sha):
            return store.path(sha).read_bytes()
    return DEFAULT_SIGNAL


def render_text(
    session: Session, store: AudioStore, text: str, attention: Attention,
    acronyms: dict[str, str] | None,
) -> BulletinSound:
    """Speak ``text`` after the attention signal into one stored MP3 (the fast path)."""
    from loa.audio.bulletin import render_bulletin

    try:
        rendered = render_bulletin(text, attention=attention, acronyms=acronyms)
    except AudioError as err:
        raise LoaError(f"{err} (the text could not be spoken)") from err
    return BulletinSound(_keep(session, store, rendered.mp3, rendered.duration_ms),
                         rendered.spoken)


def render_file(session: Session, store: AudioStore, path: Path,
                attention: Attention) -> BulletinSound:
    """An uploaded recording, checked as usable audio, after the attention signal.

    Cases: a corrupt, empty or non-audio file is a LoaError (nothing is stored);
    one over MAX_UPLOAD_BYTES is refused before it is decoded.
    """
    from loa.audio.bulletin import render_recording
    from loa.audio.clips import probe_clip

    try:
        probe_clip(Path(path), max_bytes=MAX_UPLOAD_BYTES)
        rendered = render_recording(Path(path), attention=attention)
    except AudioError as err:
        raise LoaError(f"{err} (the file is not usable audio)") from err
    return BulletinSound(_keep(session, store, rendered.mp3, rendered.duration_ms), None)


def _keep(session: Session, store: AudioStore, mp3: bytes, duration_ms: int) -> AudioAsset:
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".bulletin-") as work:
        out = Path(work) / "bulletin.mp3"
        out.write_bytes(mp3)
        stored = store.put_file(out)
    return record_asset(session, stored.sha256, stored.bytes, duration_ms, "mp3")


def set_attention(session: Session, store: AudioStore, unit: AdminUnit,
                  path: Path | None) -> AudioAsset | None:
    """Give ``unit`` its own attention signal (checked audio), or None: inherit again."""
    if path is None:
        unit.attention_sha256 = None
        return None
    from loa.audio.clips import probe_clip

    try:
        info = probe_clip(Path(path), max_bytes=MAX_UPLOAD_BYTES)
    except AudioError as err:
        raise LoaError(f"{err} (the file is not usable audio)") from err
    if info.duration_ms > MAX_ATTENTION_MS:
        raise LoaError(f"Tín hiệu chú ý dài tối đa {MAX_ATTENTION_MS // 1000} giây "
                       f"(attention signal at most {MAX_ATTENTION_MS // 1000} s)")
    stored = store.put_file(Path(path))
    unit.attention_sha256 = stored.sha256
    return record_asset(session, stored.sha256, stored.bytes, info.duration_ms, info.format)
