"""The normaliser reads weather and disaster bulletins the way a commune announcer would.

The written forms are those of the national hydro-meteorological centre's bulletins (tin
bão, tin áp thấp nhiệt đới, tin mưa lớn, tin nắng nóng, tin lũ) as communes re-read them.
"""

from __future__ import annotations

import re

import pytest

from loa.audio.normalize import normalize_vi

READINGS = [
    # Temperatures
    ("nhiệt độ 25°C", "nhiệt độ hai mươi lăm độ xê"),
    ("35–37°C", "ba mươi lăm đến ba mươi bảy độ xê"),
    ("có nơi dưới -2°C", "có nơi dưới âm hai độ xê"),
    # Wind force on the Beaufort scale
    ("cấp 8, giật cấp 10", "cấp tám, giật cấp mười"),
    ("gió mạnh cấp 6-7, giật cấp 9", "gió mạnh cấp sáu đến bảy, giật cấp chín"),
    ("mạnh cấp 10–11, giật cấp 13", "mạnh cấp mười đến mười một, giật cấp mười ba"),
    # Dates without a year, and with one
    ("18/7", "ngày mười tám tháng bảy"),
    ("Hồi 13 giờ ngày 18/7", "Hồi mười ba giờ ngày mười tám tháng bảy"),
    ("Từ chiều 18/7", "Từ chiều ngày mười tám tháng bảy"),
    ("đêm 18/7 và ngày 19/7", "đêm ngày mười tám tháng bảy và ngày mười chín tháng bảy"),
    ("ngày mai (19/7)", "ngày mai, ngày mười chín tháng bảy"),
    ("sáng 1/8", "sáng ngày một tháng tám"),
    ("18/7/2026", "ngày mười tám tháng bảy năm hai nghìn không trăm hai mươi sáu"),
    # Amounts and ranges (hyphen, en-dash, spaced or not)
    ("20-25 mm", "hai mươi đến hai mươi lăm mi-li-mét"),
    ("20–25mm", "hai mươi đến hai mươi lăm mi-li-mét"),
    ("100 – 200 mm", "một trăm đến hai trăm mi-li-mét"),
    ("trên 100 mm/3h", "trên một trăm mi-li-mét trong ba giờ"),
    ("150 mm/24h", "một trăm năm mươi mi-li-mét trong hai mươi tư giờ"),
    ("200 mm/24 giờ", "hai trăm mi-li-mét trong hai mươi tư giờ"),
    ("độ ẩm 50-55%", "độ ẩm năm mươi đến năm mươi lăm phần trăm"),
    ("sóng cao 2-4m", "sóng cao hai đến bốn mét"),
    ("mực nước 9,5 m", "mực nước chín phẩy năm mét"),
    ("sóng cao 4,0-6,0m", "sóng cao bốn đến sáu mét"),  # zeros after the comma unsaid
    ("cường độ mưa 50 mm/h", "cường độ mưa năm mươi mi-li-mét một giờ"),
    ("bán kính 150 km", "bán kính một trăm năm mươi ki-lô-mét"),
    ("ngập 3 ha lúa", "ngập ba héc-ta lúa"),
    ("khí áp 980 hPa", "khí áp chín trăm tám mươi héc-tô-pát-xcan"),
    ("dung tích 450 triệu m3", "dung tích bốn trăm năm mươi triệu mét khối"),
    # Speeds and flows
    ("40 km/h", "bốn mươi ki-lô-mét một giờ"),
    ("(62-74 km/h)", "sáu mươi hai đến bảy mươi tư ki-lô-mét một giờ"),
    ("10-15 km/giờ", "mười đến mười lăm ki-lô-mét một giờ"),
    ("gió giật 25m/s", "gió giật hai mươi lăm mét một giây"),
    ("lưu lượng 1.250 m3/s", "lưu lượng một nghìn hai trăm năm mươi mét khối trên giây"),
    ("xả 800m³/s", "xả tám trăm mét khối trên giây"),
    # Times of day
    ("7h30", "bảy giờ ba mươi"),
    ("Hồi 07h30", "Hồi bảy giờ ba mươi"),
    ("từ 13-15h", "từ mười ba đến mười lăm giờ"),
    ("từ 13h-15h", "từ mười ba giờ đến mười lăm giờ"),
    ("trong 24h tới", "trong hai mươi tư giờ tới"),
    # Coordinates
    ("18,5 độ Vĩ Bắc", "mười tám phẩy năm độ vĩ Bắc"),
    ("112,3 độ Kinh Đông", "một trăm mười hai phẩy ba độ kinh Đông"),
    ("17,2°N; 108,5°E", "mười bảy phẩy hai độ vĩ Bắc; một trăm linh tám phẩy năm độ kinh Đông"),
    ("18.5 độ Vĩ Bắc", "mười tám phẩy năm độ vĩ Bắc"),
    ("17,5 độ Vĩ Bắc; 112,0 độ Kinh Đông",
     "mười bảy phẩy năm độ vĩ Bắc; một trăm mười hai độ kinh Đông"),
    # Flood alarm levels and the agencies' acronyms
    ("trên BĐ3 0,5 m", "trên báo động ba không phẩy năm mét"),
    ("dưới BĐ1", "dưới báo động một"),
    ("mức báo động III", "mức báo động ba"),
    ("ATNĐ", "áp thấp nhiệt đới"),
    ("Ban chỉ huy PCTT&TKCN", "Ban chỉ huy phòng chống thiên tai và tìm kiếm cứu nạn"),
]


