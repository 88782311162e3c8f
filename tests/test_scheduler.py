"""Planning, settling and live dispatch against the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from loa.db import transaction
from playlists.models import Airing, AiringStatus
from scheduler.live import LiveDispatcher
from scheduler.service import plan
from scheduler.settle import GRACE, settle_airings
from tests.factories import approved_programme, hai_phong_month
from web.context import Services


class RecordingPublisher:
    def __init__(self) -> None:
        self.changed: list[int] = []
        self.played: list[tuple[int, int]] = []

    def schedule_changed(self, player_ids: Any) -> None:
        self.changed.extend(player_ids)

    def play_now(self, player_id: int, airing_id: int) -> None:
        self.played.append((player_id, airing_id))


def airings(s: Any, station_code: str | None = None) -> list[Airing]:
    query = select(Airing).order_by(Airing.starts_at)
    found = s.scalars(query).all()
    return [a for a in found if station_code is None or a.station.code == station_code]


def test_plan_notifies_players_and_is_idempotent(services: Services) -> None:
    publisher = RecordingPublisher()
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        report = plan(s, "2026-12", services.clock.now(), publisher)
        assert [(r.station, r.planned, r.total) for r in report.rows] == [
            ("TH", 3, 3),
            ("TN", 3, 3),
        ]
    assert sorted(publisher.changed) == sorted(p for p, _ in month.players.values())
    publisher.changed.clear()
    with transaction(services.sessions) as s:
        report = plan(s, "2026-12", services.clock.now(), publisher)
        assert [r.planned for r in report.rows] == [0, 0]
        assert len(airings(s)) == 6
    assert publisher.changed == []


def test_a_commune_programme_replaces_the_relayed_one_for_future_airings(
    services: Services, clock: Any
) -> None:
    publisher = RecordingPublisher()
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        plan(s, "2026-12", clock.now(), publisher)
    first = None
    with transaction(services.sessions) as s:
        first = airings(s, "TN")[0]
        clock.set(first.starts_at + timedelta(hours=1))  # the first relayed airing is past
        own = approved_programme(s, "11560", "2026-12", 660_000, clock.now())
        report = plan(s, "2026-12", clock.now(), publisher)
        tn = next(r for r in report.rows if r.station == "TN")
        assert tn.cancelled == 2 and tn.programme_id == own.id
        holding = [a for a in airings(s, "TN") if a.status is not AiringStatus.cancelled]
        # The relayed airing that started before the approval keeps its place in the count.
        assert [a.programme_id for a in holding].count(own.id) == 2 and len(holding) == 3
        assert holding[0].id == first.id  # what already aired stays in the record
        assert all(a.starts_at > clock.now() for a in holding if a.programme_id == own.id)


def test_settle_then_replan_adds_a_make_up_airing(services: Services, clock: Any) -> None:
    publisher = RecordingPublisher()
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        plan(s, "2026-12", clock.now(), publisher)
        first = airings(s, "TN")[0]
        clock.set(first.starts_at + timedelta(minutes=12) + GRACE)
        settle_airings(s, clock.now())
        assert first.status is AiringStatus.missed
        report = plan(s, "2026-12", clock.now(), publisher)
        assert next(r for r in report.rows if r.station == "TN").planned == 1
        assert len([a for a in airings(s, "TN") if a.status is not AiringStatus.missed]) == 3


def test_live_players_are_told_to_play_once_when_the_slot_comes(
    services: Services, clock: Any
) -> None:
    publisher = RecordingPublisher()
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s, live=True)
        plan(s, "2026-12", clock.now(), publisher)
        dispatcher = LiveDispatcher(clock.now())
        first = airings(s, "TN")[0]
        clock.set(first.starts_at - timedelta(seconds=1))
        assert dispatcher.dispatch(s, clock.now(), publisher) == 0
        clock.advance(seconds=2)
        dispatcher.dispatch(s, clock.now(), publisher)
        dispatcher.dispatch(s, clock.now(), publisher)
    assert (month.players["TN"][0], first.id) in publisher.played
    assert publisher.played.count((month.players["TN"][0], first.id)) == 1
