"""Real audio fixtures made with numpy: a jingle, a bed, a corrupt file."""

from __future__ import annotations

import wave
from pathlib import Path

import gtts.tts
import numpy as np
import pytest
import requests

from loa.audio.store import AudioStore

RATE = 44100


def write_wav(path: Path, x: np.ndarray, rate: int = RATE) -> Path:
    """Write float samples (±1) as a 16-bit mono WAV."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.clip(np.rint(x * 32767), -32768, 32767).astype("<i2").tobytes())
    return path


def tone(freq: float, seconds: float, level: float) -> np.ndarray:
    """A sine tone."""
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def store(tmp_path: Path) -> AudioStore:
    return AudioStore(tmp_path / "store")


@pytest.fixture
def jingle(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "jingle.wav", tone(880, 1.5, 0.9))


@pytest.fixture
def bed(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    return write_wav(tmp_path / "bed.wav", tone(220, 2.0, 0.3) + 0.05 * rng.standard_normal(
        2 * RATE).astype(np.float32))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """gTTS's HTTP session cannot connect; records the timeout it was given."""
    seen: list[object] = []

    def send(self, request, **kwargs):
        seen.append(kwargs.get("timeout"))
        raise requests.exceptions.ConnectionError("no route to host")

    monkeypatch.setattr(gtts.tts.requests.Session, "send", send)
    return seen
