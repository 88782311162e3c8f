"""CAP 1.2 out (issue 16 §5): a unit's bulletins as CAP documents valid under the OASIS
schema, their Atom index, and the public page and RSS showing residents what is in force."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

import pytest

import tests.helpers.bulletins
from loa.db import transaction
from loa.playlists.bulletins import cancel_bulletin
from loa.playlists.cap import CAP_NS, priority_for, read_document
from loa.playlists.cap_out import LEVELS, category_for
from loa.playlists.models import BulletinPriority
from loa.services import Services
from loa.stations.units import get_unit
from tests.helpers.bulletins import send
from tests.helpers.cap import cap_schema, document, official_names

tree = tests.helpers.bulletins.tree  # a shared fixture: Hải Phòng 31 (11560, 11557), Hà Nội
C = f"{{{CAP_NS}}}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize(("title", "category"), [
    ("Tin bão số 3 giật cấp 12", "Met"),
    ("Cảnh báo lũ quét, sạt lở đất", "Met"),
    ("Mưa lớn diện rộng", "Met"),
    ("Cảnh báo cháy rừng cấp V", "Fire"),
    ("Phòng chống dịch sốt xuất huyết", "Health"),
    ("Lịch cắt điện ngày 5/12", "Infra"),
    ("Tin động đất tại Kon Tum", "Geo"),
    ("Cấm đường Trần Phú để sửa chữa", "Transport"),
    ("Họp tổ dân phố", "Other"),
    ("Tiêm vắc xin cho trẻ", "Health"),
    ("Lịch tiếp công dân", "Other"),
])
def test_the_title_suggests_the_cap_category(title: str, category: str) -> None:
    assert category_for(title) == category


@pytest.mark.parametrize("level", list(BulletinPriority))
def test_a_level_goes_out_and_comes_back_the_same(level: BulletinPriority) -> None:
    urgency, severity, certainty = LEVELS[level]
    assert priority_for(severity) is level
    assert urgency in ("Immediate", "Expected", "Future") and certainty in ("Observed", "Likely")


def test_the_schema_refuses_what_cap_refuses() -> None:
    """The schema written into the repository is not a pushover: a wrong severity, a missing
    sender, a time without its offset are invalid; the national centre's alert is valid."""
    schema = cap_schema()
    good = document("storm_alert")
    assert schema.is_valid(good)
    for bad in (good.replace(b"<severity>Severe</severity>", b"<severity>Huge</severity>"),
                good.replace(b"<sender>canhbao@nchmf.gov.vn</sender>", b""),
                good.replace(b"2026-12-01T07:30:00+07:00</sent>", b"2026-12-01T07:30:00</sent>"),
                good.replace(b"<category>Met</category>", b"", 2)):
        assert not schema.is_valid(bad)


def _sent(services: Services) -> dict[str, int]:
    """An emergency of the province, a priority bulletin of ward 11560 for itself, an
    operator's normal one still pending, and Hà Nội's own: their ids."""
    official_names(services)
    with transaction(services.sessions) as s:
        ids = {
            "storm": send(services, s, "31", title="Tin bão khẩn cấp <số 3> & gió giật",
                          text="Bão số 3 giật cấp 12. Bà con không ra khơi.").id,
            "ward": send(services, s, "11560", priority="priority", title="Cắt điện chiều nay",
                         unit_targets=[get_unit(s, "11560")],
                         text="Chiều nay cắt điện từ 14 giờ đến 17 giờ.").id,
            "pending": send(services, s, "11560", role="operator", author="xa",
                            priority="normal", title="Họp tổ dân phố").id,
            "hanoi": send(services, s, "01", title="Ngập úng Ba Đình").id,
        }
    return ids


def _alerts_in(index: bytes) -> list[ET.Element]:
    root = ET.fromstring(index)
    assert root.tag == f"{ATOM}feed"
    return [entry.find(f"{ATOM}content/{C}alert") for entry in root.iter(f"{ATOM}entry")]  # type: ignore[misc]


