"""Broadcast windows typed by an administrator."""

import pytest

from loa.errors import LoaError
from stations.windows import parse_windows


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
