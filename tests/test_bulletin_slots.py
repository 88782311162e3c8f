"""Bulletin slots in the database: placed on send, around the airings, never overlapped later."""

from __future__ import annotations

import base64
import itertools
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa import migrate
from loa.app import build_services
from loa.canonical import canonical_json
from loa.clock import FrozenClock
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.bulletins import (
    approve_bulletin,
    cancel_bulletin,
    create_bulletin,
    get_bulletin,
)
from loa.playlists.campaigns import get_campaign
from loa.playlists.models import (
    Airing,
    AiringStatus,
    Bulletin,
    BulletinSlot,
    BulletinSlotStatus,
)
from loa.scheduler.bulletin_slots import (
    place_bulletin_slots,
    place_unplaced,
    settle_slots,
    slot_placer,
)
from loa.scheduler.edits import add_airing
from loa.scheduler.service import plan
from loa.scheduler.settle import GRACE
from loa.services import Services
from loa.settings import Settings
from loa.stations.models import Player, Station
from loa.stations.units import get_unit
from loa.web.users import add_user
from tests.helpers.bulletins import notice
from tests.helpers.factories import enrolled_month, hai_phong_month
from tests.helpers.publishers import RecordingPublisher
from tests.helpers.web import PASSWORD, login

pytestmark = pytest.mark.both_databases  # the database is the point here

GAP = timedelta(seconds=30)
TOLERANCE = timedelta(minutes=5)  # LOA_START_TOLERANCE_MINUTES
MINUTE = timedelta(minutes=1)


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


def station(s: Session, code: str) -> Station:
    return s.scalars(select(Station).where(Station.code == code)).one()


def holding(s: Session, code: str) -> list[Airing]:
    return list(s.scalars(
        select(Airing).where(Airing.station_id == station(s, code).id,
                             Airing.status != AiringStatus.cancelled)
        .order_by(Airing.starts_at)
    ))


def slots(s: Session, code: str | None = None) -> list[BulletinSlot]:
    query = select(BulletinSlot).order_by(BulletinSlot.starts_at, BulletinSlot.id)
    if code is not None:
        query = query.where(BulletinSlot.station_id == station(s, code).id)
    return list(s.scalars(query))


def assert_nothing_overlaps(s: Session, code: str) -> None:
    """No two items (airings, slots still holding air) of the station come within the gap."""
    items = [(a.starts_at, a.starts_at + timedelta(milliseconds=a.programme.duration_ms or 0))
             for a in holding(s, code)]
    items += [(sl.starts_at, sl.ends_at) for sl in slots(s, code)
              if sl.status is not BulletinSlotStatus.cancelled]
    for (_s1, e1), (s2, _e2) in itertools.pairwise(sorted(items)):
        assert e1 + GAP <= s2


def planned_month(services: Services, s: Session) -> None:
    hai_phong_month(services, s)
    plan(s, "2026-12", services.clock.now(), GAP)


def test_a_normal_bulletin_follows_the_airing_in_each_stations_window(
    services: Services, publisher: RecordingPublisher
) -> None:
    with transaction(services.sessions) as s:
        planned_month(services, s)
        first = holding(s, "TN")[0]
        publisher.changed.clear()
        bulletin = notice(s, services.clock.now(), first.starts_at - timedelta(hours=1))
        report = place_bulletin_slots(s, bulletin, services.clock.now(), GAP)
        assert publisher.changed == []  # not before the commit
        for code in ("TN", "TH"):
            airing = holding(s, code)[0]
            (slot,) = slots(s, code)
            assert slot.starts_at == airing.starts_at + timedelta(minutes=12) + GAP
            assert slot.ends_at == slot.starts_at + MINUTE
            assert slot.status is BulletinSlotStatus.planned
        assert len(report.slots) == 2 and report.moved == 0
        players = set(s.scalars(select(Player.id)))
    assert set(publisher.changed) == players
    with transaction(services.sessions) as s:  # placing twice adds nothing
        again = place_bulletin_slots(s, s.get_one(Bulletin, bulletin.id), services.clock.now(), GAP)
        assert again.slots == [] and len(slots(s)) == 2