@pytest.mark.both_databases
def test_cap_documents_validate_and_say_what_the_loudspeakers_carry(
    services: Services, tree: dict, client: Any
) -> None:
    ids = _sent(services)
    schema = cap_schema()
    index = client.get("/public/11560/cap.atom")
    assert index.status_code == 200 and index.mimetype == "application/atom+xml"
    alerts = _alerts_in(index.data)
    for alert in alerts:
        schema.validate(ET.tostring(alert, encoding="unicode"))
    assert [a.findtext(f"{C}info/{C}headline") for a in alerts] == [
        "Cắt điện chiều nay", "Tin bão khẩn cấp <số 3> & gió giật"]  # newest first; no pending
    # All in force as one CAP document: an info per bulletin, the same two.
    in_force = client.get("/public/11560/cap.xml")
    assert in_force.status_code == 200 and in_force.mimetype == "application/cap+xml"
    schema.validate(in_force.data.decode())
    whole = ET.fromstring(in_force.data)
    assert whole.findtext(f"{C}msgType") == "Alert" and whole.findtext(f"{C}status") == "Actual"
    assert [i.findtext(f"{C}headline") for i in whole.iter(f"{C}info")] == [
        "Cắt điện chiều nay", "Tin bão khẩn cấp <số 3> & gió giật"]
    quiet = client.get("/public/11557/cap.xml")  # the sibling ward: only the province's
    schema.validate(quiet.data.decode())

    answer = client.get(f"/public/11560/cap/{ids['storm']}.xml")
    assert answer.status_code == 200 and answer.mimetype == "application/cap+xml"
    schema.validate(answer.data.decode())
    alert = ET.fromstring(answer.data)
    fields = {name: alert.findtext(f"{C}{name}") for name in (
        "identifier", "status", "msgType", "scope")}
    assert fields == {"identifier": f"loa-bulletin-{ids['storm']}", "status": "Actual",
                      "msgType": "Alert", "scope": "Public"}
    assert alert.findtext(f"{C}sender") == "loa@localhost"
    info = alert.find(f"{C}info")
    assert info is not None
    assert [info.findtext(f"{C}{n}") for n in ("language", "category", "urgency", "severity",
                                                "certainty")] == [
        "vi-VN", "Met", "Immediate", "Extreme", "Observed"]
    assert info.findtext(f"{C}description") == "Bão số 3 giật cấp 12. Bà con không ra khơi."
    assert info.findtext(f"{C}senderName") == "Thành phố Hải Phòng"
    with transaction(services.sessions) as s:
        from loa.playlists.models import Bulletin

        storm = s.get_one(Bulletin, ids["storm"])
        until, size = storm.valid_until, storm.asset.bytes
    expires = info.findtext(f"{C}expires") or ""
    assert expires.endswith("+07:00") and datetime.fromisoformat(expires) == until
    assert info.findtext(f"{C}area/{C}areaDesc") == "Thành phố Hải Phòng"
    assert [g.findtext(f"{C}value") for g in info.iter(f"{C}geocode")] == ["31"]
    uri = info.findtext(f"{C}resource/{C}uri") or ""
    assert uri.endswith(f"/public/11560/bulletins/{ids['storm']}.mp3")
    assert info.findtext(f"{C}resource/{C}size") == str(size)
    audio = client.get(uri.replace("http://localhost", ""))
    assert audio.status_code == 200 and len(audio.data) == size

    # Only what reached the unit: the ward's own is not its sibling's; pending and Hà Nội's
    # are nobody's here.
    assert client.get(f"/public/11557/cap/{ids['ward']}.xml").status_code == 404
    assert client.get(f"/public/11557/bulletins/{ids['ward']}.mp3").status_code == 404
    assert client.get(f"/public/11560/cap/{ids['pending']}.xml").status_code == 404
    assert client.get(f"/public/11560/cap/{ids['hanoi']}.xml").status_code == 404
    assert client.get(f"/public/11557/cap/{ids['storm']}.xml").status_code == 200
    assert client.get("/public/99999/cap.xml").status_code == 404

    # Taken back in (a neighbouring system reading it): the same level and the same unit.
    [again] = read_document(answer.data).alerts
    assert priority_for(again.infos[0].severity) is BulletinPriority.emergency
    assert again.infos[0].areas[0].geocodes == ("31",)


