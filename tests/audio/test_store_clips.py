"""The content-addressed store and upload checks."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from loa.audio.clips import import_clip, probe_clip
from loa.audio.errors import ClipError
from loa.audio.store import AudioStore

from .conftest import tone, write_wav


def test_put_file_is_content_addressed_and_verifiable(store: AudioStore, jingle: Path) -> None:
    stored = store.put_file(jingle)
    expected = hashlib.sha256(jingle.read_bytes()).hexdigest()
    assert stored.sha256 == expected
    assert stored.path == store.root / expected[:2] / f"{expected}.wav"
    assert stored.bytes == jingle.stat().st_size
    assert store.exists(expected) and store.verify(expected)
    assert store.put_file(jingle).path == stored.path  # same content, same single file
    assert not list(store.root.rglob(".put-*"))  # no temp files left behind


def test_verify_notices_a_tampered_file(store: AudioStore, jingle: Path) -> None:
    stored = store.put_file(jingle)
    stored.path.write_bytes(b"not the same")
    assert not store.verify(stored.sha256)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "A" * 64, "g" * 64, "0" * 63, ""])
def test_path_accepts_only_a_lowercase_hash(store: AudioStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.path(bad)


def test_probe_reads_duration_and_format(jingle: Path) -> None:
    info = probe_clip(jingle)
    assert info.format == "wav"
    assert abs(info.duration_ms - 1500) <= 5


def _corrupt_mp3(folder: Path) -> Path:
    path = folder / "hong.mp3"
    path.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40)
    return path


@pytest.mark.parametrize("make", [
    lambda d: ((d / "rong.mp3").write_bytes(b"") and d / "rong.mp3") or d / "rong.mp3",
    lambda d: (d / "vanban.wav").write_text("Đây là văn bản, không phải âm thanh") and
    d / "vanban.wav",
    _corrupt_mp3,
])
def test_unusable_uploads_are_refused_and_not_stored(tmp_path: Path, store: AudioStore,
                                                     make) -> None:
    path = make(tmp_path)
    with pytest.raises(ClipError) as err:
        import_clip(path, store)
    assert path.name in str(err.value)
    assert "Tệp âm thanh" in str(err.value)
    assert not store.root.exists() or not [p for p in store.root.rglob("*") if p.is_file()]


def test_oversized_upload_is_refused_with_sizes_in_message(jingle: Path,
                                                           store: AudioStore) -> None:
    with pytest.raises(ClipError, match="quá lớn"):
        import_clip(jingle, store, max_bytes=1024)
    assert not store.root.exists()


def test_good_upload_is_stored(jingle: Path, store: AudioStore) -> None:
    stored, info = import_clip(jingle, store)
    assert store.verify(stored.sha256) and info.duration_ms > 1000


def _mp3(folder: Path, seconds: float) -> Path:
    wav = write_wav(folder / "tin.wav", tone(440, seconds, 0.3))
    mp3 = folder / "tin.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a",
                    "libmp3lame", "-b:a", "64k", str(mp3)], check=True)
    return mp3


def test_slightly_damaged_mp3_that_still_plays_is_accepted(tmp_path: Path,
                                                           store: AudioStore) -> None:
    path = _mp3(tmp_path, 10.0)
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 1500, 7):  # a few broken frames
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    stored, info = import_clip(path, store)
    assert store.verify(stored.sha256)
    assert 9000 <= info.duration_ms <= 10100


def test_mp3_that_mostly_does_not_decode_is_refused_saying_how_much_plays(
        tmp_path: Path, store: AudioStore) -> None:
    path = _mp3(tmp_path, 10.0)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 10] + bytes(len(data) - len(data) // 10))
    with pytest.raises(ClipError, match=r"chỉ phát được 1\.\d trong 10\.\d giây: tin\.mp3"):
        import_clip(path, store)
    assert not store.root.exists() or not [p for p in store.root.rglob("*") if p.is_file()]
