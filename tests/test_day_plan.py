"""The station's day at a glance (issue 17 §5), the pure rule: relay slots, airings, bulletin
and emergency plays laid out as ordered, non-overlapping blocks with the free time between."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest

from loa.clock import VN
from loa.errors import LoaError
from loa.scheduler.day_plan import (
    Block,
    Item,
    Kind,
    RelayRule,
    check_day,
    day_plan,
    emergency_plays,
    on_air,
)
from loa.stations.windows import EVERY_DAY

MONDAY = date(2026, 12, 7)


def at(hhmm: str, day: date = MONDAY) -> datetime:
    """A local time of the station (Vietnam) on ``day``; "24:00" is the next day's 00:00."""
    if hhmm == "24:00":
        return datetime.combine(day + timedelta(days=1), time(), VN)
    return datetime.combine(day, time.fromisoformat(hhmm), VN)


def relay(hhmm: str, minutes: int, days: frozenset[int] = EVERY_DAY, slot: int = 1,
          source: str = "VOV1") -> RelayRule:
    return RelayRule(slot, source, days, time.fromisoformat(hhmm), minutes, required=True)


def item(kind: Kind, start: str, end: str, title: str = "", ref: int = 1) -> Item:
    return Item(kind, at(start), at(end), title or kind.value, ref)


def shape(blocks: list[Block]) -> list[tuple[str, str, str, str]]:
    """Each block as (from, to, kind, marks) with marks: < before, > after, ! interrupted,
    ~ resumed."""
    def marks(b: Block) -> str:
        return "".join(m for m, on in (("<", b.before), (">", b.after), ("!", b.interrupted),
                                       ("~", b.resumed)) if on)
    return [(f"{b.start:%H:%M}", "24:00" if b.end == at("24:00") else f"{b.end:%H:%M}",
             b.kind.value, marks(b)) for b in blocks]


@pytest.mark.parametrize(("relays", "items", "expected"), [
    pytest.param([], [], [("00:00", "24:00", "free", "")], id="a day with nothing"),
    pytest.param(
        [relay("05:30", 30)], [item(Kind.airing, "06:10", "06:22")],
        [("00:00", "05:30", "free", ""), ("05:30", "06:00", "relay", ""),
         ("06:00", "06:10", "free", ""), ("06:10", "06:22", "airing", ""),
         ("06:22", "24:00", "free", "")], id="a relay and an airing, free time between"),
    pytest.param(
        [relay("23:30", 60)], [],
        [("00:00", "00:30", "relay", "<"), ("00:30", "23:30", "free", ""),
         ("23:30", "24:00", "relay", ">")], id="a relay at 23:30 for 60 min, every day"),
    pytest.param(
        [relay("23:30", 60, days=frozenset({6}))], [],  # Sundays only: it ends Monday 00:30
        [("00:00", "00:30", "relay", "<"), ("00:30", "24:00", "free", "")],
        id="Sunday's relay running into Monday"),
    pytest.param(
        [relay("23:30", 60, days=frozenset({0}))], [],  # Mondays only
        [("00:00", "23:30", "free", ""), ("23:30", "24:00", "relay", ">")],
        id="Monday's relay running into Tuesday"),
    pytest.param(
        [RelayRule(1, "VOV1", EVERY_DAY, time(6), 30, since=at("06:10")),
         RelayRule(2, "VOV2", EVERY_DAY, time(11), 30, since=at("06:10"))], [],
        [("00:00", "11:00", "free", ""), ("11:00", "11:30", "relay", ""),
         ("11:30", "24:00", "free", "")], id="a relay from the time it was set"),
    pytest.param(
        [], [item(Kind.airing, "17:00", "17:12", ref=1),
             item(Kind.airing, "17:12", "17:24", ref=2)],
        [("00:00", "17:00", "free", ""), ("17:00", "17:12", "airing", ""),
         ("17:12", "17:24", "airing", ""), ("17:24", "24:00", "free", "")],
        id="airings back to back stay two"),
    pytest.param(
        [relay("06:00", 30)], [item(Kind.emergency, "06:10", "06:12")],
        [("00:00", "06:00", "free", ""), ("06:00", "06:10", "relay", "!"),
         ("06:10", "06:12", "emergency", ""), ("06:12", "06:30", "relay", "~"),
         ("06:30", "24:00", "free", "")], id="an emergency cuts into a relay"),
    pytest.param(
        [relay("06:00", 30)], [item(Kind.emergency, "05:55", "06:02")],
        [("00:00", "05:55", "free", ""), ("05:55", "06:02", "emergency", ""),
         ("06:02", "06:30", "relay", "~"), ("06:30", "24:00", "free", "")],
        id="an emergency under way as the relay starts"),
    pytest.param(
        [], [item(Kind.airing, "17:00", "17:12"), item(Kind.emergency, "17:05", "17:07")],
        [("00:00", "17:00", "free", ""), ("17:00", "17:05", "airing", "!"),
         ("17:05", "17:07", "emergency", ""), ("17:07", "17:12", "airing", "~"),
         ("17:12", "24:00", "free", "")], id="an emergency cuts into an airing"),
    pytest.param(
        [], [item(Kind.bulletin, "17:00", "17:02", ref=1), item(Kind.airing, "17:01", "17:13")],
        [("00:00", "17:00", "free", ""), ("17:00", "17:02", "bulletin", ""),
         ("17:02", "17:13", "airing", "~"), ("17:13", "24:00", "free", "")],
        id="at equal rank the one begun first keeps the air"),
    pytest.param(
        [], [Item(Kind.airing, at("23:55", MONDAY - timedelta(days=1)), at("00:07"), "A", 1)],
        [("00:00", "00:07", "airing", "<"), ("00:07", "24:00", "free", "")],
        id="an airing of the day before"),
    pytest.param(
        [], [item(Kind.airing, "10:00", "10:00"), item(Kind.airing, "09:00", "08:00", ref=2)],
        [("00:00", "24:00", "free", "")], id="items of no length are no air"),
])
def test_the_day_laid_out(relays: list[RelayRule], items: list[Item],
                          expected: list[tuple[str, str, str, str]]) -> None:
    plan = day_plan(MONDAY, VN, relays, items)
    assert shape(plan.blocks) == expected
    # Ordered, touching, covering the day exactly.
    assert plan.blocks[0].start == plan.start == at("00:00") and plan.blocks[-1].end == plan.end
    assert all(a.end == b.start for a, b in itertools.pairwise(plan.blocks))


