"""Numbers people must dial are read so they can dial them; every other number as before."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import pytest

from loa.audio.normalize import normalize_vi
from loa.audio.tts import EspeakEngine
from tests.helpers.seeds import seed_sentences

HOTLINE = "không hai hai năm, ba, tám bốn hai, một một hai"  # 0225 3 842 112, as written
MOBILE = "không chín một hai, ba bốn năm, sáu bảy tám"  # 0912 345 678

PHONES = [
    # The field report: a Hải Phòng landline, area code and the groups written.
    ("Đường dây nóng 0225 3 842 112", f"Đường dây nóng {HOTLINE}"),
    ("Liên hệ 0225 3 842 112 để được hỗ trợ", f"Liên hệ {HOTLINE} để được hỗ trợ"),
    ("Nếu cần, gọi 0225 3 842 112.", f"Nếu cần, gọi {HOTLINE}."),
    ("(0225) 3842 112", "không hai hai năm, ba tám bốn hai, một một hai"),
    ("Điện thoại 02253842112", "Điện thoại không hai hai năm, ba tám bốn hai, một một hai"),
    ("liên hệ +84 24 3825 1234", "liên hệ không hai bốn, ba tám hai năm, một hai ba bốn"),
    ("Điện thoại: 0243.825.1234", "Điện thoại: không hai bốn ba, tám hai năm, một hai ba bốn"),
    # Mobiles in any grouping; +84 read as the national number.
    ("0912 345 678", MOBILE),
    ("0912.345.678", MOBILE),
    ("Số điện thoại: 0912-345-678", f"Số điện thoại: {MOBILE}"),
    ("gọi ngay 0912345678", f"gọi ngay {MOBILE}"),
    ("+84 912 345 678", MOBILE),
    ("(+84) 912 345 678", MOBILE),
    ("+84912345678", MOBILE),
    ("SĐT trực ban: 0912 345 678.", f"số điện thoại trực ban: {MOBILE}."),
    ("0912 345 678 hoặc 0225 3842 112",
     f"{MOBILE} hoặc không hai hai năm, ba tám bốn hai, một một hai"),
    # Hotlines.
    ("gọi 1900 1234", "gọi một chín không không, một hai ba bốn"),
    ("hotline: 1900.1234", "hotline: một chín không không, một hai ba bốn"),
    ("tổng đài 1800 599 920", "tổng đài một tám không không, năm chín chín, chín hai không"),
    ("Hotline: 1800599920", "Hotline: một tám không không, năm chín chín, chín hai không"),
    ("Tổng đài 1022", "Tổng đài một không hai hai"),
    # Emergency numbers, where they stand as numbers to call.
    ("gọi 114", "gọi một một bốn"),
    ("Gọi ngay số 113", "Gọi ngay số một một ba"),
    ("đường dây nóng 112", "đường dây nóng một một hai"),
    ("Cảnh sát 113, Cứu hỏa 114, Cấp cứu 115",
     "Cảnh sát một một ba, Cứu hỏa một một bốn, Cấp cứu một một năm"),
    ("gọi 113 hoặc 114", "gọi một một ba hoặc một một bốn"),
    ("Tổng đài bảo vệ trẻ em 111", "Tổng đài bảo vệ trẻ em một một một"),
    ("Gọi tìm kiếm cứu nạn 112", "Gọi tìm kiếm cứu nạn một một hai"),
    # The templates' last sentences (playlists/bulletin_templates.py).
    ("Khi cần cứu hộ, xin gọi số 112.", "Khi cần cứu hộ, xin gọi số một một hai."),
    ("Phát hiện cháy, xin báo ngay số 114.", "Phát hiện cháy, xin báo ngay số một một bốn."),
    ("báo cháy 114", "báo cháy một một bốn"),
]

# Numbers beside phone numbers, or looking like them, that stay the numbers they are.
NOT_PHONES = [
    ("112 hộ dân", "một trăm mười hai hộ dân"),
    ("kêu gọi 112 hộ dân", "kêu gọi một trăm mười hai hộ dân"),
    ("gọi 112 hộ dân", "gọi một trăm mười hai hộ dân"),
    ("Gọi 113 khi có 112 hộ dân bị cô lập",
     "Gọi một một ba khi có một trăm mười hai hộ dân bị cô lập"),
    ("tổng số 113 hộ", "tổng số một trăm mười ba hộ"),
    ("Thông báo số 113 ngày 5/10/2026",
     "Thông báo số một trăm mười ba ngày năm tháng mười năm hai nghìn không trăm hai mươi sáu"),
    ("Dự báo 113 điểm mưa", "Dự báo một trăm mười ba điểm mưa"),
    ("thửa đất số 112, tờ bản đồ số 113",
     "thửa đất số một trăm mười hai, tờ bản đồ số một trăm mười ba"),
    ("Quyết định số 113 ngày 15/10/2026",
     "Quyết định số một trăm mười ba ngày mười lăm tháng mười năm hai nghìn không trăm hai mươi "
     "sáu"),
    ("Quyết định số 113/QĐ-UBND", "Quyết định số một trăm mười ba của Ủy ban nhân dân"),
    ("Nghị định 49/2024/NĐ-CP",
     "Nghị định bốn mươi chín năm hai nghìn không trăm hai mươi tư của Chính phủ"),
    ("ngày 15/10/2026", "ngày mười lăm tháng mười năm hai nghìn không trăm hai mươi sáu"),
    ("14h30", "mười bốn giờ ba mươi"),
    ("14:30", "mười bốn giờ ba mươi"),
    ("05:30-06:30", "năm giờ ba mươi đến sáu giờ ba mươi"),
    ("1.500.000 đồng", "một triệu năm trăm nghìn đồng"),
    ("điện thoại 1.500.000 đồng", "điện thoại một triệu năm trăm nghìn đồng"),
    ("Giá 1.900.000 đồng", "Giá một triệu chín trăm nghìn đồng"),
    ("2,5 ha", "hai phẩy năm héc-ta"),
    ("84,46% dân số", "tám mươi tư phẩy bốn mươi sáu phần trăm dân số"),
    ("năm 1900 1234 người", "năm một nghìn chín trăm một nghìn hai trăm ba mươi tư người"),
    ("từ năm 1800-1900", "từ năm một nghìn tám trăm đến một nghìn chín trăm"),
    ("trực 24/7", "trực hai mươi tư trên bảy"),
]

# Phone numbers in sentences with dates, times, amounts and decrees: each read its own way.
MIXED = [
    ("Từ 14h30 ngày 15/10/2026, khi có sự cố gọi 114 hoặc đường dây nóng 0225 3 842 112.",
     "Từ mười bốn giờ ba mươi ngày mười lăm tháng mười năm hai nghìn không trăm hai mươi sáu, "
     f"khi có sự cố gọi một một bốn hoặc đường dây nóng {HOTLINE}."),
    ("Hỗ trợ 1.500.000 đồng/hộ, liên hệ 0912.345.678.",
     f"Hỗ trợ một triệu năm trăm nghìn đồng mỗi hộ, liên hệ {MOBILE}."),
    ("Diện tích ngập 2,5 ha; SĐT: 0912 345 678.",
     f"Diện tích ngập hai phẩy năm héc-ta; số điện thoại: {MOBILE}."),
    ("Theo Nghị định 49/2024/NĐ-CP, mọi thắc mắc gọi 1900 1234.",
     "Theo Nghị định bốn mươi chín năm hai nghìn không trăm hai mươi tư của Chính phủ, mọi thắc "
     "mắc gọi một chín không không, một hai ba bốn."),
    ("gọi 115 lúc 05:30-06:30", "gọi một một năm lúc năm giờ ba mươi đến sáu giờ ba mươi"),
    ("Đài phát 3 lần/ngày, gọi 1800 599 920 miễn phí",
     "Đài phát ba lần mỗi ngày, gọi một tám không không, năm chín chín, chín hai không miễn phí"),
]


@pytest.mark.parametrize(("written", "spoken"), PHONES + NOT_PHONES + MIXED)
def test_numbers_are_read_as_a_listener_needs_them(written: str, spoken: str) -> None:
    assert normalize_vi(written) == spoken


def test_the_table_is_the_size_the_issue_asks() -> None:
    assert len(PHONES + NOT_PHONES + MIXED) >= 30


def test_a_seed_hotline_is_read_to_be_dialled() -> None:
    sentence = next(s for s in seed_sentences() if s.startswith("Tổng đài 1022"))
    assert normalize_vi(sentence).startswith("Tổng đài một không hai hai đã tập trung")


def test_a_hotline_line_leaves_every_seed_sentence_read_as_before() -> None:
    # Each plan sentence (dates, decrees, percentages, amounts) followed by a hotline line:
    # the sentence reads exactly as it does alone, and the hotline digit by digit.
    for sentence in seed_sentences():
        spoken = normalize_vi(f"{sentence}\nĐường dây nóng: 0225 3 842 112")
        alone = [normalize_vi(sentence), f"Đường dây nóng: {HOTLINE}"]
        assert spoken == "\n".join(line for line in alone if line), sentence


def _pauses(path: Path, *, at_least: float = 0.1) -> int:
    """Silent stretches of at least ``at_least`` seconds inside the speech (not at its ends)."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int32)
    window = rate // 100  # 10 ms
    loud = [int(np.abs(pcm[i:i + window]).max()) > 300 for i in range(0, len(pcm) - window, window)]
    first, last = loud.index(True), len(loud) - loud[::-1].index(True)
    runs = re.findall(r"0+", "".join("1" if x else "0" for x in loud[first:last]))
    return sum(len(run) * 0.01 >= at_least for run in runs)


def test_espeak_pauses_between_the_groups(tmp_path: Path) -> None:
    # The comma between groups is the pause: espeak-ng stops about 0.15 s there, and does not
    # between the digits of one group.
    grouped, run = tmp_path / "grouped.wav", tmp_path / "run.wav"
    EspeakEngine().synthesize(normalize_vi("0912 345 678"), "vi", grouped)
    EspeakEngine().synthesize(MOBILE.replace(",", ""), "vi", run)
    assert _pauses(grouped) == 2
    assert _pauses(run) == 0