def test_the_meeting_notice_is_read_three_evenings_running(services: Services) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        evening = datetime.fromisoformat("2026-12-03T17:00:00+07:00")
        bulletin = notice(s, services.clock.now(), evening, count=3, every=timedelta(days=1),
                          until=timedelta(days=3))
        place_bulletin_slots(s, bulletin, services.clock.now(), GAP)
        starts = [sl.starts_at.astimezone(evening.tzinfo).isoformat() for sl in slots(s, "TN")]
        assert starts == ["2026-12-03T17:00:00+07:00", "2026-12-04T17:00:00+07:00",
                          "2026-12-05T17:00:00+07:00"]


def test_a_priority_bulletin_opens_the_window_and_the_airing_moves_after_it(
    services: Services, publisher: RecordingPublisher
) -> None:
    with transaction(services.sessions) as s:
        planned_month(services, s)
        airing = holding(s, "TN")[0]
        opened = airing.starts_at
        airing.status = AiringStatus.published  # a player already holds it
        bulletin = notice(s, services.clock.now(), opened - timedelta(hours=1),
                          priority="priority")
        report = place_bulletin_slots(s, bulletin, services.clock.now(), GAP)
        (slot,) = slots(s, "TN")
        assert slot.starts_at == opened
        assert airing.starts_at == opened + MINUTE + GAP
        assert airing.status is AiringStatus.planned  # the players must fetch it again
        assert report.moved == 2  # the same on TH
        assert_nothing_overlaps(s, "TN")


def test_an_airing_pushed_out_of_a_full_window_is_made_up_and_the_count_holds(
    services: Services,
) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        for code in ("TN", "TH"):
            station(s, code).windows = ["17:00-17:13"]  # a 12-minute programme fills it
        plan(s, "2026-12", services.clock.now(), GAP)
        pushed = holding(s, "TN")[0]
        start = pushed.starts_at
        bulletin = notice(s, services.clock.now(), start - timedelta(hours=1), priority="priority")
        report = place_bulletin_slots(s, bulletin, services.clock.now(), GAP)
        assert pushed.status is AiringStatus.cancelled
        assert report.made_up == 2
        assert [sl.starts_at for sl in slots(s, "TN")] == [start]
        minimum = get_campaign(s, "CDS").min_airings
        assert len(holding(s, "TN")) == minimum
        assert all(a.starts_at.date() != start.date() for a in holding(s, "TN"))
        assert_nothing_overlaps(s, "TN")


def test_the_planner_plans_around_bulletin_slots(services: Services) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        station(s, "TN").windows = ["17:00-17:13"]
        # A one-minute notice every evening of December leaves no room for 12 minutes.
        bulletin = notice(s, services.clock.now(), services.clock.now(), count=31,
                          every=timedelta(days=1), until=timedelta(days=31))
        place_bulletin_slots(s, bulletin, services.clock.now(), GAP)
        assert len(slots(s, "TN")) == 31
        report = plan(s, "2026-12", services.clock.now(), GAP)
        tn = next(r for r in report.rows if r.station == "TN")
        assert tn.planned == 0 and "0 of 3" in (tn.warning or "")
        assert holding(s, "TN") == []


def test_an_operator_cannot_put_an_airing_over_a_bulletin(services: Services) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        evening = datetime.fromisoformat("2026-12-03T17:00:00+07:00")
        place_bulletin_slots(s, notice(s, services.clock.now(), evening),
                             services.clock.now(), GAP)
        with pytest.raises(LoaError, match="trùng"):
            add_airing(s, station(s, "TN"), get_campaign(s, "CDS"), evening + MINUTE,
                       services.clock.now(), GAP)
        added = add_airing(s, station(s, "TN"), get_campaign(s, "CDS"), evening + 2 * MINUTE,
                           services.clock.now(), GAP)
        assert added.airing.starts_at == evening + 2 * MINUTE
        assert_nothing_overlaps(s, "TN")


