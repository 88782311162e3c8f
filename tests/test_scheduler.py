"""Planning, settling and live dispatch against the database; players told after commit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from loa import migrate
from loa.app import build_services
from loa.clock import FrozenClock
from loa.db import transaction
from loa.playlists.models import Airing, AiringStatus, Programme, ProgrammeStatus
from loa.scheduler.live import LiveDispatcher
from loa.scheduler.runtime import settle_job
from loa.scheduler.service import plan
from loa.scheduler.settle import GRACE
from loa.services import Services
from loa.settings import Settings
from loa.web.users import add_user
from tests.helpers.factories import (
    approved_programme,
    enrolled_month,
    hai_phong_month,
    signed_completion,
)
from tests.helpers.publishers import RecordingPublisher
from tests.helpers.web import PASSWORD, csrf, login

pytestmark = pytest.mark.both_databases  # the database is the point here

GAP = timedelta(seconds=30)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def services(
    settings: Settings, clock: FrozenClock, publisher: RecordingPublisher
) -> Iterator[Services]:
    migrate.upgrade(settings.database_url)
    built = build_services(settings, clock=clock, publisher=publisher)
    publisher.services = built
    yield built
    built.sessions.kw["bind"].dispose()


def airings(s: Any, station_code: str | None = None) -> list[Airing]:
    query = select(Airing).order_by(Airing.starts_at)
    found = s.scalars(query).all()
    return [a for a in found if station_code is None or a.station.code == station_code]


def test_players_are_told_only_once_the_plan_has_committed(
    services: Services, publisher: RecordingPublisher
) -> None:
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        report = plan(s, "2026-12", services.clock.now(), GAP)
        assert [(r.station, r.planned, r.total) for r in report.rows] == [
            ("TH", 3, 3),
            ("TN", 3, 3),
        ]
        assert publisher.changed == []  # not while the airings are uncommitted
    assert sorted(publisher.changed) == sorted(p for p, _ in month.players.values())
    assert publisher.visible_at_notice == [6]  # a player fetching at once sees all six
    publisher.changed.clear()
    with transaction(services.sessions) as s:
        report = plan(s, "2026-12", services.clock.now(), GAP)
        assert [r.planned for r in report.rows] == [0, 0]
        assert len(airings(s)) == 6
    assert publisher.changed == []


def test_a_plan_rolled_back_tells_no_one(
    services: Services, publisher: RecordingPublisher
) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
    with pytest.raises(RuntimeError), transaction(services.sessions) as s:
        assert sum(r.planned for r in plan(s, "2026-12", services.clock.now(), GAP).rows) == 6
        raise RuntimeError("a later step of the same command failed")
    with transaction(services.sessions) as s:
        assert airings(s) == []
        plan(s, "2026-12", services.clock.now(), GAP)  # the same session factory, next time
    assert publisher.visible_at_notice == [6]


def test_a_commune_programme_replaces_the_relayed_one_for_future_airings(
    services: Services, clock: Any
) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        plan(s, "2026-12", clock.now(), GAP)
    first = None
    with transaction(services.sessions) as s:
        first = airings(s, "TN")[0]
        clock.set(first.starts_at + timedelta(hours=1))  # the first relayed airing is past
        own = approved_programme(s, "11560", "2026-12", 660_000, clock.now())
        report = plan(s, "2026-12", clock.now(), GAP)
        tn = next(r for r in report.rows if r.station == "TN")
        assert tn.cancelled == 2 and tn.programme_id == own.id
        holding = [a for a in airings(s, "TN") if a.status is not AiringStatus.cancelled]
        # The relayed airing that started before the approval keeps its place in the count.
        assert [a.programme_id for a in holding].count(own.id) == 2 and len(holding) == 3
        assert holding[0].id == first.id  # what already aired stays in the record
        assert all(a.starts_at > clock.now() for a in holding if a.programme_id == own.id)


def test_a_missed_airing_gets_its_make_up_when_settled_not_at_night(
    services: Services, clock: FrozenClock, publisher: RecordingPublisher
) -> None:
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        plan(s, "2026-12", clock.now(), GAP)
        first = airings(s, "TN")[0]
    publisher.changed.clear()
    clock.set(first.starts_at + timedelta(minutes=12) + GRACE)
    settle_job(services)  # one settle run, at 14:00 or so: not the 00:05 re-plan
    with transaction(services.sessions) as s:
        tn = airings(s, "TN")
        assert [a.status for a in tn if a.id == first.id] == [AiringStatus.missed]
        upcoming = [a for a in tn if a.status is AiringStatus.planned]
        assert len(upcoming) == 3 and all(a.starts_at > clock.now() for a in upcoming)
    tn_player = month.players["TN"][0]
    assert tn_player in publisher.changed  # told of its make-up, after the commit


def other_audio(key: Ed25519PrivateKey, airing: Airing, sha256: str) -> dict[str, Any]:
    return signed_completion(key, airing, "f" * 64)  # played 12 min in full


def off_slot(key: Ed25519PrivateKey, airing: Airing, sha256: str) -> dict[str, Any]:
    return signed_completion(key, airing, sha256,
                             at=(airing.starts_at + timedelta(minutes=32)).isoformat())


@pytest.mark.parametrize("completion", [other_audio, off_slot])
def test_a_completion_the_audit_would_not_count_is_failed_and_made_up(
    services: Services, clock: FrozenClock, client: Any, completion: Any
) -> None:
    """Settling holds a completion to the audit's rule: a full play of other audio, or one
    that began 20 minutes off its slot, counts for nothing, so it is made up, not aired."""
    key = Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        month, _, tn = enrolled_month(services, s, key)
        first = tn[0]
        token = month.players["TN"][1]
        event = completion(key, first, month.sha256)
    clock.set(first.starts_at + timedelta(minutes=33))
    answer = client.post(
        "/api/v1/player/events",
        json={"events": [event]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200 and answer.json["accepted"], answer.json
    settle_job(services)
    with transaction(services.sessions) as s:
        assert s.get_one(Airing, first.id).status is AiringStatus.planned  # not aired
    clock.set(first.starts_at + timedelta(minutes=12) + GRACE)
    settle_job(services)
    with transaction(services.sessions) as s:
        assert s.get_one(Airing, first.id).status is AiringStatus.failed
    schedule = client.get(
        "/api/v1/player/schedule", headers={"Authorization": f"Bearer {token}"}
    ).json
    ahead = [a["id"] for a in schedule["airings"]]
    assert len(ahead) == 3 and first.id not in ahead  # two left and a make-up


def test_live_players_are_told_to_play_once_when_the_slot_comes(
    services: Services, clock: Any, publisher: RecordingPublisher
) -> None:
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s, live=True)
        plan(s, "2026-12", clock.now(), GAP)
        dispatcher = LiveDispatcher(clock.now(), catch_up=timedelta(seconds=10))
        first = airings(s, "TN")[0]
        clock.set(first.starts_at - timedelta(seconds=1))
        assert dispatcher.dispatch(s, clock.now(), publisher) == 0
        clock.advance(seconds=2)
        dispatcher.dispatch(s, clock.now(), publisher)
        dispatcher.dispatch(s, clock.now(), publisher)
    assert (month.players["TN"][0], first.id) in publisher.played
    assert publisher.played.count((month.players["TN"][0], first.id)) == 1


def test_a_dispatcher_idle_for_hours_does_not_announce_old_slots(
    services: Services, clock: Any, publisher: RecordingPublisher
) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s, live=True)
        plan(s, "2026-12", clock.now(), GAP)
        dispatcher = LiveDispatcher(clock.now(), catch_up=timedelta(seconds=10))
        clock.set(airings(s, "TN")[0].starts_at + timedelta(minutes=5))  # a follower took over
        assert dispatcher.dispatch(s, clock.now(), publisher) == 0
    assert publisher.played == []


def test_approving_in_the_web_plans_the_month_and_tells_players_after_commit(
    services: Services, publisher: RecordingPublisher, client: Any
) -> None:
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        programme = s.get_one(Programme, month.programme_id)
        programme.status = ProgrammeStatus.rendered  # rendered, waiting for approval
        programme.submitted_at = services.clock.now()
        add_user(s, "tinh", PASSWORD, "leader", "31")
    token = csrf(login(client, "tinh").data)
    page = client.post(
        f"/programmes/{month.programme_id}/approve",
        data={"csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "xếp thêm 6 lượt phát" in page
    assert sorted(publisher.changed) == sorted(p for p, _ in month.players.values())
    assert publisher.visible_at_notice == [6]
