"""Offers on the web (issue 16 §4): a commune answers the normal bulletins from above on its
offers page, the sender reads each station's answer, the commune moves a priority play
ahead; only the station's own commune, CSRF on every form."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

import tests.helpers.bulletin_web
from loa.db import transaction
from loa.playlists.models import (
    BulletinOffer,
    BulletinOfferState,
    BulletinSlot,
    BulletinSlotStatus,
)
from loa.scheduler.runtime import offers_job
from loa.services import Services
from loa.stations.models import Station
from loa.stations.service import add_station
from loa.stations.units import add_unit
from loa.web.users import add_user
from tests.helpers.bulletins import send
from tests.helpers.web import PASSWORD, csrf, login

tree = tests.helpers.bulletin_web.tree  # wards 11560 (TN: xa, lanhdao) and 11557 (TH: xa2,
# lanhdao2); Hải Phòng 31: tinh (auditor), tp (leader)
MEETING = "Mời bà con dự họp tổ dân phố lúc 19 giờ 30 tối nay tại nhà văn hóa."


def from_province(services: Services, priority: str = "normal", text: str = MEETING) -> int:
    with transaction(services.sessions) as s:
        return send(services, s, "31", priority=priority, text=text).id


def station_id(services: Services, code: str) -> int:
    with transaction(services.sessions) as s:
        return s.scalars(select(Station.id).where(Station.code == code)).one()


def offer_state(services: Services, bulletin_id: int, code: str) -> BulletinOfferState:
    with transaction(services.sessions) as s:
        return s.scalars(select(BulletinOffer.state).where(
            BulletinOffer.bulletin_id == bulletin_id,
            BulletinOffer.station_id == station_id(services, code))).one()


def slot_starts(services: Services, bulletin_id: int, code: str) -> list[Any]:
    with transaction(services.sessions) as s:
        return list(s.scalars(select(BulletinSlot.starts_at).where(
            BulletinSlot.bulletin_id == bulletin_id,
            BulletinSlot.station_id == station_id(services, code),
            BulletinSlot.status != BulletinSlotStatus.cancelled)))


def post(client: Any, url: str, **form: str) -> Any:
    token = csrf(client.get("/bulletins").data)  # the header's logout form carries one
    return client.post(url, data={"csrf_token": token, **form}, follow_redirects=True)


def answer_url(services: Services, bulletin_id: int, code: str, verb: str) -> str:
    return f"/offers/{bulletin_id}/stations/{station_id(services, code)}/{verb}"


def test_the_commune_accepts_and_declines_and_the_sender_reads_each_answer(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    sent = from_province(services)
    login(client, "xa")
    listing = client.get("/bulletins").get_data(as_text=True)
    assert 'id="offers-waiting"' in listing and "/offers" in listing
    page = client.get("/offers").get_data(as_text=True)
    assert f'data-bulletin="{sent}" data-station="TN"' in page
    assert 'data-station="TH"' not in page  # the other ward's offer is not this one's
    assert "tự nhận lúc 01/12/2026 10:00" in page  # LOA_OFFER_HOURS (2) after 08:00
    done = post(client, answer_url(services, sent, "TN", "accept"))
    assert "Đã nhận thông báo" in done.get_data(as_text=True)
    assert offer_state(services, sent, "TN") is BulletinOfferState.accepted
    assert len(slot_starts(services, sent, "TN")) == 1
    assert "Không có thông báo nào chờ trả lời" in client.get("/offers").get_data(as_text=True)

    client.get("/logout")
    login(client, "lanhdao2")
    refused = post(client, answer_url(services, sent, "TH", "decline"), reason="  ")
    assert "Cần nêu lý do từ chối" in refused.get_data(as_text=True)
    assert offer_state(services, sent, "TH") is BulletinOfferState.offered
    post(client, answer_url(services, sent, "TH", "decline"),
         reason="Phường đã thông báo họp qua tổ dân phố")
    assert offer_state(services, sent, "TH") is BulletinOfferState.declined
    assert slot_starts(services, sent, "TH") == []
    answered = client.get("/offers").get_data(as_text=True)
    assert 'id="answered"' in answered and "Phường đã thông báo họp qua tổ dân phố" in answered

    client.get("/logout")
    login(client, "tp")  # the sender's side reads each station's answer
    page = client.get(f"/bulletins/{sent}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-station="(\w+)" data-offer="(\w+)">', page))
    assert rows == {"TN": "accepted", "TH": "declined"}
    assert "Xã đã nhận" in page and "Xã từ chối" in page
    assert "Phường đã thông báo họp qua tổ dân phố" in page and "(lanhdao2)" in page


def test_only_the_stations_own_commune_answers_its_offer(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    sent = from_province(services)
    url = answer_url(services, sent, "TN", "accept")
    login(client, "xa2")  # another ward: TN is outside its subtree
    assert post(client, url).status_code == 404
    assert 'data-station="TN"' not in client.get("/offers").get_data(as_text=True)
    for user in ("tp", "tinh"):  # the province sees TN but does not decide for it
        client.get("/logout")
        login(client, user)
        assert post(client, url).status_code == 403
    assert client.post(url).status_code in (302, 400)  # no CSRF token: refused
    assert offer_state(services, sent, "TN") is BulletinOfferState.offered
    assert slot_starts(services, sent, "TN") == []
    client.get("/logout")
    login(client, "lanhdao")
    assert client.post(url, data={}).status_code == 400  # logged in, still no token
    assert offer_state(services, sent, "TN") is BulletinOfferState.offered
    post(client, url)
    assert offer_state(services, sent, "TN") is BulletinOfferState.accepted
    again = post(client, url).get_data(as_text=True)
    assert "Đề nghị này đã được trả lời" in again


def test_the_commune_plays_its_own_priority_bulletin_first(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    province = from_province(services, "priority", "Cắt điện từ 13 giờ ngày mai.")
    with transaction(services.sessions) as s:
        own = send(services, s, "11560", priority="priority",
                   text="Phường tổ chức tiêm phòng dại cho chó mèo sáng mai.").id
    (head,) = slot_starts(services, province, "TN")
    login(client, "xa")
    theirs = client.get(f"/bulletins/{province}").get_data(as_text=True)
    assert "Phát trước" not in theirs  # already first in its window
    page = client.get(f"/bulletins/{own}").get_data(as_text=True)
    moved = re.search(r'action="(/bulletins/slots/(\d+)/ahead)"', page)
    assert moved and "Phát trước" in page
    client.get("/logout")
    login(client, "xa2")  # another ward cannot touch TN's window
    assert post(client, moved.group(1)).status_code == 404
    client.get("/logout")
    login(client, "tp")  # nor the city for it: the ward orders its own window
    assert "Phát trước" not in client.get(f"/bulletins/{own}").get_data(as_text=True)
    assert post(client, moved.group(1)).status_code == 403
    client.get("/logout")
    login(client, "xa")
    done = post(client, moved.group(1)).get_data(as_text=True)
    assert "Đã cho phát trước «Cắt điện từ 13 giờ ngày mai.»" in done
    assert slot_starts(services, own, "TN") == [head]
    assert slot_starts(services, province, "TN")[0] > head
    assert slot_starts(services, province, "TH") == [head]  # the other ward keeps its order


def test_a_ward_whose_station_has_no_player_yet_still_reads_and_answers_its_offer(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    with transaction(services.sessions) as s:
        add_unit(s, "11563", "Phường Lưu Kiếm", "commune", "31")
        add_station(s, "LK", "11563", "Đài Lưu Kiếm")  # no loudspeaker cluster enrolled yet
        add_user(s, "xa3", PASSWORD, "operator", "11563")
    sent = from_province(services)
    login(client, "xa3")
    page = client.get("/offers").get_data(as_text=True)
    assert f'data-bulletin="{sent}" data-station="LK"' in page
    assert client.get(f"/bulletins/{sent}").status_code == 200  # read before answering
    assert client.get(f"/bulletins/{sent}/audio").status_code == 200  # and heard
    post(client, answer_url(services, sent, "LK", "accept"))
    assert offer_state(services, sent, "LK") is BulletinOfferState.accepted
    assert len(slot_starts(services, sent, "LK")) == 1
    client.get("/logout")
    login(client, "xa2")  # a sibling ward still gets nothing of it
    assert client.get("/offers").get_data(as_text=True).count('data-station="LK"') == 0


def test_the_sender_reads_which_wards_the_clock_accepted(
    client: Any, services: Services, tree: dict[str, int], clock: Any
) -> None:
    sent = from_province(services)
    login(client, "lanhdao2")
    post(client, answer_url(services, sent, "TH", "decline"), reason="Trùng giờ họp phường")
    clock.advance(hours=2)
    offers_job(services)
    client.get("/logout")
    login(client, "tp")
    page = client.get(f"/bulletins/{sent}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-station="(\w+)" data-offer="(\w+)">', page))
    assert rows == {"TN": "auto_accepted", "TH": "declined"}
    assert "Tự động nhận (quá hạn trả lời)" in page and "Trùng giờ họp phường" in page
    assert len(slot_starts(services, sent, "TN")) == 1 and slot_starts(services, sent, "TH") == []


def test_an_offer_is_a_todo_and_an_alert_for_its_own_commune_once(
    client: Any, services: Services, tree: dict[str, int]
) -> None:
    """The ward's operator and leader are told of the province's bulletin (inbox and alert),
    once; the other ward's people only of their own offer, the province nobody."""
    from loa.notify.models import NotifyDelivery, NotifyEvent
    from loa.notify.scan import scan
    from loa.stations.accounts import User

    sent = from_province(services)
    login(client, "xa")
    todo = client.get("/").get_data(as_text=True)
    assert "Thông báo cấp trên chờ xã trả lời" in todo and 'href="/offers"' in todo
    for _ in range(2):  # the minute's scan, twice: told once
        with transaction(services.sessions) as s:
            scan(s, services.settings, services.clock.now())
    with transaction(services.sessions) as s:
        told = {(e.key, u) for e, u in s.execute(
            select(NotifyEvent, User.username)
            .join(NotifyDelivery, NotifyDelivery.event_id == NotifyEvent.id)
            .join(User, User.id == NotifyDelivery.user_id)
            .where(NotifyEvent.kind == "bulletin.offered"))}
    assert {u for _k, u in told} == {"xa", "lanhdao", "xa2", "lanhdao2"}
    assert len({k for k, _u in told}) == 2 and all(f"bulletin.offered:{sent}:" in k
                                                   for k, _u in told)
    post(client, answer_url(services, sent, "TN", "accept"))
    assert "Thông báo cấp trên chờ xã trả lời" not in client.get("/").get_data(as_text=True)
