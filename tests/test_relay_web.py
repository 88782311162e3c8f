"""The "Tiếp sóng" page: sources listened to live, relay slots added and removed, CSRF,
each user within its unit's subtree."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from loa.audio.stream_probe import StreamProbe
from loa.db import transaction
from loa.playlists.relay_models import RelaySlot, RelaySource
from loa.playlists.relays import add_slot, add_source
from loa.services import Services
from loa.stations.service import get_station
from loa.stations.units import get_unit
from loa.web.users import add_user
from tests.helpers.web import PASSWORD, csrf, login, tree  # noqa: F401 - a fixture

URL = "http://127.0.0.1:8000/vov1.mp3"


def province_source(services: Services) -> None:
    with transaction(services.sessions) as s:
        add_source(s, unit=get_unit(s, "31"), code="VOV1", name="VOV1 Thời sự", url=URL,
                   fallback=None, store=services.store, clock=services.clock,
                   probe=lambda _u: StreamProbe("mp3"))


def slots(services: Services) -> list[RelaySlot]:
    with services.sessions() as s:
        return list(s.scalars(select(RelaySlot)))


def test_an_operator_listens_adds_and_removes_a_relay(
    client: FlaskClient, services: Services, tree: Any  # noqa: F811
) -> None:
    province_source(services)
    login(client, "xa")
    page = client.get("/relays")
    html = page.data.decode()
    assert "Tiếp sóng" in html and "VOV1 Thời sự" in html
    assert f'<audio controls preload="none" src="{URL}">' in html  # listen live
    assert "media-src 'self' blob: http://127.0.0.1:8000;" in page.headers[
        "Content-Security-Policy"]
    assert "Đài Thiên Hương" not in html  # the neighbour's station is not offered
    form = {"csrf_token": csrf(page.data), "source": "VOV1", "target": "TN", "days": "T2-T7",
            "at": "05:30", "minutes": "30", "required": "1"}
    done = client.post("/relays", data=form, follow_redirects=True).data.decode()
    assert "Đã thêm khung tiếp sóng" in done
    (slot,) = slots(services)
    assert (slot.days, slot.at, slot.minutes, slot.required) == ("T2-T7", "05:30", 30, True)
    assert "thứ Hai đến thứ Bảy" in done and "30 phút" in done
    # The month's verdict: December 2026's 27 days but Sundays, less the 1st's 05:30 (the
    # slot was set at 08:00), nothing relayed yet.
    assert "Kết quả tiếp sóng tháng 2026-12" in done and "0 / 780 phút" in done
    assert "Tháng đang diễn ra" in done and "0.0%" in done
    # Another station's code (the neighbour's) is refused, in words.
    refused = client.post("/relays", data={**form, "target": "TH", "at": "07:00"},
                          follow_redirects=True).data.decode()
    assert "Không tìm thấy đài" in refused and len(slots(services)) == 1
    assert client.post("/relays", data={**form, "csrf_token": ""}).status_code == 400
    token = csrf(client.get("/relays").data)
    client.post(f"/relays/{slot.id}/remove", data={"csrf_token": token})
    assert slots(services) == []


def test_a_slot_of_another_commune_is_out_of_reach(
    client: FlaskClient, services: Services, tree: Any  # noqa: F811
) -> None:
    province_source(services)
    with transaction(services.sessions) as s:
        add_user(s, "xa2", PASSWORD, "operator", "11557")
        vov1 = s.scalars(select(RelaySource).where(RelaySource.code == "VOV1")).one()
        other = add_slot(s, source=vov1, unit=None, station=get_station(s, "TH"),
                         days="T2-CN", at="06:00", minutes=15, required=False,
                         clock=services.clock).id
    login(client, "xa")
    page = client.get("/relays")
    assert "Đài Thiên Hương" not in page.data.decode()
    answer = client.post(f"/relays/{other}/remove", data={"csrf_token": csrf(page.data)})
    assert answer.status_code == 404 and len(slots(services)) == 1
    client.post("/logout", data={"csrf_token": csrf(page.data)})
    login(client, "tinh")  # an auditor reads, never changes
    page = client.get("/relays")
    assert "Đài Thiên Hương" in page.data.decode()
    assert client.post(f"/relays/{other}/remove",
                       data={"csrf_token": csrf(page.data)}).status_code == 403