def test_the_schedule_lists_the_slots_and_serving_publishes_them(
    services: Services, client: Any
) -> None:
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        token = month.players["TN"][1]
    headers = {"Authorization": f"Bearer {token}"}
    before = client.get("/api/v1/player/schedule", headers=headers)
    assert before.json["bulletins"] == []
    evening = datetime.fromisoformat("2026-12-03T17:00:00+07:00")
    with transaction(services.sessions) as s:
        bulletin = notice(s, services.clock.now(), evening, priority="priority")
        place_bulletin_slots(s, bulletin, services.clock.now(), GAP)
        sha = bulletin.asset_sha256
    answer = client.get("/api/v1/player/schedule", headers={
        **headers, "If-None-Match": before.headers["ETag"]})
    assert answer.status_code == 200  # a new slot changes the ETag
    (entry,) = answer.json["bulletins"]
    assert entry == {
        "slot_id": entry["slot_id"], "bulletin_id": bulletin.id, "priority": "priority",
        "title": "Thông báo họp", "starts_at": "2026-12-03T17:00:00+07:00",
        "audio": {"url": f"/api/v1/audio/{sha}", "sha256": sha, "bytes": 2000,
                  "format": "mp3", "duration_ms": 60_000},
    }
    with transaction(services.sessions) as s:
        assert slots(s, "TN")[0].status is BulletinSlotStatus.published
        assert slots(s, "TH")[0].status is BulletinSlotStatus.planned  # its player never asked
    again = client.get("/api/v1/player/schedule", headers={
        **headers, "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def completion(key: Ed25519PrivateKey, slot: BulletinSlot, sha: str) -> dict[str, Any]:
    event = {
        "id": str(uuid.uuid4()), "type": "bulletin.completed", "airing_id": None,
        "bulletin_id": slot.bulletin_id, "at": slot.ends_at.isoformat(), "sha256": sha,
        "played_ms": 60_000, "detail": {"slot_id": slot.id},
    }
    return {**event, "sig": base64.b64encode(key.sign(canonical_json(event).encode())).decode()}


def test_a_played_slot_settles_aired_and_a_silent_one_missed(
    services: Services, clock: FrozenClock, client: Any
) -> None:
    key = Ed25519PrivateKey.generate()
    evening = datetime.fromisoformat("2026-12-03T17:00:00+07:00")
    with transaction(services.sessions) as s:
        month, _player, _airings = enrolled_month(services, s, key)
        bulletin = notice(s, services.clock.now(), evening, count=2, every=timedelta(days=1))
        place_bulletin_slots(s, bulletin, services.clock.now(), GAP)
        first, second = slots(s, "TN")
        event = completion(key, first, bulletin.asset_sha256)
        # TN's player naming TH's slot vouches for nothing there
        stray = completion(key, slots(s, "TH")[0], bulletin.asset_sha256)
    clock.set(second.ends_at + MINUTE)
    answer = client.post("/api/v1/player/events", json={"events": [event, stray]},
                         headers={"Authorization": f"Bearer {month.players['TN'][1]}"})
    assert answer.json["accepted"] == [event["id"], stray["id"]], answer.json
    with transaction(services.sessions) as s:
        # TN played its first; TH's first heard nothing for a day
        assert settle_slots(s, clock.now(), TOLERANCE) == {
            BulletinSlotStatus.aired: 1, BulletinSlotStatus.missed: 1}
        assert [sl.status for sl in slots(s, "TN")] == [
            BulletinSlotStatus.aired, BulletinSlotStatus.planned]  # still in its grace
    clock.set(second.ends_at + GRACE)
    with transaction(services.sessions) as s:
        settle_slots(s, clock.now(), TOLERANCE)
        assert [sl.status for sl in slots(s, "TN")] == [
            BulletinSlotStatus.aired, BulletinSlotStatus.missed]
        assert {sl.status for sl in slots(s, "TH")} == {BulletinSlotStatus.missed}


def evening_slot(services: Services, key: Ed25519PrivateKey) -> tuple[Any, BulletinSlot,
                                                                     dict[str, Any]]:
    """TN's month with a player signing with ``key``, a notice placed once in the evening
    window of the 3rd: the month, its one slot, and a completion of it as the player signs."""
    evening = datetime.fromisoformat("2026-12-03T17:00:00+07:00")
    with transaction(services.sessions) as s:
        month, _player, _airings = enrolled_month(services, s, key)
        bulletin = notice(s, services.clock.now(), evening, count=1, every=timedelta(days=1))
        place_bulletin_slots(s, bulletin, services.clock.now(), GAP)
        (slot,) = slots(s, "TN")
        return month, slot, completion(key, slot, bulletin.asset_sha256)


@pytest.mark.parametrize("cut", [
    {"detail": {"reason": "emergency"}},   # an emergency cut into it
    {"detail": {"cancelled": True}},
    {"played_ms": 20_000},                  # a third of it
    {"sha256": "0" * 64},                   # other audio
])
def test_a_play_cut_short_is_no_airing_of_the_slot(
    services: Services, clock: FrozenClock, client: Any, cut: dict[str, Any]
) -> None:
    key = Ed25519PrivateKey.generate()
    month, slot, event = evening_slot(services, key)
    event = {k: v for k, v in {**event, **cut}.items() if k != "sig"}
    event["detail"] = {"slot_id": slot.id, **cut.get("detail", {})}
    event["sig"] = base64.b64encode(key.sign(canonical_json(event).encode())).decode()
    clock.set(slot.ends_at + MINUTE)
    answer = client.post("/api/v1/player/events", json={"events": [event]},
                         headers={"Authorization": f"Bearer {month.players['TN'][1]}"})
    assert answer.status_code == 200
    clock.set(slot.ends_at + GRACE)
    with transaction(services.sessions) as s:
        settle_slots(s, clock.now(), TOLERANCE)
        assert [sl.status for sl in slots(s, "TN")] == [BulletinSlotStatus.missed]


@pytest.mark.parametrize(("began", "received"), [
    (timedelta(minutes=10), timedelta(minutes=12)),  # began 10 min off its slot
    (timedelta(0), -timedelta(hours=3, minutes=45)),  # reported before the slot began
])
def test_a_slot_is_aired_only_by_a_play_begun_within_the_tolerance_of_it(
    services: Services, clock: FrozenClock, client: Any, began: timedelta,
    received: timedelta,
) -> None:
    key = Ed25519PrivateKey.generate()
    month, slot, event = evening_slot(services, key)
    event = {k: v for k, v in event.items() if k != "sig"}
    event["at"] = (slot.ends_at + began).isoformat()
    event["sig"] = base64.b64encode(key.sign(canonical_json(event).encode())).decode()
    clock.set(slot.starts_at + received)
    answer = client.post("/api/v1/player/events", json={"events": [event]},
                         headers={"Authorization": f"Bearer {month.players['TN'][1]}"})
    assert answer.json["accepted"] == [event["id"]]  # logged as signed
    clock.set(slot.ends_at + GRACE)
    with transaction(services.sessions) as s:
        settle_slots(s, clock.now(), TOLERANCE)
        assert [sl.status for sl in slots(s, "TN")] == [BulletinSlotStatus.missed]


def test_a_bulletin_sent_without_slots_is_placed_by_the_settle_job(services: Services) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        notice(s, services.clock.now(), services.clock.now())
        emergency = notice(s, services.clock.now(), services.clock.now(), priority="emergency",
                           label="bão")
        assert place_unplaced(s, services.clock.now(), GAP) == 1
        assert {sl.bulletin_id for sl in slots(s)} != {emergency.id}
        assert len(slots(s)) == 2
        assert place_unplaced(s, services.clock.now(), GAP) == 0


def test_approving_places_the_slots_and_cancelling_frees_them(
    services: Services, publisher: RecordingPublisher
) -> None:
    with transaction(services.sessions) as s:
        planned_month(services, s)
        first = holding(s, "TN")[0]
        opened = first.starts_at
        bulletin = create_bulletin(
            s, unit=get_unit(s, "31"), author="thu", role="operator", title="Họp tổ dân phố",
            priority="priority", text="Mời bà con họp tổ dân phố lúc 19 giờ.",
            valid_from=first.starts_at - timedelta(hours=2), store=services.store,
            clock=services.clock, place_slots=slot_placer(GAP),
        )
        assert slots(s) == []  # pending: nothing on air until a leader approves
        publisher.changed.clear()
        approve_bulletin(s, bulletin, by="lan", role="leader", clock=services.clock,
                         place_slots=slot_placer(GAP))
        # the first item of the window; the campaign airing follows it
        assert [sl.starts_at for sl in slots(s, "TN")] == [opened]
        assert first.starts_at == slots(s, "TN")[0].ends_at + GAP
        bulletin_id = bulletin.id
    assert len(set(publisher.changed)) == 2  # both stations' players, after the commit
    publisher.changed.clear()
    with transaction(services.sessions) as s:
        cancel_bulletin(s, get_bulletin(s, bulletin_id), by="lan", role="leader",
                        clock=services.clock)
        assert {sl.status for sl in slots(s)} == {BulletinSlotStatus.cancelled}
    assert len(set(publisher.changed)) == 2


def test_the_station_calendar_shows_the_bulletin_plays(services: Services, client: Any) -> None:
    evening = datetime.fromisoformat("2026-12-03T17:00:00+07:00")
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        add_user(s, "xa", PASSWORD, "operator", "11560")
        place_bulletin_slots(s, notice(s, services.clock.now(), evening, priority="priority",
                                       count=2, every=timedelta(days=1)),
                             services.clock.now(), GAP)
        slots(s, "TN")[1].status = BulletinSlotStatus.cancelled
    login(client, "xa")
    page = client.get("/stations/TN?month=2026-12").get_data(as_text=True)
    shown = re.findall(r'class="airing airing-bulletin airing-bulletin-priority" '
                       r'title="Thông báo họp">(\d\d:\d\d) 📢 Thông báo họp<', page)
    assert shown == ["17:00"]  # the cancelled play of the 4th is not on the calendar


def test_a_busy_month_never_overlaps_whatever_is_sent_and_planned_after(
    services: Services,
) -> None:
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        station(s, "TN").windows = ["05:30-05:45", "17:00-17:14"]  # tight: things get pushed
        plan(s, "2026-12", services.clock.now(), GAP)
        now = services.clock.now()
        base = holding(s, "TN")[0].starts_at - timedelta(hours=13)
        kinds = ["priority", "normal", "priority", "normal", "normal", "priority"]
        moved = made_up = 0
        for n, kind in enumerate(kinds):
            sent = base + timedelta(hours=5 * n)
            bulletin = notice(s, sent, sent, priority=kind, seconds=45 + 60 * n, count=1 + n % 3,
                              every=timedelta(hours=11), until=timedelta(days=20),
                              label=f"{kind} {n}")
            report = place_bulletin_slots(s, bulletin, sent, GAP)
            moved, made_up = moved + report.moved, made_up + report.made_up
            assert_nothing_overlaps(s, "TN")
        assert moved and made_up  # priority bulletins did shift and push out airings
        # the count still holds: every pushed-out airing was made up
        assert len(holding(s, "TN")) == get_campaign(s, "CDS").min_airings
        for airing in holding(s, "TN")[:1]:
            airing.status = AiringStatus.missed  # lost: planning again makes it up
        report = plan(s, "2026-12", now, GAP)
        assert sum(r.planned for r in report.rows if r.station == "TN") == 1
        assert_nothing_overlaps(s, "TN")
        assert_nothing_overlaps(s, "TH")