@pytest.mark.parametrize(("written", "spoken"), READINGS)
def test_weather_and_disaster_readings(written: str, spoken: str) -> None:
    assert normalize_vi(written) == spoken


NOT_DATES = [
    ("khoảng 1/2 số hộ", "khoảng một trên hai số hộ"),  # a count out of a total
    ("3/5 xã", "ba trên năm xã"),
    ("trực ban 24/7", "trực ban hai mươi tư trên bảy"),  # day and night, not 24 July
    ("đạt 18/20 tiêu chí", "đạt mười tám trên hai mươi tiêu chí"),  # no 20th month
    ("nhà số 18/7 Lê Lợi", "nhà số mười tám trên bảy Lê Lợi"),  # an address
    ("3 lần/tháng", "ba lần mỗi tháng"),
]


@pytest.mark.parametrize(("written", "spoken"), NOT_DATES)
def test_fractions_and_rates_are_not_read_as_dates(written: str, spoken: str) -> None:
    assert normalize_vi(written) == spoken


STORM_BULLETIN = """TIN BÃO KHẨN CẤP (Cơn bão số 3)

Hồi 13 giờ ngày 18/7, vị trí tâm bão ở vào khoảng 18,5 độ Vĩ Bắc; 112,3 độ Kinh Đông, \
trên khu vực phía Tây Bắc của khu vực Bắc Biển Đông. Sức gió mạnh nhất vùng gần tâm bão \
mạnh cấp 8 (62-74 km/h), giật cấp 10.
Dự báo trong 24 giờ tới, bão di chuyển chủ yếu theo hướng Tây Tây Bắc, mỗi giờ đi được \
15-20 km.
Từ đêm 18/7 đến hết ngày 20/7, khu vực vùng núi và trung du Bắc Bộ có mưa to đến rất to \
với tổng lượng mưa phổ biến 100-200 mm, có nơi trên 300 mm; cảnh báo nguy cơ mưa lớn \
cường độ trên 100 mm/3h.
Vùng biển phía Bắc của khu vực Bắc Biển Đông có gió mạnh cấp 6-7, giật cấp 9; sóng biển \
cao 2-4 m; biển động. Cấp độ rủi ro thiên tai do bão: cấp 3.
Lưu lượng đến hồ 1.250 m3/s; mực nước sông Hồng tại Hà Nội lúc 7h ngày 18/7/2026 là \
9,5 m, dưới BĐ1 0,3 m. Nhiệt độ cao nhất 35–37°C, độ ẩm 50-55%."""


def test_a_whole_storm_bulletin_reads_as_plain_words() -> None:
    spoken = normalize_vi(STORM_BULLETIN)
    assert not re.search(r"[0-9/%°&§#*+=<>@]", spoken), spoken
    for heard in (
        "tin bão khẩn cấp",  # a heading in capitals is read, not spelled
        "Hồi mười ba giờ ngày mười tám tháng bảy",
        "mười tám phẩy năm độ vĩ Bắc; một trăm mười hai phẩy ba độ kinh Đông",
        "mạnh cấp tám, sáu mươi hai đến bảy mươi tư ki-lô-mét một giờ, giật cấp mười",
        "mỗi giờ đi được mười lăm đến hai mươi ki-lô-mét",
        "Từ đêm ngày mười tám tháng bảy đến hết ngày hai mươi tháng bảy",
        "một trăm đến hai trăm mi-li-mét, có nơi trên ba trăm mi-li-mét",
        "trên một trăm mi-li-mét trong ba giờ",
        "sóng biển cao hai đến bốn mét",
        "một nghìn hai trăm năm mươi mét khối trên giây",
        "lúc bảy giờ ngày mười tám tháng bảy năm hai nghìn không trăm hai mươi sáu",
        "dưới báo động một",
        "ba mươi lăm đến ba mươi bảy độ xê",
        "năm mươi đến năm mươi lăm phần trăm",
    ):
        assert heard in spoken
