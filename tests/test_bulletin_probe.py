"""Acceptance probes of issue 10 (bulletins): what an operator types, a dishonest player
sends, and a weather text reads; each test shows a defect found and fixed."""

from __future__ import annotations

from sqlalchemy import func, select

from loa.audio.normalize import normalize_vi
from loa.db import transaction
from loa.playlists.models import Bulletin
from loa.web.context import Services
from tests.conftest import Loa
from tests.test_bulletins import _signed, auth, send, tree  # noqa: F401  (fixture)


def test_every_without_repeat_is_refused_and_repeat_without_every_names_it(
    loa: Loa, services: Services, tree: dict  # noqa: F811
) -> None:
    """`--every 10` alone used to be taken silently as one play: the operator meant repeats."""
    base = ("bulletin", "send", "--unit", "31", "--priority", "emergency", "--text", "Bão số 3")
    alone = loa(*base, "--every", "10", ok=False)
    assert "--every" in alone and "--repeat" in alone and "Traceback" not in alone
    missing = loa(*base, "--repeat", "3", ok=False)
    assert "--every" in missing and "Traceback" not in missing
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count(Bulletin.id))) == 0


def test_a_temperature_range_with_the_unit_twice_reads_as_a_range() -> None:
    """"28°C-30°C" read "hai mươi tám độ xê, ba mươi độ xê": a listener hears two readings."""
    assert normalize_vi("Nhiệt độ 28°C-30°C.") == "Nhiệt độ hai mươi tám đến ba mươi độ xê."
    assert normalize_vi("từ 28°C - 30°C") == "từ hai mươi tám đến ba mươi độ xê"
    assert normalize_vi("thấp nhất -3°C") == "thấp nhất âm ba độ xê"

