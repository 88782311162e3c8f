"""Bulletins from the units above (issue 16 §4, TT39): a normal one is offered to each
commune, which accepts or declines it; the clock accepts it after LOA_OFFER_HOURS; the
commune orders the priority bulletins at the head of its window. The database and the
command line."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

import tests.helpers.bulletins
from loa.clock import VN, FrozenClock
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.bulletin_offers import (
    accept_offer,
    decline_offer,
    get_offer,
    offers_of,
    offers_waiting_for,
)
from loa.playlists.bulletins import approve_bulletin, cancel_bulletin
from loa.playlists.models import (
    Bulletin,
    BulletinOffer,
    BulletinOfferState,
    BulletinSlot,
    BulletinSlotStatus,
)
from loa.scheduler.bulletin_order import movable, move_ahead
from loa.scheduler.bulletin_slots import place_unplaced, slot_placer
from loa.scheduler.runtime import offers_job
from loa.services import Services
from loa.settings import SettingsError, load_settings
from loa.stations.models import Station
from loa.stations.service import get_station
from loa.stations.units import get_unit
from tests.conftest import Loa
from tests.helpers.bulletins import send
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.both_databases  # the offers and the slots are rows: both databases

tree = tests.helpers.bulletins.tree  # 31 with wards 11560 (TN) and 11557 (TH); 01 with HN
GAP = timedelta(seconds=30)
PLACE = slot_placer(GAP)
EVENING = datetime(2026, 12, 1, 17, 0, tzinfo=VN)  # the first window opening after 08:00
MEETING = "Mời bà con dự họp tổ dân phố lúc 19 giờ 30 tối nay tại nhà văn hóa."


def slots_of(s: Session, bulletin_id: int) -> dict[str, list[BulletinSlot]]:
    """The bulletin's slots still holding air, by station code."""
    found: dict[str, list[BulletinSlot]] = {}
    for slot in s.scalars(select(BulletinSlot).where(
            BulletinSlot.bulletin_id == bulletin_id,
            BulletinSlot.status != BulletinSlotStatus.cancelled)
            .order_by(BulletinSlot.starts_at)):
        found.setdefault(s.get_one(Station, slot.station_id).code, []).append(slot)
    return found


def states(s: Session, bulletin_id: int) -> dict[str, tuple[BulletinOfferState, str | None]]:
    bulletin = s.get_one(Bulletin, bulletin_id)
    return {o.code: (o.state, o.reason) for o in offers_of(s, bulletin, 2)}


def from_province(services: Services, **kw: Any) -> int:
    """A normal bulletin of Hải Phòng (31) to its wards, sent by a script."""
    with transaction(services.sessions) as s:
        return send(services, s, "31", priority=kw.pop("priority", "normal"),
                    text=kw.pop("text", MEETING), **kw).id


def answer(services: Services, bulletin_id: int, station: str, unit: str, *,
           decline: str | None = None, role: str = "leader") -> None:
    with transaction(services.sessions) as s:
        offer = get_offer(s, bulletin_id, get_station(s, station))
        who = {"by": f"{role}-{unit}", "role": role, "user_unit_id": get_unit(s, unit).id,
               "clock": services.clock}
        if decline is None:
            accept_offer(s, offer, place_slots=PLACE, **who)
        else:
            decline_offer(s, offer, reason=decline, **who)


def test_a_normal_bulletin_from_the_province_waits_for_each_commune(
    services: Services, tree: dict
) -> None:
    sent = from_province(services)
    with transaction(services.sessions) as s:
        assert states(s, sent) == {"TH": (BulletinOfferState.offered, None),
                                   "TN": (BulletinOfferState.offered, None)}
        assert slots_of(s, sent) == {}  # nothing airs unasked
        assert place_unplaced(s, services.clock.now(), GAP) == 0  # not even by the safety net
        assert [o.bulletin_id for o in offers_waiting_for(s, get_unit(s, "11560").id,
                                                          services.clock.now())] == [sent]
        assert offers_waiting_for(s, get_unit(s, "31").id, services.clock.now()) == []
    answer(services, sent, "TN", "11560")
    answer(services, sent, "TH", "11557", decline="Xã đã thông báo họp qua loa riêng")
    with transaction(services.sessions) as s:
        placed = slots_of(s, sent)
        assert list(placed) == ["TN"]  # placed as any normal bulletin, on the accepting ward
        assert placed["TN"][0].starts_at == EVENING
        assert states(s, sent) == {
            "TH": (BulletinOfferState.declined, "Xã đã thông báo họp qua loa riêng"),
            "TN": (BulletinOfferState.accepted, None)}
        offer = get_offer(s, sent, get_station(s, "TN"))
        assert (offer.answered_by, offer.answered_at) == ("leader-11560", services.clock.now())
        assert offers_waiting_for(s, get_unit(s, "11560").id, services.clock.now()) == []
        assert place_unplaced(s, services.clock.now(), GAP) == 0
        assert list(slots_of(s, sent)) == ["TN"]  # the declined ward stays silent


