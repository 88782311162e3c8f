"""Bulletin render: the attention signal, then the spoken text, as one player MP3."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp3 import MP3

from loa.audio.bulletin import (
    DEFAULT_SIGNAL,
    GAP_S,
    default_attention_signal,
    render_bulletin,
    render_recording,
)
from loa.audio.clips import decode_pcm
from loa.audio.errors import AudioError, ClipError
from loa.audio.loudness import Analysis, joined, plan_master
from loa.audio.tts import register_engine
from tests.helpers.reference import reference_meter, true_peak_dbfs

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
    assert abs(reference_meter(RATE).integrated_loudness(x) - (-16.0)) <= 1.0
    assert true_peak_dbfs(x) <= -1.5


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


def test_the_shipped_chime_from_its_samples_sounds_as_its_mp3_does(tmp_path: Path,
                                                                   storm) -> None:
    """Sending with the default signal uses the chime's samples (no MP3 made and decoded
    again before a warning plays): same length, same target, the chime first."""
    with_mp3, _ = storm
    rendered = render_bulletin(STORM, attention=DEFAULT_SIGNAL)
    assert abs(rendered.duration_ms - with_mp3.duration_ms) <= 100  # the MP3 adds a hop
    x = _decode(tmp_path, rendered.mp3, "b.mp3")
    reference = _decode(tmp_path, with_mp3.mp3, "ref.mp3")
    meter = reference_meter(RATE)
    assert abs(meter.integrated_loudness(x) - (-16.0)) <= 0.5
    assert abs(meter.integrated_loudness(x) - meter.integrated_loudness(reference)) <= 0.2
    assert true_peak_dbfs(x) <= -1.5
    chime_s = _mp3_ms(tmp_path, default_attention_signal()) / 1000
    head, ref_head = x[:int(chime_s * RATE)], reference[:int(chime_s * RATE)]
    assert np.corrcoef(head, ref_head)[0, 1] > 0.95


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


class _Narrowband:
    """An engine speaking at 16 kHz (as many neural voices do): a 300 Hz buzz per word."""

    name = "narrowband"

    def synthesize(self, text, voice, out_wav, *, rate=None):
        t = np.arange(16000 * len(text.split()) // 3) / 16000
        x = 0.3 * np.sign(np.sin(2 * np.pi * 300 * t))
        with wave.open(str(out_wav), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16000)
            out.writeframes((x * 32767).astype("<i2").tobytes())


def test_another_engine_is_resampled_to_the_player_rate(tmp_path: Path) -> None:
    register_engine("narrowband", _Narrowband)
    rendered = render_bulletin("một hai ba bốn năm sáu", attention=None, engine="narrowband")
    x = _decode(tmp_path, rendered.mp3, "b.mp3")
    assert abs(len(x) / RATE - 2.0) < 0.1  # six words, a third of a second each
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    assert abs(freqs[np.argmax(np.abs(np.fft.rfft(x)))] - 300) < 5


def test_an_offline_engine_falls_back_to_espeak(tmp_path: Path, offline: list[object]) -> None:
    rendered = render_bulletin("Cảnh báo lũ quét.", attention=None, engine="gtts")
    assert offline  # gTTS was tried
    assert rendered.duration_ms > 500
    assert _level(_decode(tmp_path, rendered.mp3, "b.mp3")) > -30


def test_joined_analyses_plan_the_master_as_the_whole_signal_does() -> None:
    rng = np.random.default_rng(3)
    hop = RATE // 10
    lead = np.concatenate([0.3 * np.sin(2 * np.pi * 700 * np.arange(25 * hop) / RATE),
                           np.zeros(6 * hop)]).astype(np.float32)
    voice = (0.2 * rng.standard_normal(40 * RATE) * (np.arange(40 * RATE) % RATE < RATE // 2)
             ).astype(np.float32)
    gain = 1.7
    whole = np.concatenate([lead, voice * np.float32(gain)])
    direct = plan_master(whole, RATE, -16.0, -2.5)
    parts = [Analysis(RATE), Analysis(RATE)]
    parts[0].feed(lead)
    parts[1].feed(voice)
    fast = plan_master(whole, RATE, -16.0, -2.5, joined([(parts[0], 1.0), (parts[1], gain)]))
    assert abs(20 * np.log10(fast.gain / direct.gain)) < 0.01
    assert abs(fast.loudness - direct.loudness) < 0.01
    assert np.allclose(fast.frame_gain, direct.frame_gain, atol=1e-3)


def test_a_recording_follows_the_signal_at_the_same_loudness(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    quiet = (0.02 * rng.standard_normal(8 * 44100)).astype(np.float32)  # a faint phone memo
    memo = tmp_path / "memo.wav"
    with wave.open(str(memo), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes((quiet * 32767).astype("<i2").tobytes())
    rendered = render_recording(memo, attention=default_attention_signal())
    assert rendered.spoken == ""
    x = _decode(tmp_path, rendered.mp3, "b.mp3")
    chime_s = _mp3_ms(tmp_path, default_attention_signal()) / 1000
    assert abs(len(x) / RATE - (chime_s + GAP_S + 8.0)) < 0.2
    meter = reference_meter(RATE)
    signal = meter.integrated_loudness(x[:int(chime_s * RATE)])
    memo_part = meter.integrated_loudness(x[-7 * RATE:])
    assert abs(signal - memo_part) < 1.5  # the faint memo is raised to the chime's level


def test_a_broken_recording_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"ID3 not really an mp3")
    with pytest.raises(ClipError):
        render_recording(bad, attention=None)
