"""Phone numbers read so a listener can dial them: digit by digit, leading zero kept, in groups.

A loudspeaker bulletin's hotline is useless if it is read as a quantity ("hai trăm hai mươi
lăm…"). This pass runs before every other number rule, so what it claims is never read as
a date, a time, an amount or a document number, and what it leaves is read as before.

Cases:
- shaped like a phone number, anywhere: 0 and 9–10 more digits (mobiles 0912 345 678, landlines
  0225 3 842 112, (0225) 3842 112), the same after +84, and the 1800/1900 hotlines of 8 or 10
  digits (1900 1234, 1800 599 920);
- after a phone word (điện thoại, SĐT, hotline, đường dây nóng, tổng đài, số máy, fax, ĐT):
  any number of six digits or more (ĐT: 3.842.112), and after the unambiguous ones also a
  short service number (Tổng đài 1022);
- the emergency numbers 111–115 after a phone word, a call (gọi, quay, bấm, liên hệ) or the
  service called (Cảnh sát 113, Cứu hỏa 114, Cấp cứu 115), "số" allowed between: gọi số 113;
- never when the number counts something (gọi 112 hộ dân, điện thoại 1.500.000 đồng), nor
  when it is part of a date, time, decimal, fraction or document symbol.

+84 is read as the national number ("+84 912 345 678" → "không chín một hai, …"): it is the
number every phone in Vietnam dials, fixed lines included, and the form people say.
The groups written are kept, each group followed by a comma, the pause every engine Loa
uses already makes (espeak-ng about 0.15 s; gTTS splits long texts at ", " and Google's voice
pauses there). A number written in one run is grouped the usual way (0912 345 678).
"""

from __future__ import annotations

import re

from loa.audio.lexicon import (
    CALL_CONTEXT,
    CALL_NOT_AFTER,
    COUNTED_NOUNS,
    EMERGENCY_NUMBERS,
    PHONE_CONTEXT,
    PHONE_FILLERS,
    SHORT_PHONE_CONTEXT,
)
from loa.audio.number_reading import read_digits

_HOTLINE_PREFIXES = ("1800", "1900")


def _alternatives(words: tuple[str, ...]) -> str:
    # Longest first, so "số máy" is tried before anything it begins with.
    spelled = []
    for word in sorted(words, key=len, reverse=True):
        not_after = "".join(rf"(?<!{w}\s)" for w in CALL_NOT_AFTER.get(word, ()))
        spelled.append(not_after + re.escape(word).replace(r"\ ", r"\s+"))
    return "|".join(spelled)


# A run of digit groups, each separated by one space, dot or hyphen, with what may lead it:
# +84, (+84) or an area code in brackets. Not inside a word, a decimal, a date or a time.
_CANDIDATE_RE = re.compile(
    r"(?<![\w+])(?<!\d[.,:/-])"
    r"(?P<lead>\(\+84\)\s?|\+84[ .-]?|\((?P<area>0\d{1,3})\)\s?)?"
    r"(?P<body>\d+(?:[ .-]\d+)*)"
    r"(?![\w/]|[.,:]\d)")
_HEAD_RE = re.compile(
    rf"(?i)(?<!\w)(?P<head>{_alternatives(PHONE_CONTEXT + CALL_CONTEXT)})"
    rf"(?:\s+(?:{_alternatives(PHONE_FILLERS)}))*\s*[:.]?\s*$")
_LISTED_RE = re.compile(r"(?<![\w.,/])(?P<number>\d{3})\s*(?:,|hoặc|hay|và)\s*$")
_NEXT_WORD_RE = re.compile(r"\s*(%|[^\W\d_]+)")
_PREVIOUS_WORD_RE = re.compile(r"([^\W\d_]+)\s*$")


def read_phones(text: str) -> str:
    """``text`` with every phone number in it spelled digit by digit, in its groups."""
    return _CANDIDATE_RE.sub(_read_candidate, text)


