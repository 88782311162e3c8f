"""Broadcast windows: the local times, and optionally the weekdays, a station is on air."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import time

from loa.errors import LoaError

# Vietnamese weekday names: T2 (thứ hai) is Monday … T7 is Saturday, CN (chủ nhật) Sunday.
DAY_NAMES = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
EVERY_DAY = frozenset(range(7))
_DAYS = re.compile(r"(T[2-7]|CN)(?:-(T[2-7]|CN))?")


@dataclass(frozen=True, order=True)
class Window:
    start: time
    end: time
    days: frozenset[int] = field(default=EVERY_DAY, compare=False)  # 0 = Monday

    @property
    def seconds(self) -> int:
        return (self.end.hour * 3600 + self.end.minute * 60) - (
            self.start.hour * 3600 + self.start.minute * 60
        )

    def __str__(self) -> str:
        times = f"{self.start:%H:%M}-{self.end:%H:%M}"
        return times if self.days == EVERY_DAY else f"{_days_text(self.days)} {times}"


def _days_text(days: frozenset[int]) -> str:
    """Runs of consecutive days as "T2-T7", others listed: "T2-T4 T6"."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return "+".join(
        DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs
    )


def _parse_days(text: str, whole: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.upper().split("+"):
        found = _DAYS.fullmatch(part.strip())
        if not found:
            raise LoaError(
                f"Ngày phát không hợp lệ trong {whole!r}: dùng T2…T7, CN, ví dụ "
                "T2-T7 hoặc T2+T4+T6 (invalid weekdays)"
            )
        first = DAY_NAMES.index(found[1])
        last = DAY_NAMES.index(found[2]) if found[2] else first
        if last < first:
            raise LoaError(f"Ngày phát {part!r}: ngày cuối trước ngày đầu (days run backwards)")
        days.update(range(first, last + 1))
    return frozenset(days)


def _parse_time(text: str, whole: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise LoaError(
            f"Khung giờ phát không hợp lệ: {whole!r}, cần dạng 05:30-06:30 "
            f"(invalid broadcast window)"
        ) from exc


def _parse_window(part: str) -> Window:
    days_text, _, times = part.rpartition(" ")
    days = _parse_days(days_text, part) if days_text.strip() else EVERY_DAY
    if times.count("-") != 1:
        raise LoaError(f"Khung giờ phát không hợp lệ: {part!r}, cần dạng 05:30-06:30")
    start, end = (_parse_time(t, part) for t in times.split("-"))
    if end <= start:
        raise LoaError(f"Khung giờ {part!r}: giờ kết thúc phải sau giờ bắt đầu")
    return Window(start, end, days)


def _parts(text: str) -> list[str]:
    return list(filter(None, (p.strip() for p in text.split(","))))


def parse_windows(text: str) -> list[Window]:
    """Parse "05:30-06:30,T2-T7 17:00-18:00" into windows sorted by start time.

    Cases: empty text gives no windows; a window without days is every day;
    days are T2…T7 and CN, as runs ("T2-T7") or joined with "+" ("T2+T4+T6");
    end before start, a zero-length window, or two windows overlapping on a
    shared day are errors (a window may not cross midnight).
    """
    windows = sorted(_parse_window(p) for p in _parts(text))
    for before, after in itertools.combinations(windows, 2):
        if before.days & after.days and after.start < before.end and before.start < after.end:
            raise LoaError(f"Khung giờ {before} và {after} chồng lên nhau (windows overlap)")
    return windows


def parse_written_windows(text: str) -> list[Window]:
    """Windows as a person writes them (a form, `loa station add`, a CSV line).

    Each window carries its own days. Cases: days on every window, or on none
    (every day), are taken; a window without days beside one with days is
    refused, naming it: "T2-T7 05:30-06:30, 17:00-18:00" reads as if T2-T7
    held for both, but would put the evening window on Sunday too.
    """
    windows = parse_windows(text)
    parts = _parts(text)
    undated = [p for p in parts if not p.rpartition(" ")[0].strip()]
    if undated and len(undated) < len(parts):
        raise LoaError(
            f"Khung giờ {', '.join(undated)} không ghi ngày, trong khi khung khác có ghi: mỗi "
            f"khung giờ mang ngày của riêng nó, hãy ghi ngày cho từng khung, ví dụ "
            f"\"T2-T7 05:30-06:30, T2-T7 17:00-18:00\" hoặc \"T2-CN 17:00-18:00\" cho mọi ngày "
            f"(each window carries its own days: write the days on every window)"
        )
    return windows


DAY_WORDS = {
    "vi": ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_EVERY_DAY_WORDS = {"vi": "hằng ngày", "en": "every day"}
_THROUGH = {"vi": " đến ", "en": " to "}


def days_in_words(days: frozenset[int], language: str = "vi") -> str:
    """"thứ Hai đến thứ Bảy", "thứ Hai, thứ Tư", "hằng ngày" (or in English)."""
    if days == EVERY_DAY:
        return _EVERY_DAY_WORDS[language]
    words = DAY_WORDS[language]
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        f"{words[r[0]]}{_THROUGH[language]}{words[r[-1]]}" if len(r) > 2
        else ", ".join(words[d] for d in r)
        for r in runs
    )


def describe_windows(windows: list[Window], language: str = "vi") -> str:
    """The windows in words, each set of days once with its times:
    "Thứ Hai đến thứ Bảy: 05:30-06:30, 17:00-18:00; Chủ nhật: 17:00-18:00"."""
    groups: dict[frozenset[int], list[str]] = {}
    for window in sorted(windows):
        groups.setdefault(window.days, []).append(f"{window.start:%H:%M}-{window.end:%H:%M}")
    text = "; ".join(f"{days_in_words(days, language)}: {', '.join(times)}"
                     for days, times in groups.items())
    return text[:1].upper() + text[1:]


def windows_in_words(windows: list[Window]) -> str:
    """The windows in words, "Vietnamese (English)", as the CLI says them back."""
    return f"{describe_windows(windows)} ({describe_windows(windows, 'en')})"
