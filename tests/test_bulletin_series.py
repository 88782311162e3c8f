"""Bulletin series (issue 16 §3): the latest warning replaces the last, plays on the hour every
N hours, at night when asked; on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import tests.helpers.bulletins
from loa.app import build_services
from loa.clock import VN, FrozenClock
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.bulletin_series import series_bulletins, series_named
from loa.playlists.bulletins import approve_bulletin, cancel_bulletin
from loa.playlists.models import (
    Bulletin,
    BulletinSeries,
    BulletinSlot,
    BulletinSlotStatus,
    BulletinStatus,
)
from loa.playlists.player_bulletins import player_bulletins
from loa.scheduler.bulletin_slots import slot_placer
from loa.services import Services
from loa.settings import Settings
from loa.stations.models import Player, Station
from loa.stations.units import get_unit
from tests.helpers.bulletins import send
from tests.helpers.publishers import RecordingPublisher

pytestmark = pytest.mark.both_databases

tree = tests.helpers.bulletins.tree  # a shared fixture
STORM_3 = "Bão số 3 năm 2026"


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def services(settings: Settings, clock: FrozenClock,
             publisher: RecordingPublisher) -> Iterator[Services]:
    built = build_services(settings, clock=clock, publisher=publisher)
    publisher.services = built
    yield built
    built.sessions.kw["bind"].dispose()


def local(text: str) -> datetime:
    """A Vietnam wall-clock time ("2026-12-02 01:30") as an aware instant."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def in_series(services: Services, s: Session, text: str, **kw: Any) -> Bulletin:
    """A priority storm bulletin of Hải Phòng in the Bão số 3 series, every 2 h on the hour."""
    series = series_named(s, get_unit(s, "31"), STORM_3, by=None, now=services.clock.now())
    kw.setdefault("priority", "priority")
    kw.setdefault("night", True)
    return send(services, s, text=text, series=series, on_the_hour=True,
                repeat_count=None, repeat_every_s=7200, **kw)


def to_come(s: Session, now: datetime) -> list[BulletinSlot]:
    return list(s.scalars(select(BulletinSlot).where(
        BulletinSlot.status == BulletinSlotStatus.planned, BulletinSlot.starts_at > now)
        .order_by(BulletinSlot.starts_at, BulletinSlot.station_id)))


def hours(slots: list[BulletinSlot]) -> list[str]:
    return [sl.starts_at.astimezone(VN).strftime("%d %H:%M") for sl in slots]


def test_three_bulletins_an_hour_apart_leave_the_latest_on_the_even_hours(
        services: Services, clock: FrozenClock, tree: dict,
        publisher: RecordingPublisher) -> None:
    """23:30, 00:30, 01:30: each replaces the one before; the 01:30 one alone plays on, at
    02:00, 04:00 … (night included), until its validity ends."""
    clock.set(local("2026-12-01 23:30"))
    sent = []
    for n in range(3):
        with transaction(services.sessions) as s:
            sent.append(in_series(services, s, f"Tin bão số {n + 1}: bão cách bờ "
                                  f"{300 - 100 * n} km.").id)
        if n < 2:
            clock.advance(hours=1)
    now = clock.now()
    players = set()
    with transaction(services.sessions) as s:
        first, second, latest = (s.get_one(Bulletin, i) for i in sent)
        assert [b.status for b in (first, second, latest)] == [
            BulletinStatus.cancelled, BulletinStatus.cancelled, BulletinStatus.active]
        assert (first.superseded_by_id, second.superseded_by_id) == (second.id, latest.id)
        coming = to_come(s, now)
        assert {sl.bulletin_id for sl in coming} == {latest.id}
        per_station = {st: [sl for sl in coming if sl.station_id == st]
                       for st in {sl.station_id for sl in coming}}
        assert len(per_station) == 2  # TN and TH of Hải Phòng, not HN of Hà Nội
        for slots in per_station.values():
            # valid a day, to 01:30 on the 3rd: every even hour from 02:00 to midnight
            assert hours(slots) == [f"02 {h:02d}:00" for h in range(2, 24, 2)] + ["03 00:00"]
        # the first one's 00:00 play had begun when the second came: it keeps its record
        begun = s.scalars(select(BulletinSlot).where(
            BulletinSlot.bulletin_id == first.id,
            BulletinSlot.status != BulletinSlotStatus.cancelled)).all()
        assert hours(list(begun)) == ["02 00:00"] * 2
        players = set(s.scalars(select(Player.id).join(Station).where(
            Station.unit_id.in_([get_unit(s, c).id for c in ("11560", "11557")]))))
        series = s.get_one(BulletinSeries, first.series_id)
        assert [b.id for b in series_bulletins(s, series)] == sent  # in the order written
    assert players <= set(publisher.changed)  # told each time the air changed


