"""Readings for weather and disaster texts: units after numbers, coordinates, alarm levels.

These passes run inside ``normalize_vi`` before ranges, dates and numbers are read: they
turn the symbols around a number into words and leave the digits for the number rules, so
"20-25 mm" becomes "20-25 mi-li-mét" and then "hai mươi đến hai mươi lăm mi-li-mét".
The phrasing they are written for is that of the national hydro-meteorological centre's
bulletins (Trung tâm Dự báo Khí tượng Thủy văn quốc gia) as communes re-read them.
"""

from __future__ import annotations

import re

from loa.audio.lexicon import UNITS

# Longest first, so "km/h" wins over "km" and "mm/24h" over "mm".
_UNIT_ALTERNATIVES = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
# After a number, or after its scale word (450 triệu m3, 2 nghìn ha).
_UNIT_RE = re.compile(
    rf"(?:(?<=\d)|(?<=nghìn)|(?<=triệu)|(?<=tỷ))\s?({_UNIT_ALTERNATIVES})(?![\w/²³])")
# Rain over a period: 100 mm/24h, 50 mm/3 giờ, 200 mm/24 giờ.
_RAIN_PERIOD_RE = re.compile(r"(?<=\d)\s?mm\s?/\s?(\d{1,2})\s?(?:h|giờ)(?!\w)")
# "28°C-30°C" is the range 28-30°C: the unit is said once, after the range.
_UNIT_TWICE_RE = re.compile(r"(?<=\d)\s?°C\s?([-–])\s?(?=\d+(?:,\d+)?\s?°C)")
_BELOW_ZERO_RE = re.compile(r"(?<![\w.,-])-\s?(?=\d+(?:,\d+)?\s?°C)")
_COMPASS = {"N": "vĩ Bắc", "S": "vĩ Nam", "E": "kinh Đông", "W": "kinh Tây"}
_COMPASS_RE = re.compile(r"(?<=\d)\s?°\s?([NSEW])(?!\w)")
_COORDINATE_RE = re.compile(r"\b(độ)\s+(Vĩ|Kinh)\s+(Bắc|Nam|Đông|Tây)\b")
_POINT_DEGREE_RE = re.compile(r"(?<![\d.,])(\d{1,3})\.(\d{1,2})(?=\s?(?:°|độ\b))")
_ALARM_RE = re.compile(r"(?<!\w)BĐ\s?([1-3]|I{1,3})(?!\w)")


def weather(text: str) -> str:
    """Weather and disaster symbols around numbers in words; the numbers stay digits."""
    text = _UNIT_TWICE_RE.sub(r"\1", text)
    text = _BELOW_ZERO_RE.sub("âm ", text)
    text = _POINT_DEGREE_RE.sub(r"\1,\2", text)
    text = _COMPASS_RE.sub(lambda m: f" độ {_COMPASS[m[1]]}", text)
    # "18,5 độ Vĩ Bắc": latitude and longitude are common nouns; only the direction is a name.
    text = _COORDINATE_RE.sub(lambda m: f"{m[1]} {m[2].lower()} {m[3]}", text)
    text = _ALARM_RE.sub(lambda m: f"báo động {len(m[1]) if m[1][0] == 'I' else m[1]}", text)
    text = _RAIN_PERIOD_RE.sub(r" mi-li-mét trong \1 giờ", text)
    return _UNIT_RE.sub(lambda m: f" {UNITS[m[1]]}", text)
