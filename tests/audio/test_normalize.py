"""The Vietnamese normaliser reads plan texts the way an announcer would."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from loa.audio.cli import tts
from loa.audio.normalize import normalize_vi
from loa.audio.number_reading import read_int
from tests.helpers.seeds import seed_sentences

CASES = [
    ("09/02/2022", "ngày chín tháng hai năm hai nghìn không trăm hai mươi hai"),
    ("Hải Phòng, ngày 09/02/2022",
     "Hải Phòng, ngày chín tháng hai năm hai nghìn không trăm hai mươi hai"),
    ("ngày 15/3", "ngày mười lăm tháng ba"),
    ("từ 15/3 đến 30/4", "từ ngày mười lăm tháng ba đến ngày ba mươi tháng tư"),
    ("tháng 6/2021", "tháng sáu năm hai nghìn không trăm hai mươi mốt"),
    ("ngày 09 tháng 02 năm 2022",
     "ngày chín tháng hai năm hai nghìn không trăm hai mươi hai"),
    ("17h30", "mười bảy giờ ba mươi"),
    ("6 giờ 30", "sáu giờ ba mươi"),
    ("05:30-06:30", "năm giờ ba mươi đến sáu giờ ba mươi"),
    ("10-15 phút", "mười đến mười lăm phút"),
    ("giai đoạn 2022 - 2025",
     "giai đoạn hai nghìn không trăm hai mươi hai đến hai nghìn không trăm hai mươi lăm"),
    ("3 lần/tháng", "ba lần mỗi tháng"),
    ("phát lại 03 lần/tháng", "phát lại ba lần mỗi tháng"),
    ("01 số/tuần", "một số mỗi tuần"),
    ("1.245", "một nghìn hai trăm bốn mươi lăm"),
    ("78,92%", "bảy mươi tám phẩy chín mươi hai phần trăm"),
    ("13.200 tỷ đồng", "mười ba nghìn hai trăm tỷ đồng"),
    ("100.000đ", "một trăm nghìn đồng"),
    ("01 chương trình", "một chương trình"),
    ("Chương II", "Chương hai"),
    ("mục III", "mục ba"),
    ("Phụ lục IV", "Phụ lục bốn"),
    ("I. MỤC ĐÍCH, YÊU CẦU", "một. mục đích, yêu cầu"),
    ("lần thứ 4", "lần thứ tư"),
    ("thứ 1", "thứ nhất"),
    ("Công nghiệp 4.0", "Công nghiệp bốn chấm không"),
    ("UBND, HĐND, MTTQ", "Ủy ban nhân dân, Hội đồng nhân dân, Mặt trận Tổ quốc"),
    ("TT&TT và VH-TT", "Thông tin và Truyền thông và Văn hóa Thông tin"),
    ("HTX, CĐS, THCS, CNTT",
     "hợp tác xã, chuyển đổi số, trung học cơ sở, công nghệ thông tin"),
    ("Liên hệ UBKT", "Liên hệ u bê ca tê"),
    ("Gọi 0912 345 678", "Gọi không chín một hai, ba bốn năm, sáu bảy tám"),
    ("Điện thoại: 0225.3842.123", "Điện thoại: không hai hai năm, ba tám bốn hai, một hai ba"),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_reads_plan_text_like_an_announcer(written: str, spoken: str) -> None:
    assert normalize_vi(written) == spoken


# Every document symbol reads "<type> số <number> [năm <year>] của <issuer>", whatever the
# words around it already said.
DOCUMENT_NUMBERS = [
    ("Kế hoạch số 29/KH-UBND", "Kế hoạch số hai mươi chín của Ủy ban nhân dân"),
    ("Số: 29/KH-UBND", "Kế hoạch số hai mươi chín của Ủy ban nhân dân"),
    ("theo 29/KH-UBND", "theo Kế hoạch số hai mươi chín của Ủy ban nhân dân"),
    ("Thực hiện Kế hoạch 29/KH-UBND",
     "Thực hiện Kế hoạch hai mươi chín của Ủy ban nhân dân"),
    ("Quyết định số 749/QĐ-TTg", "Quyết định số bảy trăm bốn mươi chín của Thủ tướng Chính phủ"),
    ("số 749/QĐ-TTg", "Quyết định số bảy trăm bốn mươi chín của Thủ tướng Chính phủ"),
    ("Nghị quyết số 06-NQ/TU", "Nghị quyết số sáu của Tỉnh ủy"),
    ("43-NQ/TW", "Nghị quyết số bốn mươi ba của Trung ương"),
    ("270/2019/NQ-HĐND",
     "Nghị quyết số hai trăm bảy mươi năm hai nghìn không trăm mười chín của Hội đồng nhân dân"),
    ("Tờ trình số 850/TTr-STTTT",
     "Tờ trình số tám trăm năm mươi của Sở Thông tin và Truyền thông"),
    ("Công văn số 123/UBND-VX", "Công văn số một trăm hai mươi ba của Ủy ban nhân dân vê ích"),
    ("Quyết định số 2870/QĐ-UBND của UBND tỉnh",
     "Quyết định số hai nghìn tám trăm bảy mươi của Ủy ban nhân dân tỉnh"),
    ("Kế hoạch số 29/KH-UBND và Quyết định số 749/QĐ-TTg",
     "Kế hoạch số hai mươi chín của Ủy ban nhân dân và Quyết định số bảy trăm bốn mươi chín "
     "của Thủ tướng Chính phủ"),
]


@pytest.mark.parametrize(("written", "spoken"), DOCUMENT_NUMBERS)
def test_document_numbers_read_the_same_way_in_any_sentence(written: str, spoken: str) -> None:
    assert normalize_vi(written) == spoken


@pytest.mark.parametrize(("number", "spoken"), [
    (0, "không"), (5, "năm"), (15, "mười lăm"), (21, "hai mươi mốt"), (24, "hai mươi tư"),
    (25, "hai mươi lăm"), (105, "một trăm linh năm"), (110, "một trăm mười"),
    (2005, "hai nghìn không trăm linh năm"), (1_000_005, "một triệu không trăm linh năm"),
    (1_500_000_000, "một tỷ năm trăm triệu"),
])
def test_vietnamese_number_words(number: int, spoken: str) -> None:
    assert read_int(number) == spoken


def test_operator_can_add_an_acronym() -> None:
    assert normalize_vi("Đài TTVH xã", {"TTVH": "Trung tâm Văn hóa"}) == "Đài Trung tâm Văn hóa xã"
    assert normalize_vi("Đài TTVH xã") == "Đài tê tê vê hát xã"


def test_cli_prints_the_spoken_form() -> None:
    result = CliRunner().invoke(tts, ["normalize", "phát lại 03 lần/tháng"])
    assert result.exit_code == 0
    assert result.output.strip() == "phát lại ba lần mỗi tháng"


def test_every_seed_sentence_normalises_to_plain_words() -> None:
    sentences = seed_sentences()
    assert len(sentences) > 500
    for sentence in sentences:
        spoken = normalize_vi(sentence)
        # Nothing a TTS engine would mangle is left: no digits, slashes or symbols.
        assert not re.search(r"[0-9/%&§#*+=<>@]", spoken), (sentence, spoken)
