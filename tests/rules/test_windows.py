"""Broadcast windows typed by an administrator."""

import pytest

from loa.errors import LoaError
from loa.stations.windows import parse_windows


def test_parses_and_sorts() -> None:
    assert [str(w) for w in parse_windows(" 17:00-18:00, 05:30-06:30 ")] == [
        "05:30-06:30",
        "17:00-18:00",
    ]
    assert parse_windows("05:30-06:30")[0].seconds == 3600


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("5h30-6h30", "05:30-06:30"),
        ("06:30-05:30", "phải sau"),
        ("05:30-05:30", "phải sau"),
        ("05:30-06:30,06:00-07:00", "chồng lên nhau"),
        ("25:00-26:00", "không hợp lệ"),
        ("05:30", "không hợp lệ"),
    ],
)
def test_bad_windows_say_why_in_vietnamese(text: str, fragment: str) -> None:
    with pytest.raises(LoaError, match=fragment):
        parse_windows(text)


def test_weekdays_in_vietnamese_notation() -> None:
    windows = parse_windows("T2-T7 05:30-06:30, CN 07:00-07:30, T2+T4+T6 17:00-18:00")
    assert [sorted(w.days) for w in windows] == [[0, 1, 2, 3, 4, 5], [6], [0, 2, 4]]
    assert [str(w) for w in windows] == [
        "T2-T7 05:30-06:30",
        "CN 07:00-07:30",
        "T2+T4+T6 17:00-18:00",
    ]
    assert str(parse_windows("t2-cn 05:30-06:30")[0]) == "05:30-06:30"  # every day


def test_windows_on_different_days_may_share_hours() -> None:
    assert len(parse_windows("T2-T6 17:00-18:00,T7+CN 17:30-18:30")) == 2
    with pytest.raises(LoaError, match="chồng lên nhau"):
        parse_windows("T2-T6 17:00-18:00,T6 17:30-18:30")


@pytest.mark.parametrize("text", ["T8 05:30-06:30", "T7-T2 05:30-06:30", "Thứ hai 05:30-06:30"])
def test_bad_weekdays_are_explained(text: str) -> None:
    with pytest.raises(LoaError, match="T2"):
        parse_windows(text)