def test_blocks_carry_the_source_name_and_fall_along_the_bar() -> None:
    plan = day_plan(MONDAY, VN, [relay("06:00", 30, source="VOV1 Thời sự")], [])
    block = plan.blocks[1]
    assert (block.title, block.ref, block.status, block.minutes) == ("VOV1 Thời sự", 1,
                                                                     "required", 30)
    assert plan.percent(block.start) == 25.0 and plan.percent(plan.end) == 100.0


@pytest.mark.parametrize(("now", "current", "coming"), [
    ("06:25", ("06:25", "06:30", "relay", "VOV1"), ("17:00", "17:12", "airing", "Chương trình")),
    ("06:05", ("06:05", "06:20", "relay", "VOV1"), ("06:20", "06:22", "emergency", "Bão số 3")),
    ("06:21", ("06:21", "06:22", "emergency", "Bão số 3"), ("06:22", "06:30", "relay", "VOV1")),
    ("12:00", None, ("17:00", "17:12", "airing", "Chương trình")),
    ("17:00", ("17:00", "17:12", "airing", "Chương trình"), ("06:00", "06:30", "relay", "VOV1")),
])
def test_now_and_next(now: str, current: tuple[str, ...] | None,
                      coming: tuple[str, ...]) -> None:
    items = [item(Kind.emergency, "06:20", "06:22", "Bão số 3"),
             item(Kind.airing, "17:00", "17:12", "Chương trình")]
    found = on_air([relay("06:00", 30)], items, VN, at(now), timedelta(days=2))

    def seen(b: Block | None) -> tuple[str, ...] | None:
        return None if b is None else (f"{b.start:%H:%M}", f"{b.end:%H:%M}", b.kind.value,
                                       b.title)
    assert (seen(found[0]), seen(found[1])) == (current, coming)


def test_nothing_on_air_and_nothing_coming() -> None:
    assert on_air([], [], VN, at("12:00"), timedelta(days=32)) == (None, None)


SENT = at("06:00")


@pytest.mark.parametrize(("count", "every_s", "until", "stopped", "expected"), [
    (1, 0, None, None, [("06:00", "06:02")]),
    (3, 600, None, None, [("06:00", "06:02"), ("06:10", "06:12"), ("06:20", "06:22")]),
    (3, 0, None, None, [("06:00", "06:02"), ("06:02", "06:04"), ("06:04", "06:06")]),
    (3, 600, at("06:15"), None, [("06:00", "06:02"), ("06:10", "06:12")]),
    (3, 600, None, at("06:11"), [("06:00", "06:02"), ("06:10", "06:11")]),
    (3, 600, None, at("06:00"), []),
])
def test_an_emergency_plays_at_once_then_its_repeats(
    count: int, every_s: int, until: datetime | None, stopped: datetime | None,
    expected: list[tuple[str, str]]
) -> None:
    plays = emergency_plays(SENT, 120_000, count, every_s, until, stopped)
    assert [(f"{s.astimezone(VN):%H:%M}", f"{e.astimezone(VN):%H:%M}") for s, e in plays] == \
        expected


@pytest.mark.parametrize("text", ["2026-12-01", "1970-01-01", "2999-12-31", "2028-02-29"])
def test_a_day_asked_for(text: str) -> None:
    assert check_day(text) == date.fromisoformat(text)


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "26-12-01", "1.12.2026", "",
                                  "2026-12-1", "1969-12-31", "9999-12-31", "2026-12-01x"])
def test_a_bad_day_is_refused_in_words(text: str) -> None:
    with pytest.raises(LoaError, match=r"Ngày không hợp lệ .*cần dạng YYYY-MM-DD"):
        check_day(text)
