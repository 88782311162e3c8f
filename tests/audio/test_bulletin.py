"""Bulletin render: the attention signal, then the spoken text, as one player MP3."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from mutagen.mp3 import MP3
from scipy.signal import resample_poly

from loa.audio.bulletin import GAP_S, default_attention_signal, render_bulletin
from loa.audio.clips import decode_pcm
from loa.audio.errors import AudioError

RATE = 22050
STORM = ("Hồi 13 giờ ngày 18/7, vị trí tâm bão ở vào khoảng 18,5 độ Vĩ Bắc; 112,3 độ Kinh "
         "Đông. Sức gió mạnh nhất vùng gần tâm bão mạnh cấp 8, giật cấp 10. Từ chiều 18/7, "
         "các tỉnh ven biển có mưa to, lượng mưa phổ biến 100-150 mm.")


def _decode(tmp_path: Path, mp3: bytes, name: str) -> np.ndarray:
    path = tmp_path / name
    path.write_bytes(mp3)
    return decode_pcm(path, rate=RATE).astype(np.float64) / 32768


def _level(x: np.ndarray) -> float:
    return 20 * float(np.log10(np.sqrt(np.mean(np.square(x))) + 1e-12))


@pytest.fixture(scope="module")
def storm() -> tuple[object, object]:
    chime = default_attention_signal()
    return render_bulletin(STORM, attention=chime), render_bulletin(STORM, attention=None)


def test_bulletin_is_a_player_mp3_at_the_loudness_target(tmp_path: Path, storm) -> None:
    with_signal, _ = storm
    path = tmp_path / "b.mp3"
    path.write_bytes(with_signal.mp3)
    info = MP3(path).info
    assert (info.channels, info.sample_rate, info.bitrate) == (1, RATE, 64000)
    assert abs(info.length * 1000 - with_signal.duration_ms) < 150
    x = decode_pcm(path, rate=RATE).astype(np.float64) / 32768
    assert abs(pyloudnorm.Meter(RATE).integrated_loudness(x) - (-16.0)) <= 1.0
    assert 20 * np.log10(np.abs(resample_poly(x, 4, 1)).max()) <= -1.5


def test_the_attention_signal_comes_first_then_a_pause_then_speech(tmp_path: Path,
                                                                  storm) -> None:
    with_signal, plain = storm
    chime_ms = _mp3_ms(tmp_path, default_attention_signal())
    added = with_signal.duration_ms - plain.duration_ms
    assert abs(added - (chime_ms + GAP_S * 1000)) < 120
    x = _decode(tmp_path, with_signal.mp3, "b.mp3")
    assert _level(x[:RATE]) > -30  # the chime is heard from the first second
    pause = x[round((chime_ms / 1000 + 0.15) * RATE):round((chime_ms / 1000 + GAP_S - 0.1)
                                                            * RATE)]
    assert _level(pause) < -50
    assert _level(x[-10 * RATE:]) > -30  # speech to the end


def _mp3_ms(tmp_path: Path, mp3: bytes) -> float:
    path = tmp_path / "len.mp3"
    path.write_bytes(mp3)
    return MP3(path).info.length * 1000


def test_the_text_is_spoken_in_words(storm) -> None:
    with_signal, _ = storm
    assert "mười tám phẩy năm độ vĩ Bắc" in with_signal.spoken
    assert "cấp tám, giật cấp mười" in with_signal.spoken
    assert "một trăm đến một trăm năm mươi mi-li-mét" in with_signal.spoken
    assert not any(ch.isdigit() for ch in with_signal.spoken)


def test_default_signal_is_a_short_chime_with_stable_bytes(tmp_path: Path) -> None:
    first = default_attention_signal()
    assert hashlib.sha256(first).digest() == hashlib.sha256(default_attention_signal()).digest()
    x = _decode(tmp_path, first, "chime.mp3")
    assert 2.0 <= len(x) / RATE <= 3.0
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    strongest = freqs[np.argmax(spectrum)]
    assert 400 <= strongest <= 1200  # where horn loudspeakers carry best


def test_a_unit_signal_is_used_instead_of_the_default(tmp_path: Path) -> None:
    t = np.arange(RATE) / RATE
    beep = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    wav = tmp_path / "beep.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((beep * 32767).astype("<i2").tobytes())
    rendered = render_bulletin("Thông báo mất điện.", attention=wav.read_bytes())
    x = _decode(tmp_path, rendered.mp3, "b.mp3")
    head = x[RATE // 4:3 * RATE // 4]
    freqs = np.fft.rfftfreq(len(head), 1 / RATE)
    assert abs(freqs[np.argmax(np.abs(np.fft.rfft(head)))] - 1000) < 10


def test_empty_text_and_a_broken_signal_are_refused() -> None:
    with pytest.raises(AudioError, match="chưa có nội dung"):
        render_bulletin(" \n ", attention=None)
    with pytest.raises(AudioError, match="không phải âm thanh"):
        render_bulletin("Thông báo.", attention=b"not audio at all")
