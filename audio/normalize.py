"""Rule-based Vietnamese text normalisation: the spoken form of a written text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

from loa.audio.lexicon import (
    ACRONYMS,
    ADDRESS_CONTEXT,
    DATE_CONTEXT,
    DOCUMENT_TYPES,
    LETTERS,
    RATE_UNITS,
    ROMAN_CONTEXT,
    SYMBOLS,
    UNIT_WORDS,
)
from loa.audio.number_reading import (
    read_decimal,
    read_digits,
    read_int,
    read_month,
    read_ordinal,
    roman_value,
)
from loa.audio.phones import read_phones
from loa.audio.weather import weather

_L = r"[^\W\d_]"  # any letter, Vietnamese included
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "\u00a0": " ",
                         "\u202f": " ", "\u2009": " ", "\t": " "})
_DOC_CODE = r"[A-ZĐ][A-Za-zĐđ&]*"
_DOC_NUMBER = r"(?<![\w/])(?:(?P<so>[Ss]ố)\s*:?\s*)?(?P<n>\d+)"
_DOC_RE = re.compile(  # 29/KH-UBND, 270/2019/NQ-HĐND, 123/UBND-VX
    rf"{_DOC_NUMBER}(?:\s*/\s*(?P<year>\d{{4}}))?\s*/\s*(?P<code>{_DOC_CODE}(?:-{_DOC_CODE})+)"
    r"(?![\w])")
_DOC_PARTY_RE = re.compile(  # 06-NQ/TU
    rf"{_DOC_NUMBER}-(?P<kind>{_DOC_CODE})/(?P<issuer>{_DOC_CODE}(?:-{_DOC_CODE})*)(?![\w])")
_DOC_ISSUER_NAMED_RE = re.compile(r"\s*,?\s*(?:ngày\s+[\d/.]+\s*)?của\b", re.I)
_FULL_DATE_RE = re.compile(
    r"(?<![\w/.-])((?i:ngày|mùng|mồng)\s+)?(\d{1,2})([/.-])(\d{1,2})\3(\d{4})(?![\w/])")
_NUM = r"\d+(?:[.,:]\d+)*(?:h\d{0,2})?(?:/\d{1,2}(?!\d))?%?"
_RANGE_RE = re.compile(rf"(?<![\w.,/-])({_NUM})\s*-\s*({_NUM})(?![\w/-])")
_MONTH_YEAR_RE = re.compile(r"(?<![\w/])((?i:tháng)\s+)?(\d{1,2})/(\d{4})(?![\w/])")
_DAY_RANGE_RE = re.compile(  # 18-20/7: from the 18th to the 20th of July
    r"(?<![\w/.,-])((?i:ngày|mùng|mồng)\s+)?(\d{1,2})\s*-\s*(\d{1,2})/(\d{1,2})(?![\w/-])")
_DAY_MONTH_RE = re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,2})(?![\w/])")
_FRACTION_RE = re.compile(r"(?<![\w/])(\d+)/(\d+)(?![\w/])")
_TIME_RE = re.compile(r"(?<![\w:])(\d{1,2})(?:h|:)(\d{2})?(?::\d{2})?(?![\w:])")
_RATE_RE = re.compile(rf"({_L}+)\s*/\s*({_L}+)")
_ROMAN_CTX_RE = re.compile(rf"(?<!{_L})({_L}+)(\s+)([IVXLCDM]+)(?![\w])")
_ROMAN_LINE_RE = re.compile(r"(?m)^(\s*)([IVXLCDM]+)([.)])(?=\s|$)")
_ORDINAL_RE = re.compile(r"(?i)(?<!\w)(thứ)\s+0*(\d{1,3})(?!\d)")
_MONTH_RE = re.compile(r"(?i)(?<!\w)(tháng)\s+0*(\d{1,2})(?![\d.,/])")
_CURRENCY_RE = re.compile(r"(?<=\d)\s*(?:đ|VNĐ|VND)(?!\w)")
_LABEL_RE = re.compile(r"(?<![\w.])([a-zđ])\.(\d)")
_NUMBER_RE = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)*)(?:,(\d+))?(?![\d])")
_WORD_RE = re.compile(rf"{_L}[\w&]*(?:-{_L}[\w&]*)*")
_SYLLABLE_RE = re.compile(
    r"(NGH|NG|GH|GI|KH|NH|PH|TH|TR|CH|QU|[BCDĐGHKLMNPRSTVX])?[AEIOUY]{1,3}(NG|NH|CH|[CMNPTIUOY])?")


def normalize_vi(text: str, acronyms: Mapping[str, str] | None = None) -> str:
    """Return the spoken form of ``text``: numbers, dates, codes and acronyms in words."""
    lexicon = {**ACRONYMS, **(acronyms or {})}
    text = unicodedata.normalize("NFC", text).translate(_DASHES)
    # Markdown emphasis and heading marks come with pasted text; they are never spoken.
    text = re.sub(r"(?m)^\s*#+\s*", "", text).replace("**", "").replace("__", "")
    passes: list[Callable[[str], str]] = [
        read_phones, lambda t: _documents(t, lexicon), _full_dates, weather, _day_ranges, _ranges,
        _month_years,
        _day_months, _times, _rates, _romans, _ordinals, _numbers, _leftover_digits,
    ]
    for step in passes:
        text = step(text)
    lines = [_words(line, lexicon) for line in text.split("\n")]
    return _tidy("\n".join(lines))


def _code(code: str, lexicon: Mapping[str, str]) -> str:
    """Read a code such as UBND or UBND-VX part by part."""
    if code in lexicon:
        return lexicon[code]
    return " ".join(lexicon.get(part) or _spell(part) for part in code.split("-"))


def _said_before(text: str, start: int, kind: str) -> bool:
    """Whether the words just before ``start`` name the document type (Quyết định số …)."""
    return kind.lower() in text[max(0, start - len(kind) - 12):start].lower()


def _document(m: re.Match[str], kind_code: str | None, issuer_code: str,
              lexicon: Mapping[str, str]) -> str:
    """One document symbol read as "<type> số <number> [năm <year>] của <issuer>".

    Cases:
    - the type was just said (Kế hoạch số 29/KH-UBND): it is not said twice;
    - the type was not said (theo 29/KH-UBND, Số: 29/KH-UBND): it is said, with "số";
    - the first code is not a type (Công văn số 123/UBND-VX): the whole code is the issuer;
    - the sentence names the issuer next (…/QĐ-UBND ngày 09/02/2022 của UBND tỉnh): the code's
      issuer is left out rather than said twice.
    """
    number = read_int(int(m["n"]))
    if m.groupdict().get("year"):
        number += f" năm {read_int(int(m['year']))}"
    named_next = _DOC_ISSUER_NAMED_RE.match(m.string, m.end()) is not None
    issuer = "" if named_next else f" của {_code(issuer_code, lexicon)}"
    kind = (lexicon.get(kind_code) or _spell(kind_code)) if kind_code else ""
    if not kind or _said_before(m.string, m.start(), kind):
        return f"{m['so'] + ' ' if m['so'] else ''}{number}{issuer}"
    return f"{kind} số {number}{issuer}"


def _documents(text: str, lexicon: Mapping[str, str]) -> str:
    def full(m: re.Match[str]) -> str:
        first, _, rest = m["code"].partition("-")
        if first in DOCUMENT_TYPES:
            return _document(m, first, rest, lexicon)
        return _document(m, None, m["code"], lexicon)

    def party(m: re.Match[str]) -> str:
        return _document(m, m["kind"], m["issuer"], lexicon)

    return _DOC_PARTY_RE.sub(party, _DOC_RE.sub(full, text))


def _date(day: int, month: int, year: int | None, *, with_ngay: bool = True) -> str:
    spoken = f"ngày {read_int(day)} tháng {read_month(month)}"
    if year is not None:
        spoken += f" năm {read_int(year)}"
    return spoken if with_ngay else spoken.removeprefix("ngày ")


def _valid(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


def _full_dates(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        day, month, year = int(m[2]), int(m[4]), int(m[5])
        if not _valid(day, month):
            return m[0]
        lead = m[1] or ""
        # "ngày 09/02/2022" keeps its own "ngày" rather than saying it twice.
        return lead + _date(day, month, year, with_ngay=not lead)

    return _FULL_DATE_RE.sub(sub, text)


def _ranges(text: str) -> str:
    return _RANGE_RE.sub(lambda m: f"{m[1]} đến {m[2]}", text)


def _month_years(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        month, year = int(m[2]), int(m[3])
        if not 1 <= month <= 12:
            return m[0]
        return f"{m[1] or 'tháng '}{read_month(month)} năm {read_int(year)}"

    return _MONTH_YEAR_RE.sub(sub, text)


def _previous_word(text: str, start: int) -> str:
    words = re.findall(rf"{_L}+", text[max(0, start - 30):start])
    return words[-1].lower() if words else ""


def _day_ranges(text: str) -> str:
    """"từ 18-20/7" is "từ ngày mười tám đến ngày hai mươi tháng bảy" (the month said once).

    A date as _day_months would read the second day (a date word before, or the day
    larger than the month), and the first day before it; otherwise left to the range rule.
    """
    def sub(m: re.Match[str]) -> str:
        first, day, month = int(m[2]), int(m[3]), int(m[4])
        before = _previous_word(m.string, m.start())
        dated = m[1] or before in DATE_CONTEXT or (day > month and before not in ADDRESS_CONTEXT)
        if not dated or not first < day or not _valid(day, month):
            return m[0]
        return f"{m[1] or 'ngày '}{read_int(first)} đến {_date(day, month, None)}"

    return _DAY_RANGE_RE.sub(sub, text)


def _day_months(text: str) -> str:
    """Read d/m as a date or, failing that, as "d trên m".

    Cases:
    - a date word comes just before (ngày, từ, đến, chiều, đêm …): a date if it can be one;
    - nothing says so, but the first number is larger than the second (18/7): a date, as a
      count out of a total (3/5 hộ) never exceeds the total; except 24/7, "day and night",
      and addresses (số 18/7, hẻm 12/3);
    - otherwise (1/2, 3/5, 20/13): "trên".
    """
    def sub(m: re.Match[str]) -> str:
        day, month = int(m[1]), int(m[2])
        before = _previous_word(m.string, m.start())
        dated = before in DATE_CONTEXT or (
            day > month and m[0] != "24/7" and before not in ADDRESS_CONTEXT)
        if not dated or not _valid(day, month):
            return f"{m[1]} trên {m[2]}"
        ngay = before not in {"ngày", "mùng", "mồng"}
        return _date(day, month, None, with_ngay=ngay)

    return _DAY_MONTH_RE.sub(sub, text)


def _times(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        hour, minute = int(m[1]), int(m[2] or 0)
        if hour > 24 or minute > 59:
            return m[0]
        tail = f" {read_int(minute)}" if minute else ""
        return f"{read_int(hour)} giờ{tail}"

    return _TIME_RE.sub(sub, text)


def _rates(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m[2].lower() in RATE_UNITS:
            return f"{m[1]} mỗi {m[2]}"
        return m[0]

    return _RATE_RE.sub(sub, text)


def _romans(text: str) -> str:
    def in_context(m: re.Match[str]) -> str:
        value = roman_value(m[3])
        if value is None or m[1].lower() not in ROMAN_CONTEXT:
            return m[0]
        spoken = read_month(value) if m[1].lower() == "quý" else read_int(value)
        return f"{m[1]}{m[2]}{spoken}"

    def at_line_start(m: re.Match[str]) -> str:
        value = roman_value(m[2])
        return m[0] if value is None else f"{m[1]}{read_int(value)}{m[3]}"

    return _ROMAN_LINE_RE.sub(at_line_start, _ROMAN_CTX_RE.sub(in_context, text))


def _ordinals(text: str) -> str:
    text = _ORDINAL_RE.sub(lambda m: m[1][0] + read_ordinal(int(m[2]))[1:], text)
    return _MONTH_RE.sub(lambda m: f"{m[1]} {read_month(int(m[2]))}", text)


def _read_number(integer: str, fraction: str | None) -> str:
    if fraction is not None and not fraction.strip("0"):
        fraction = None  # 112,0 độ, 4,0 m: announcers leave a fraction of zeros unsaid
    if "." in integer:
        head, *groups = integer.split(".")
        if len(head) <= 3 and all(len(g) == 3 for g in groups):
            integer = integer.replace(".", "")
        else:
            # Section numbers and versions (2.1, 4.0) are read part by part.
            spoken = " chấm ".join(read_int(int(p)) for p in integer.split("."))
            return spoken if fraction is None else f"{spoken} phẩy {read_int(int(fraction))}"
    if len(integer.lstrip("0")) > 15:
        return read_digits(integer)
    return read_decimal(integer, fraction or "")


def _numbers(text: str) -> str:
    text = _CURRENCY_RE.sub(" đồng", text)
    text = _LABEL_RE.sub(r"\1 chấm \2", text)
    spoken = _NUMBER_RE.sub(lambda m: f" {_read_number(m[1], m[2])} ", text)
    return re.sub(r" +([.,;:!?)%])", r"\1", spoken)


def _leftover_digits(text: str) -> str:
    # Anything the rules above did not claim is still read, never spoken as a raw symbol.
    return re.sub(r"\d+", lambda m: f" {read_digits(m[0])} ", text)


def _spell(token: str) -> str:
    """Spell an unknown acronym letter by letter (UBKT → u bê ca tê)."""
    return " ".join(LETTERS.get(ch.upper(), ch.lower()) for ch in token if ch.isalnum())


def _is_heading(line: str, lexicon: Mapping[str, str]) -> bool:
    """A line in capitals (I. MỤC ĐÍCH, YÊU CẦU) is read as words, not spelled."""
    words = [w for w in _WORD_RE.findall(line) if w not in lexicon]
    letters = [ch for w in words for ch in w if ch.isalpha()]
    return len(words) >= 2 and sum(ch.isupper() for ch in letters) > 0.8 * len(letters)


def _caps_word(token: str, heading: bool) -> str:
    plain = unicodedata.normalize("NFD", token)
    has_marks = any(unicodedata.combining(ch) for ch in plain) or "Đ" in token
    if heading or has_marks or (len(token) >= 3 and _SYLLABLE_RE.fullmatch(token)):
        return token.lower()
    return _spell(token)


def _words(line: str, lexicon: Mapping[str, str]) -> str:
    heading = _is_heading(line, lexicon)

    def sub(m: re.Match[str]) -> str:
        token = m[0]
        if token in lexicon:
            return lexicon[token]
        if token in UNIT_WORDS:
            return token
        parts = token.split("-")
        if len(parts) > 1:
            return " ".join(sub(re.match(r".+", p)) for p in parts if p)  # type: ignore[arg-type]
        if token.isupper() and len(token) >= 2:
            return _caps_word(token, heading)
        return token.lower() if heading else token

    return _WORD_RE.sub(sub, line)


def _tidy(text: str) -> str:
    for symbol, spoken in SYMBOLS.items():
        text = text.replace(symbol, spoken)
    text = re.sub(r"(?m)^\s*[-+]\s+", "", text)
    text = re.sub(r"\s+-\s+|(?<=\w)-(?=\s)|(?<=\s)-(?=\w)", ", ", text)
    text = re.sub(r"[/()\[\]{}\"“”‘’«»]", ", ", text)
    text = re.sub(r"\s*,(\s*,)+", ",", text)
    text = re.sub(r"[ ]+", " ", text)
    text = re.sub(r" ([.,;:!?])", r"\1", text)
    lines = (line.strip(" ,") for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
