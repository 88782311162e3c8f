"""/admin/stations/<code>/zones: an admin lists and adds the zones of a station of their own."""

from __future__ import annotations

from typing import Any

from loa.db import transaction
from loa.services import Services
from loa.stations.service import get_station
from loa.stations.zones import station_zones
from loa.web.users import add_user
from tests.helpers.factories import two_wards
from tests.helpers.web import PASSWORD, csrf, login


def test_an_admin_adds_a_hmong_zone_to_their_station_and_not_to_another(
        client: Any, services: Services) -> None:
    with transaction(services.sessions) as s:
        two_wards(s)
        add_user(s, "admin-tn", PASSWORD, "admin", "11560")
    login(client, "admin-tn")
    stations = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/stations/TN/zones"' in stations
    page = client.get("/admin/stations/TN/zones")
    assert page.status_code == 200
    assert 'id="zone-chung"' in page.get_data(as_text=True)
    answer = client.post("/admin/stations/TN/zones", data={
        "code": "na-hang", "name": "Cụm thôn Nà Hang", "language": "hmn",
        "csrf_token": csrf(page.data)}, follow_redirects=True)
    shown = answer.get_data(as_text=True)
    assert "Đã thêm cụm loa na-hang: Cụm thôn Nà Hang" in shown
    assert 'id="zone-na-hang"' in shown and "hmn" in shown
    again = client.post("/admin/stations/TN/zones", data={
        "code": "na-hang", "name": "Lần nữa", "language": "vi",
        "csrf_token": csrf(page.data)}, follow_redirects=True)
    assert "Cụm loa &#39;na-hang&#39; đã có ở đài TN" in again.get_data(as_text=True)
    # TH lies in another ward: not there for this admin, by page or by form
    assert client.get("/admin/stations/TH/zones").status_code == 404
    refused = client.post("/admin/stations/TH/zones", data={
        "code": "x", "name": "X", "language": "vi", "csrf_token": csrf(page.data)})
    assert refused.status_code == 404
    without_token = client.post("/admin/stations/TN/zones",
                                data={"code": "y", "name": "Y", "language": "vi"})
    assert without_token.status_code == 400
    with transaction(services.sessions) as s:
        assert [z.code for z in station_zones(s, get_station(s, "TN"))] == ["chung", "na-hang"]
        assert [z.code for z in station_zones(s, get_station(s, "TH"))] == ["chung"]
