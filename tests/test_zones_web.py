"""/admin/stations/<code>/zones: an admin lists and adds the zones of a station of their own."""

from __future__ import annotations

from typing import Any

from loa.db import transaction
from loa.services import Services
from loa.stations.service import get_station
from loa.stations.zones import add_zone, player_zone, station_zones
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


def test_an_admin_puts_a_new_player_in_a_zone_of_its_station(
        client: Any, services: Services) -> None:
    """The stations page adds a player to the zone chosen (the CLI's --zone); a station of one
    zone shows no choice."""
    with transaction(services.sessions) as s:
        two_wards(s)
        add_user(s, "admin-tn", PASSWORD, "admin", "31")
        add_zone(s, "TN", "na-hang", "Cụm thôn Nà Hang", "hmn")
    login(client, "admin-tn")
    page = client.get("/admin/").get_data(as_text=True)
    tn, th = (page[page.index(f'id="station-{code}"'):] for code in ("TN", "TH"))
    tn, th = tn[:tn.index("</tr>")], th[:th.index("</tr>")]
    assert '<option value="na-hang">Cụm thôn Nà Hang</option>' in tn
    assert 'name="zone"' not in th  # one zone: nothing to choose
    answer = client.post("/admin/stations/TN/players", data={
        "name": "Loa Nà Hang", "mode": "prefetch", "zone": "na-hang",
        "csrf_token": csrf(page.encode())}, follow_redirects=True)
    assert answer.status_code == 200
    client.post("/admin/stations/TN/players", data={
        "name": "Loa trung tâm", "mode": "prefetch", "csrf_token": csrf(page.encode())})
    refused = client.post("/admin/stations/TN/players", data={
        "name": "Loa lạc", "mode": "prefetch", "zone": "khong-co",
        "csrf_token": csrf(page.encode())}, follow_redirects=True)
    assert "Không tìm thấy cụm loa &#39;khong-co&#39; ở đài TN" in refused.get_data(as_text=True)
    with transaction(services.sessions) as s:
        zones = {p.name: player_zone(s, p).code  # type: ignore[union-attr]
                 for p in get_station(s, "TN").players}
    assert zones == {"Loa Nà Hang": "na-hang", "Loa trung tâm": "chung"}
    listed = client.get("/admin/").get_data(as_text=True)
    assert '<span class="player-zone">Cụm thôn Nà Hang</span>' in listed
