"""The new-bulletin form's series and on-the-hour fields, and the series page, over HTTP."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select

import tests.helpers.bulletin_web
from loa.clock import VN, FrozenClock
from loa.db import transaction
from loa.playlists.models import Bulletin, BulletinSeries, BulletinStatus
from loa.services import Services
from tests.helpers.bulletin_web import form_of
from tests.helpers.web import login

tree = tests.helpers.bulletin_web.tree  # a shared fixture
STORM_3 = "Bão số 3 năm 2026"


def send(client: Any, text: str, **fields: Any) -> Any:
    page = client.get("/bulletins/new").get_data(as_text=True)
    data = form_of(page, action="send", title=f"Tin bão: {text}", text=text, source="text",
                   priority="priority", unit="11560", series=STORM_3, on_the_hour="1",
                   every_hours="2", night="1") | fields
    return client.post("/bulletins/new", data=data, follow_redirects=True)


def test_two_storm_bulletins_from_the_form_and_the_series_page(
        client: Any, services: Services, clock: FrozenClock, tree: dict) -> None:
    clock.set(datetime(2026, 12, 2, 0, 30, tzinfo=VN))
    login(client, "lanhdao")
    first = send(client, "bão cách bờ 300 km")
    assert first.status_code == 200 and "đúng giờ tròn, 2 giờ một lần" in first.get_data(
        as_text=True)
    form = client.get("/bulletins/new").get_data(as_text=True)
    assert f'<option value="{STORM_3}">' in form  # the series is offered again
    clock.set(datetime(2026, 12, 2, 1, 30, tzinfo=VN))
    second = send(client, "bão cách bờ 200 km")
    assert second.status_code == 200
    with transaction(services.sessions) as s:
        series = s.scalars(select(BulletinSeries)).one()
        old, new = s.scalars(select(Bulletin).order_by(Bulletin.id)).all()
        assert (old.status, new.status) == (BulletinStatus.cancelled, BulletinStatus.active)
        series_id, old_id, new_id = series.id, old.id, new.id
    page = client.get(f"/bulletins/series/{series_id}").get_data(as_text=True)
    rows = re.findall(r'<tr data-bulletin="(\d+)"(.*?)</tr>', page, re.S)
    assert [int(i) for i, _row in rows] == [old_id, new_id]  # in the order written
    assert f"Đã được thay thế bởi thông báo {new_id}" in rows[0][1]
    assert "0/1 đài" in rows[1][1]  # TN: sent, not yet played
    assert "02/12/2026 02:00" in rows[1][1]  # the next play: 02:00 at night
    assert STORM_3 in client.get("/bulletins/series").get_data(as_text=True)


def test_a_normal_bulletin_at_night_is_refused_on_the_form(
        client: Any, services: Services, tree: dict) -> None:
    login(client, "lanhdao")
    page = send(client, "họp tổ dân phố", priority="normal").get_data(as_text=True)
    assert "Thông báo thông thường không phát ban đêm" in page
    with transaction(services.sessions) as s:
        assert s.scalar(select(Bulletin.id)) is None


def test_a_series_of_another_ward_is_not_found(
        client: Any, app: Any, services: Services, tree: dict) -> None:
    login(client, "lanhdao")
    send(client, "bão cách bờ 300 km")
    with transaction(services.sessions) as s:
        series_id = s.scalars(select(BulletinSeries.id)).one()
    assert client.get(f"/bulletins/series/{series_id}").status_code == 200
    sibling = app.test_client()  # the leader of the ward next door
    login(sibling, "lanhdao2")
    assert sibling.get(f"/bulletins/series/{series_id}").status_code == 404