@pytest.mark.both_databases
def test_a_cancelled_bulletin_goes_out_as_a_cancel_and_leaves_the_page(
    services: Services, tree: dict, client: Any
) -> None:
    ids = _sent(services)
    page = client.get("/public/11560").get_data(as_text=True)
    assert "Thông báo đang có hiệu lực" in page
    assert "Tin bão khẩn cấp &lt;số 3&gt; &amp; gió giật" in page
    assert "Bà con không ra khơi." in page
    assert f'src="/public/11560/bulletins/{ids["storm"]}.mp3"' in page
    assert "Họp tổ dân phố" not in page and "Ngập úng" not in page

    rss = ET.fromstring(client.get("/public/11560/rss.xml").data)
    items = {i.findtext("title"): i for i in rss.iter("item")}
    storm_item = items["📢 Tin bão khẩn cấp <số 3> & gió giật"]
    enclosure = storm_item.find("enclosure")
    assert enclosure is not None and enclosure.get("url", "").endswith(
        f"/public/11560/bulletins/{ids['storm']}.mp3")
    assert storm_item.findtext("description") == "Bão số 3 giật cấp 12. Bà con không ra khơi."

    with transaction(services.sessions) as s:
        from loa.playlists.models import Bulletin

        storm = s.get_one(Bulletin, ids["storm"])
        cancel_bulletin(s, storm, by=None, role=None, clock=services.clock)
        sent = storm.sent_at
    answer = client.get(f"/public/11560/cap/{ids['storm']}.xml")
    cap_schema().validate(answer.data.decode())
    alert = ET.fromstring(answer.data)
    assert alert.findtext(f"{C}msgType") == "Cancel"
    assert alert.findtext(f"{C}identifier") == f"loa-bulletin-{ids['storm']}-cancel"
    assert sent is not None  # the Cancel names the alert it cancels by its triple
    [ref] = read_document(answer.data).alerts[0].references
    assert (ref.sender, ref.identifier) == ("loa@localhost", f"loa-bulletin-{ids['storm']}")
    assert ref.sent == sent.replace(microsecond=0)
    assert alert.find(f"{C}info/{C}resource") is None  # not offered for listening again
    index = _alerts_in(client.get("/public/11560/cap.atom").data)
    assert [a.findtext(f"{C}msgType") for a in index] == ["Alert", "Cancel"]
    whole = ET.fromstring(client.get("/public/11560/cap.xml").data)  # in force: not the storm
    assert [i.findtext(f"{C}headline") for i in whole.iter(f"{C}info")] == ["Cắt điện chiều nay"]
    assert "Tin bão khẩn cấp" not in client.get("/public/11560").get_data(as_text=True)
    assert client.get(f"/public/11560/bulletins/{ids['storm']}.mp3").status_code == 404


def test_a_neighbouring_loa_takes_the_alert_in_and_its_cancel_too(
    services: Services, tree: dict, live_url: str
) -> None:
    """Loa reads Loa: a feed on ward 11557 polls ward 11560's CAP index over HTTP; the
    province's storm arrives as a held emergency draft, and its cancellation cancels it."""
    from sqlalchemy import select

    from loa.playlists.cap_feeds import add_feed, poll_feed
    from loa.playlists.models import Bulletin, BulletinStatus
    from loa.scheduler.cap_poll import cap_tools

    ids = _sent(services)
    with transaction(services.sessions) as s:
        feed = add_feed(s, f"{live_url}/public/11560/cap.atom", get_unit(s, "11557"), None,
                        False, services.clock.now()).id
    report = poll_feed(services.sessions, feed, cap_tools(services))
    assert report.error is None
    actions = {o.identifier: o.action for o in report.outcomes}
    assert actions == {f"loa-bulletin-{ids['storm']}": "drafted",
                       f"loa-bulletin-{ids['ward']}": "skipped"}  # 11560's own, not 11557's
    with transaction(services.sessions) as s:
        [copy] = s.scalars(select(Bulletin).where(Bulletin.unit_id == get_unit(s, "11557").id))
        assert copy.priority is BulletinPriority.emergency
        assert copy.status is BulletinStatus.pending
        cancel_bulletin(s, s.get_one(Bulletin, ids["storm"]), by=None, role=None,
                        clock=services.clock)
    services.clock.advance(minutes=5)  # type: ignore[attr-defined]
    report = poll_feed(services.sessions, feed, cap_tools(services))
    assert f"loa-bulletin-{ids['storm']}-cancel" in {
        o.identifier for o in report.outcomes if o.action == "cancelled"}
    with transaction(services.sessions) as s:
        assert s.get_one(Bulletin, copy.id).status is BulletinStatus.cancelled


@pytest.mark.browser
def test_the_public_page_with_a_bulletin_fits_a_phone(
    services: Services, tree: dict, live_url: str, page: Any
) -> None:
    from tests.helpers.browser import overflow

    ids = _sent(services)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_url}/public/11560")
    assert overflow(page) == 0
    assert page.locator(".public-bulletins h3").all_inner_texts() == [
        "📢 Cắt điện chiều nay", "📢 Tin bão khẩn cấp <số 3> & gió giật"]
    src = page.locator(".public-bulletins audio").first.get_attribute("src")
    assert src == f"/public/11560/bulletins/{ids['ward']}.mp3"