def test_a_night_play_is_placed_at_two_in_the_morning_outside_the_windows(
        services: Services, clock: FrozenClock, tree: dict) -> None:
    clock.set(local("2026-12-02 00:30"))
    with transaction(services.sessions) as s:
        bulletin = in_series(services, s, "Lũ trên sông Thái Bình lên nhanh.",
                             valid_until=local("2026-12-02 03:00"))
        placed = s.scalars(select(BulletinSlot).where(BulletinSlot.bulletin_id == bulletin.id)
                           ).all()
        assert hours(list(placed)) == ["02 02:00"] * 2  # each station, off air at 02:00


def test_without_night_the_hours_stay_inside_the_windows(
        services: Services, clock: FrozenClock, tree: dict) -> None:
    """Windows 05:30–06:30 and 17:00–18:00: of the even hours only 06:00 is on air."""
    clock.set(local("2026-12-02 00:30"))
    with transaction(services.sessions) as s:
        bulletin = in_series(services, s, "Tin bão.", night=False)
        placed = s.scalars(select(BulletinSlot).where(BulletinSlot.bulletin_id == bulletin.id)
                           ).all()
        assert hours(list(placed)) == ["02 06:00"] * 2


@pytest.mark.parametrize(("kw", "words"), [
    ({"priority": "normal"}, "only priority and emergency bulletins play at night"),
    ({"priority": "priority", "on_the_hour": False}, "--night needs --on-the-hour"),
    ({"priority": "priority", "repeat_every_s": 5 * 3600}, "on the hour every 1, 2, 3, 4"),
])
def test_night_and_the_hour_rules_are_refused_clearly(
        services: Services, tree: dict, kw: dict, words: str) -> None:
    args = {"on_the_hour": True, "night": True, "repeat_count": None,
            "repeat_every_s": 7200} | kw
    with transaction(services.sessions) as s, pytest.raises(LoaError) as err:
        send(services, s, **args)
    assert words in str(err.value)


def test_an_operators_bulletin_supersedes_when_a_leader_approves_it(
        services: Services, clock: FrozenClock, tree: dict) -> None:
    clock.set(local("2026-12-02 07:10"))
    with transaction(services.sessions) as s:
        old = in_series(services, s, "Tin bão lúc 7 giờ.")
        waiting = in_series(services, s, "Tin bão lúc 8 giờ.", role="operator", author="vy")
        assert waiting.status is BulletinStatus.pending and old.status is BulletinStatus.active
    clock.advance(minutes=30)
    with transaction(services.sessions) as s:
        approve_bulletin(s, s.get_one(Bulletin, waiting.id), by="lan", role="leader",
                         clock=services.clock, place_slots=slot_placer(timedelta(seconds=30)))
        assert s.get_one(Bulletin, old.id).superseded_by_id == waiting.id
        assert {sl.bulletin_id for sl in to_come(s, clock.now())} == {waiting.id}


def test_an_emergency_in_a_series_plays_at_once_then_on_the_hour(
        services: Services, clock: FrozenClock, tree: dict,
        publisher: RecordingPublisher) -> None:
    """Sent at 01:50: played now by the players, then at 04:00, 06:00 … (02:00 is too soon);
    superseded, its players are told to stop."""
    clock.set(local("2026-12-02 01:50"))
    with transaction(services.sessions) as s:
        first = in_series(services, s, "Khẩn cấp: sơ tán.", priority="emergency",
                          valid_until=local("2026-12-02 07:00"))
        player = s.scalars(select(Player).order_by(Player.id)).first()
        listed = player_bulletins(s, player, clock.now())[0]["bulletins"]
        assert [(b["id"], b["repeat_count"]) for b in listed] == [(first.id, 1)]
        mine = [sl for sl in to_come(s, clock.now()) if sl.station_id == player.station_id]
        assert hours(mine) == ["02 04:00", "02 06:00"]
    clock.advance(minutes=20)
    with transaction(services.sessions) as s:
        in_series(services, s, "Khẩn cấp: sơ tán ngay.", priority="emergency")
        assert s.get_one(Bulletin, first.id).status is BulletinStatus.cancelled
        listed = player_bulletins(s, player, clock.now())[0]["bulletins"]
        assert [b["status"] for b in listed] == ["cancelled", "active"]
    assert ("bulletin.cancelled", first.id) in {(k, i) for k, i, _p in publisher.bulletins}


def test_cancelling_the_latest_stops_the_series(
        services: Services, clock: FrozenClock, tree: dict) -> None:
    clock.set(local("2026-12-02 00:30"))
    with transaction(services.sessions) as s:
        latest = in_series(services, s, "Tin bão.")
        cancel_bulletin(s, latest, by=None, role=None, clock=services.clock)
        assert to_come(s, clock.now()) == []
        assert s.scalar(select(Bulletin.id).where(Bulletin.status == BulletinStatus.active)) \
            is None


def test_a_series_belongs_to_its_unit(services: Services, tree: dict) -> None:
    with transaction(services.sessions) as s, pytest.raises(LoaError) as err:
        series = series_named(s, get_unit(s, "01"), STORM_3, by=None,
                              now=services.clock.now())
        send(services, s, priority="priority", series=series)
    assert "belongs to another unit" in str(err.value)