def _read_candidate(m: re.Match[str]) -> str:
    """The spoken form of the longest phone number this run begins with; the rest as written."""
    spans = [g.span() for g in re.finditer(r"\d+", m["body"])]
    groups = [m["body"][a:b] for a, b in spans]
    if m["area"]:
        groups.insert(0, m["area"])
        spans.insert(0, (0, 0))
    plus84 = bool(m["lead"]) and "+84" in m["lead"]
    head = _head(m.string[max(0, m.start() - 60):m.start()])
    for count in range(len(groups), 0, -1):
        rest = m["body"][spans[count - 1][1]:]
        digits = ("0" if plus84 else "") + "".join(groups[:count])
        after = rest + m.string[m.end():m.end() + 30]
        whole = count == len(groups)  # a word leads to the whole run, never to a part of it
        if _is_phone(digits, count, head if whole else None, m.string[:m.start()], after):
            written = list(groups[:count])
            if plus84:
                written[0] = "0" + written[0]
            return spell_phone(written) + read_phones(rest)
    if m["lead"]:  # the lead was no phone's: the groups after it may still hold one
        return m["lead"] + read_phones(m["body"])
    first_end = spans[0][1]
    return m["body"][:first_end] + read_phones(m["body"][first_end:])


def _head(before: str) -> str | None:
    """The phone or call word that leads to the number, lower-cased, if any.

    An emergency number listed after another one that was led to ("gọi 113 hoặc 114",
    "Cảnh sát 113, Cứu hỏa 114") is led to by the same word.
    """
    found = _HEAD_RE.search(before)
    if found:
        return re.sub(r"\s+", " ", found["head"].lower())
    listed = _LISTED_RE.search(before)
    if listed and listed["number"] in EMERGENCY_NUMBERS:
        return _head(before[:listed.start()])
    return None


def _is_phone(digits: str, groups: int, head: str | None, before: str, after: str) -> bool:
    """Whether ``digits`` (written in ``groups`` groups) is a number to dial here."""
    if digits[0] == "0" and digits[1:2] not in ("", "0") and len(digits) in (10, 11):
        return True  # a mobile or a landline with its area code
    if digits.startswith(_HOTLINE_PREFIXES) and len(digits) in (8, 10):
        previous = _PREVIOUS_WORD_RE.search(before)
        return not (previous and previous[1].lower() == "năm")  # năm 1900: a year
    if head is None or _counts_something(after):
        return False
    if digits in EMERGENCY_NUMBERS and groups == 1:
        return head != "đt"  # ĐT.113 would be a provincial road
    if head in CALL_CONTEXT:
        return False
    return len(digits) >= 6 or (head in SHORT_PHONE_CONTEXT and len(digits) >= 3)


def _counts_something(after: str) -> bool:
    following = _NEXT_WORD_RE.match(after)
    return bool(following) and following[1].lower() in COUNTED_NOUNS | {"%"}


def spell_phone(groups: list[str]) -> str:
    """Read digit groups one digit at a time, a comma (a pause) after each group.

    A number written in one run is grouped the usual way first: 0912 345 678,
    024 3825 1234, 0225 3842 112, 1900 1234.
    """
    if len(groups) == 1:
        groups = _usual_groups(groups[0])
    return ", ".join(read_digits(g) for g in groups)


def _usual_groups(digits: str) -> list[str]:
    sizes: tuple[int, ...]
    if len(digits) == 11 and digits.startswith(("024", "028")):
        sizes = (3, 4, 4)  # Hà Nội and TP Hồ Chí Minh: two-digit area code, eight digits
    else:
        sizes = {6: (3, 3), 7: (4, 3), 8: (4, 4), 9: (3, 3, 3), 10: (4, 3, 3),
                 11: (4, 4, 3)}.get(len(digits), (4,) * (len(digits) // 4 + 1))
    out: list[str] = []
    start = 0
    for size in sizes:
        if start < len(digits):
            out.append(digits[start:start + size])
            start += size
    return out