def test_an_offer_is_answered_once_by_its_own_commune(services: Services, tree: dict) -> None:
    with transaction(services.sessions) as s:  # an operator's notice waits for its leader
        pending = send(services, s, "31", priority="normal", role="operator", author="thu",
                       text=MEETING)
        assert s.scalars(select(BulletinOffer)).all() == []  # offered only once sent
        approve_bulletin(s, pending, by="lan", role="leader", clock=services.clock,
                         place_slots=PLACE)
        sent = pending.id
    with transaction(services.sessions) as s:
        assert set(states(s, sent)) == {"TN", "TH"} and slots_of(s, sent) == {}
    for station, unit, role, words in (
        ("TN", "11557", "leader", "only the station's own commune"),  # another ward
        ("TN", "31", "admin", "only the station's own commune"),  # the sender's side
        ("TN", "11560", "auditor", "this role may not answer"),
    ):
        with pytest.raises(LoaError, match=words):
            answer(services, sent, station, unit, role=role)
    with pytest.raises(LoaError, match="a reason is needed"):
        answer(services, sent, "TN", "11560", decline="   ")
    answer(services, sent, "TN", "11560", role="operator")
    with pytest.raises(LoaError, match="already answered"):
        answer(services, sent, "TN", "11560", decline="Đổi ý")
    with transaction(services.sessions) as s:
        assert states(s, sent)["TN"] == (BulletinOfferState.accepted, None)
        assert len(slots_of(s, sent)["TN"]) == 1


def test_a_communes_own_bulletin_and_priority_ones_from_above_are_no_offers(
    services: Services, tree: dict
) -> None:
    with transaction(services.sessions) as s:
        own = send(services, s, "11560", priority="normal", text=MEETING).id
    urgent = from_province(services, priority="priority", text="Cắt điện từ 13 giờ ngày mai.")
    with transaction(services.sessions) as s:
        assert s.scalars(select(BulletinOffer)).all() == []
        assert [sl.starts_at for sl in slots_of(s, own)["TN"]] != []
        heads = slots_of(s, urgent)
        assert sorted(heads) == ["TH", "TN"]
        assert heads["TN"][0].starts_at == EVENING  # the head of the next window, as before


def test_the_clock_accepts_an_offer_not_answered_in_time(
    services: Services, tree: dict, clock: FrozenClock
) -> None:
    sent = from_province(services)
    dropped = from_province(services, text="Thông báo lịch tiêm phòng cho trẻ em.")
    answer(services, sent, "TH", "11557", decline="Trùng lịch họp của phường")
    with transaction(services.sessions) as s:
        cancel_bulletin(s, s.get_one(Bulletin, dropped), by=None, role=None, clock=clock)
    clock.advance(hours=2, seconds=-1)
    offers_job(services)
    with transaction(services.sessions) as s:
        assert states(s, sent)["TN"][0] is BulletinOfferState.offered
        assert slots_of(s, sent) == {}
    clock.advance(seconds=1)  # LOA_OFFER_HOURS (2) after it was sent
    offers_job(services)
    with transaction(services.sessions) as s:
        assert states(s, sent) == {
            "TH": (BulletinOfferState.declined, "Trùng lịch họp của phường"),  # a no stays no
            "TN": (BulletinOfferState.auto_accepted, None)}
        offer = get_offer(s, sent, get_station(s, "TN"))
        assert offer.answered_at == clock.now() and offer.answered_by is None
        assert list(slots_of(s, sent)) == ["TN"] and slots_of(s, sent)["TN"][0].starts_at == EVENING
        assert states(s, dropped)["TN"][0] is BulletinOfferState.offered  # cancelled: left be
        assert slots_of(s, dropped) == {}
    offers_job(services)  # running again changes nothing
    with transaction(services.sessions) as s:
        assert len(slots_of(s, sent)["TN"]) == 1


def _waiting_on_a_lock(services: Services) -> bool:
    with services.sessions() as s:
        return bool(s.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()")))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_commune_answering_as_the_clock_strikes_is_answered_once(
    services: Services, tree: dict, clock: FrozenClock
) -> None:
    sent = from_province(services)
    clock.advance(hours=2)
    job = threading.Thread(target=offers_job, args=(services,))
    with transaction(services.sessions) as s:  # the ward's "no" is under way
        offer = get_offer(s, sent, get_station(s, "TN"))
        job.start()
        assert wait_until(lambda: _waiting_on_a_lock(services), seconds=10)  # the clock waits
        decline_offer(s, offer, by="lanhdao", role="leader", user_unit_id=get_unit(s, "11560").id,
                      reason="Phường đã có thông báo riêng", clock=clock)
    job.join(timeout=30)
    assert not job.is_alive()
    with transaction(services.sessions) as s:
        assert states(s, sent) == {
            "TH": (BulletinOfferState.auto_accepted, None),
            "TN": (BulletinOfferState.declined, "Phường đã có thông báo riêng")}
        assert list(slots_of(s, sent)) == ["TH"]


