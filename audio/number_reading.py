"""Vietnamese number reading: cardinals, decimals, digits, ordinals and Roman numerals."""

from __future__ import annotations

import re

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", "nghìn", "triệu")
_ROMAN_RE = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _tens(n: int) -> str:
    """Read 0 < n < 100 (ten-and-unit rules: mười, mốt, lăm, tư)."""
    tens, unit = divmod(n, 10)
    if tens == 0:
        return DIGITS[unit]
    head = "mười" if tens == 1 else f"{DIGITS[tens]} mươi"
    if unit == 0:
        return head
    if unit == 5:
        tail = "lăm"
    elif unit == 1 and tens >= 2:
        tail = "mốt"
    elif unit == 4 and tens >= 2:
        tail = "tư"
    else:
        tail = DIGITS[unit]
    return f"{head} {tail}"


def _hundreds(n: int, *, full: bool) -> str:
    """Read 0 < n < 1000; ``full`` says "không trăm" is needed for a non-leading group."""
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds or full:
        parts.append(f"{DIGITS[hundreds]} trăm")
    if rest:
        if parts and rest < 10:
            parts.append("linh")
            parts.append(DIGITS[rest])
        else:
            parts.append(_tens(rest))
    return " ".join(parts)


def read_int(n: int) -> str:
    """Read a non-negative integer the Vietnamese way (e.g. 2022, 1.245, 13.200 tỷ)."""
    if n < 0:
        return f"âm {read_int(-n)}"
    if n == 0:
        return DIGITS[0]
    billions, below = divmod(n, 1_000_000_000)
    parts: list[str] = []
    if billions:
        parts.append(f"{read_int(billions)} tỷ")
    groups = [(below // 10 ** (3 * i)) % 1000 for i in (2, 1, 0)]
    for index, group in enumerate(groups):
        if not group:
            continue
        parts.append(_hundreds(group, full=bool(parts)))
        scale = _SCALES[2 - index]
        if scale:
            parts.append(scale)
    return " ".join(parts)


def read_digits(digits: str) -> str:
    """Read a string of digits one by one (phone numbers, leading-zero fractions)."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


def read_decimal(integer: str, fraction: str) -> str:
    """Read ``integer``,``fraction`` as "... phẩy ..." (a leading-zero fraction digit by digit)."""
    whole = read_int(int(integer))
    if not fraction:
        return whole
    tail = read_digits(fraction) if fraction.startswith("0") or len(fraction) > 3 else read_int(
        int(fraction))
    return f"{whole} phẩy {tail}"


def read_ordinal(n: int) -> str:
    """Read an ordinal: thứ nhất, thứ hai, thứ tư, thứ năm ..."""
    if n == 1:
        return "thứ nhất"
    if n == 4:
        return "thứ tư"
    return f"thứ {read_int(n)}"


def read_month(n: int) -> str:
    """Read a month number: tháng tư for 4, otherwise the cardinal."""
    return "tư" if n == 4 else read_int(n)


def roman_value(token: str) -> int | None:
    """Value of a well-formed Roman numeral (I..MMMCMXCIX), else None."""
    if not token or not _ROMAN_RE.fullmatch(token):
        return None
    total = 0
    for index, char in enumerate(token):
        value = _ROMAN_VALUES[char]
        nxt = _ROMAN_VALUES[token[index + 1]] if index + 1 < len(token) else 0
        total += -value if value < nxt else value
    return total
