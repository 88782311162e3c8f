"""A bulletin's one audio file: the unit's attention signal, then the speech or recording."""

from __future__ import annotations

import io
import tempfile
import wave
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
    """The shipped chime (loa.audio.bulletin's once that branch is in, else a plain one)."""
    try:
        from loa.audio.bulletin import default_attention_signal
    except ImportError:
        return _plain_chime()
    return default_attention_signal()


def _plain_chime() -> bytes:
    """Three rising tones, 0.9 s, as a WAV (a stand-in until the designed chime is merged)."""
    import numpy as np

    rate = 22050
    parts = []
    for freq in (660.0, 880.0, 1100.0):
        t = np.arange(int(rate * 0.25)) / rate
        envelope = np.minimum(1.0, 20 * t) * np.exp(-6 * t)
        parts += [0.5 * envelope * np.sin(2 * np.pi * freq * t), np.zeros(int(rate * 0.05))]
    pcm = (np.concatenate(parts) * 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


def _suffix(data: bytes) -> str:
    return ".wav" if data[:4] == b"RIFF" else ".mp3"


def render_text(
    session: Session, store: AudioStore, text: str, attention: bytes,
    acronyms: dict[str, str] | None,
) -> BulletinSound:
    """Speak ``text`` after the attention signal into one stored MP3."""
    try:
        from loa.audio.bulletin import render_bulletin
    except ImportError:
        return _render_segments(session, store, attention, text=text, acronyms=acronyms)
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
    return _render_segments(session, store, attention, path=Path(path))


def _render_segments(
    session: Session, store: AudioStore, attention: bytes, *, text: str | None = None,
    path: Path | None = None, acronyms: dict[str, str] | None = None,
) -> BulletinSound:
    """Chime, then speech or the recording, through the programme renderer (loudness-matched)."""
    from loa.audio.normalize import normalize_vi
    from loa.audio.render import RenderOptions, SegmentSpec, render_programme

    with tempfile.TemporaryDirectory(prefix="loa-bulletin-") as work:
        chime = Path(work) / f"attention{_suffix(attention)}"
        chime.write_bytes(attention)
        body = (SegmentSpec("tts", text=text) if text is not None
                else SegmentSpec("clip", path=path))
        options = RenderOptions(title="Thông báo", campaign="bulletin", unit="", month="",
                                acronyms=acronyms)
        result = render_programme([SegmentSpec("jingle", path=chime), body], options, store)
    asset = record_asset(session, result.sha256, result.bytes, result.duration_ms, "mp3",
                         result.loudness_lufs)
    spoken = normalize_vi(text, acronyms) if text is not None else None
    return BulletinSound(asset, spoken)


def _keep(session: Session, store: AudioStore, mp3: bytes, duration_ms: int) -> AudioAsset:
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".bulletin-") as work:
        out = Path(work) / "bulletin.mp3"
        out.write_bytes(mp3)
        stored = store.put_file(out)
    return record_asset(session, stored.sha256, stored.bytes, duration_ms, "mp3")
