"""TTS engines: espeak-ng offline, gTTS through its real client with the network stubbed."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import gtts.tts
import pytest
import requests

from loa.audio.errors import TTSError
from loa.audio.synth import read_wav
from loa.audio.tts import ESPEAK_VOICES, get_engine


@pytest.mark.parametrize("voice", ESPEAK_VOICES)
def test_espeak_speaks_each_vietnamese_voice(tmp_path: Path, voice: str) -> None:
    out = tmp_path / "a.wav"
    get_engine("espeak-ng").synthesize("xin chào bà con", voice, out)
    pcm, rate = read_wav(out)
    assert rate == 22050 and len(pcm) > rate // 2 and abs(pcm).max() > 1000


def test_espeak_rate_changes_pace(tmp_path: Path) -> None:
    engine = get_engine("espeak-ng")
    text = "bà con chú ý, xã sẽ tổ chức tiêm phòng vào sáng mai"
    engine.synthesize(text, "vi", tmp_path / "slow.wav", rate=100)
    engine.synthesize(text, "vi", tmp_path / "fast.wav", rate=250)
    assert len(read_wav(tmp_path / "slow.wav")[0]) > 1.8 * len(read_wav(tmp_path / "fast.wav")[0])


def test_espeak_rejects_unknown_voice_and_silly_rate(tmp_path: Path) -> None:
    with pytest.raises(TTSError, match="Giọng đọc"):
        get_engine("espeak-ng").synthesize("chào", "en-us", tmp_path / "a.wav")
    with pytest.raises(TTSError, match="Tốc độ"):
        get_engine("espeak-ng").synthesize("chào", "vi", tmp_path / "a.wav", rate=5)


def test_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(TTSError, match="Không có bộ đọc"):
        get_engine("khong-co")


def test_gtts_offline_is_a_vietnamese_error_without_partial_file(tmp_path: Path,
                                                                  offline: list[object]) -> None:
    out = tmp_path / "g.wav"
    with pytest.raises(TTSError, match="mất mạng"):
        get_engine("gtts").synthesize("xin chào", "vi", out)
    assert offline and offline[0] is not None  # an explicit timeout, never wait forever
    assert list(tmp_path.iterdir()) == []


def test_gtts_online_reply_becomes_a_wav(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mp3 = tmp_path / "reply.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=300:d=1", "-b:a",
                    "32k", str(mp3)], check=True)
    payload = base64.b64encode(mp3.read_bytes()).decode()

    def send(self, request, **kwargs):
        reply = requests.Response()
        reply.status_code = 200
        reply.request = request
        reply._content_consumed = True
        reply._content = f')]}}\'\n[["wrb.fr","jQ1olc","[\\"{payload}\\"]"]]'.encode()
        return reply

    monkeypatch.setattr(gtts.tts.requests.Session, "send", send)
    out = tmp_path / "g.wav"
    get_engine("gtts").synthesize("xin chào", "vi", out)
    pcm, rate = read_wav(out)
    assert rate == 22050 and 0.9 * rate < len(pcm) < 1.2 * rate