def test_loa_offer_hours_gives_the_commune_longer_to_answer(
    services: Services, tree: dict, clock: FrozenClock, env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Six hours set: the clock leaves the offer to the commune past the default two, and
    accepts it at six."""
    six = load_settings(env | {"LOA_OFFER_HOURS": "6"}).offer_hours
    monkeypatch.setattr(services, "settings", replace(services.settings, offer_hours=six))
    sent = from_province(services)
    clock.advance(hours=6, seconds=-1)
    offers_job(services)
    with transaction(services.sessions) as s:
        assert states(s, sent)["TN"][0] is BulletinOfferState.offered
    clock.advance(seconds=1)
    offers_job(services)
    with transaction(services.sessions) as s:
        assert states(s, sent)["TN"][0] is BulletinOfferState.auto_accepted


def test_a_bad_loa_offer_hours_is_refused(env: dict[str, str]) -> None:
    for wrong in ("0", "hai"):
        with pytest.raises(SettingsError, match="LOA_OFFER_HOURS"):
            load_settings(env | {"LOA_OFFER_HOURS": wrong})


def test_the_commune_puts_its_own_priority_bulletin_ahead_of_the_provinces(
    services: Services, tree: dict, clock: FrozenClock
) -> None:
    province = from_province(services, priority="priority", text="Cắt điện từ 13 giờ ngày mai.")
    with transaction(services.sessions) as s:
        own = send(services, s, "11560", priority="priority",
                   text="Phường tổ chức tiêm phòng dại cho chó mèo sáng mai.").id
    with transaction(services.sessions) as s:
        theirs, mine = slots_of(s, province)["TN"][0], slots_of(s, own)["TN"][0]
        assert theirs.starts_at == EVENING and mine.starts_at == theirs.ends_at + GAP
        assert movable(s, [theirs, mine], clock.now()) == {mine.id}
        with pytest.raises(LoaError, match="already first"):
            move_ahead(s, theirs, clock.now(), GAP)
    with transaction(services.sessions) as s:
        mine = slots_of(s, own)["TN"][0]
        mine_len, end_before = mine.ends_at - mine.starts_at, mine.ends_at
        passed = move_ahead(s, mine, clock.now(), GAP)
        assert passed.bulletin_id == province
    with transaction(services.sessions) as s:
        theirs, mine = slots_of(s, province)["TN"][0], slots_of(s, own)["TN"][0]
        assert mine.starts_at == EVENING and mine.ends_at == EVENING + mine_len
        assert theirs.starts_at == mine.ends_at + GAP and theirs.ends_at == end_before
        assert theirs.status is mine.status is BulletinSlotStatus.planned
        assert slots_of(s, province)["TH"][0].starts_at == EVENING  # the other ward untouched
    clock.set(EVENING - timedelta(seconds=30))  # too late: the first is about to air
    with transaction(services.sessions) as s, pytest.raises(LoaError, match="about to air"):
        move_ahead(s, slots_of(s, province)["TN"][0], clock.now(), GAP)


def test_the_commune_answers_on_the_command_line(loa: Loa, services: Services,
                                                 tree: dict) -> None:
    sent = str(from_province(services))
    waiting = loa("bulletin", "offers", "--unit", "11560")
    assert waiting.startswith(f"{sent}\tTN\toffered\t2026-12-01T03:00:00+00:00\t31\t")
    assert "TH" not in waiting
    assert f"{sent}\tTH\toffered" in loa("bulletin", "offers")
    assert "Không tìm thấy đài 'XX' (station not found)" in loa(
        "bulletin", "accept", sent, "--station", "XX", ok=False)
    assert "not found" in loa("bulletin", "accept", "999", "--station", "TN", ok=False)
    assert "no such offer" in loa("bulletin", "accept", sent, "--station", "HN", ok=False)
    assert "Cần nêu lý do từ chối (a reason is needed to decline)" in loa(
        "bulletin", "decline", sent, "--station", "TH", "--reason", " ", ok=False)
    assert "accepted" in loa("bulletin", "accept", sent, "--station", "TN")
    assert "declined" in loa("bulletin", "decline", sent, "--station", "TH",
                             "--reason", "Đã có thông báo riêng")
    assert "Đề nghị này đã được trả lời (the offer was already answered)" in loa(
        "bulletin", "decline", sent, "--station", "TN", "--reason", "muộn", ok=False)
    assert "no offers waiting" in loa("bulletin", "offers")
    answered = loa("bulletin", "offers", "--all")
    assert f"{sent}\tTN\taccepted" in answered
    declined = next(line for line in answered.splitlines() if "\tTH\t" in line)
    assert declined.startswith(f"{sent}\tTH\tdeclined")
    assert declined.endswith("\tĐã có thông báo riêng")
    other = from_province(services, text="Thông báo lịch thu gom rác thải tuần sau.")
    assert loa("bulletin", "offers", "--all", "--bulletin", sent).splitlines() == [
        line for line in answered.splitlines() if line.startswith(f"{sent}\t")]
    assert all(line.startswith(f"{other}\t")
               for line in loa("bulletin", "offers", "--bulletin", str(other)).splitlines())
    with transaction(services.sessions) as s:
        assert list(slots_of(s, int(sent))) == ["TN"]
