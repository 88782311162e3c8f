"""Relay slots that name zones: only those zones' players relay and report them, and a
required relay is judged zone by zone where two or more zones it reaches have a player
(issue 17 §4; design §3 "Relays", §5, §6 "The relay verdict")."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from openpyxl import load_workbook

from loa.clock import VN
from loa.compliance import keylog
from loa.db import transaction
from loa.player.keys import public_key_b64
from loa.services import Services
from loa.stations.models import Player
from loa.stations.players import add_player
from loa.stations.zones import add_zone
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.factories import HALF_HOUR, RELAY_MORNING, hai_phong_month, signed_relay
from tests.helpers.reports import pdf_text
from tests.helpers.web import PASSWORD, login


@pytest.fixture
def zoned(services: Services, loa: Loa) -> dict[str, tuple[int, str, Ed25519PrivateKey]]:
    """Hải Phòng's month; TN's centre player and a Nà Hang (H'Mông) player, both enrolled;
    a relay source VOV4 (its probe fails: nothing listens there)."""
    with transaction(services.sessions) as s:
        centre_id, centre_token = hai_phong_month(services, s).players["TN"]
        add_zone(s, "TN", "na-hang", "Cụm thôn Nà Hang", "hmn")
        far, far_token = add_player(s, "TN", "Loa Nà Hang", zone_code="na-hang")
        found = {"chung": (centre_id, centre_token, Ed25519PrivateKey.generate()),
                 "na-hang": (far.id, far_token, Ed25519PrivateKey.generate())}
        for player_id, _token, key in found.values():
            keylog.enrol(s, s.get_one(Player, player_id), public_key_b64(key),
                         services.clock.now())
    loa("relay", "source", "add", "VOV4", "--unit", "31", "--name", "VOV4 dân tộc",
        "--url", "http://127.0.0.1:9/vov4.mp3")
    return found


def relays(client: FlaskClient, token: str) -> list[int]:
    answer = client.get("/api/v1/player/schedule",
                        headers={"Authorization": f"Bearer {token}"})
    return sorted({r["slot_id"] for r in answer.json["relays"]})


def post_relays(client: FlaskClient, player: tuple[int, str, Any], slot_id: int,
                days: range) -> dict[str, Any]:
    """The player relayed each day's 06:00 occurrence in full; the server's answer."""
    _id, token, key = player
    events = [signed_relay(key, slot_id, (RELAY_MORNING + timedelta(days=day)).astimezone(VN),
                           HALF_HOUR) for day in days]
    return client.post("/api/v1/player/events", json={"events": events},
                       headers={"Authorization": f"Bearer {token}"}).json


def test_a_relay_for_the_hmong_zone_goes_to_its_players_alone(
        loa: Loa, client: FlaskClient, zoned: dict[str, Any]) -> None:
    slot = int(loa("relay", "add", "--source", "VOV4", "--station", "TN", "--zone", "na-hang",
                   "--at", "06:00", "--minutes", "30", "--required").split()[0])
    assert f"{slot}\tstation:TN/na-hang\tVOV4" in loa("relay", "list", "--station", "TN")
    assert relays(client, zoned["chung"][1]) == []
    assert relays(client, zoned["na-hang"][1]) == [slot]
    refused = post_relays(client, zoned["chung"], slot, range(1))["rejected"]
    assert "relay slot not of this station or zone" in refused[0]["reason"]
    assert post_relays(client, zoned["na-hang"], slot, range(30))["rejected"] == []
    # Only Nà Hang is waited for: the station reads as one zone, compliant.
    rows = json.loads(loa("audit", "relay", "--unit", "31", "--month", "2026-12"))["rows"]
    (tn,) = [r for r in rows if r["station"] == "TN"]
    assert (tn["share"], tn["status"]) == (1.0, "compliant") and "zones" not in tn


def test_a_station_wide_relay_is_judged_by_each_zone_and_rests_on_the_least(
        loa: Loa, client: FlaskClient, zoned: dict[str, Any]) -> None:
    slot = int(loa("relay", "add", "--source", "VOV4", "--station", "TN", "--at", "06:00",
                   "--minutes", "30", "--required").split()[0])
    assert relays(client, zoned["chung"][1]) == relays(client, zoned["na-hang"][1]) == [slot]
    # Set on 1 December at 08:00: the month holds the 30 mornings from the 2nd.
    assert post_relays(client, zoned["chung"], slot, range(30))["rejected"] == []
    assert post_relays(client, zoned["na-hang"], slot, range(10))["rejected"] == []
    data = json.loads(loa("audit", "relay", "--unit", "31", "--month", "2026-12"))
    (tn,) = [r for r in data["rows"] if r["station"] == "TN"]
    assert tn["relayed_ms"] == 10 * HALF_HOUR and tn["status"] == "in_progress"
    assert [(z["code"], z["relayed_ms"]) for z in tn["zones"]] == [
        ("chung", 30 * HALF_HOUR), ("na-hang", 10 * HALF_HOUR)]
    assert [z["status"] for z in tn["zones"]] == ["compliant", "in_progress"]
    csv_text = loa("audit", "relay", "--unit", "31", "--month", "2026-12", "--format", "csv")
    assert csv_text.splitlines()[0].endswith(",share,status")  # the CSV keeps its columns


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--unit", "31", "--zone", "na-hang"), "--zone needs --station"),
        (("--station", "TN", "--zone", "khong-co"), "no such zone"),
    ],
)
def test_a_relay_zone_must_be_of_its_station(loa: Loa, zoned: dict[str, Any],
                                             args: tuple[str, ...], message: str) -> None:
    said = loa("relay", "add", "--source", "VOV4", *args, "--at", "06:00", "--minutes", "30",
               ok=False)
    assert message in said
    assert loa("relay", "list") == ""


def test_a_relay_judged_by_zone_shows_each_zone_on_the_evidence_page_and_in_the_reports(
        loa: Loa, client: FlaskClient, zoned: dict[str, Any], services: Services,
        env: dict[str, str], tmp_path: Path) -> None:
    """The centre relayed the 30 mornings, Nà Hang 10: the evidence page, the workbook's
    "Tiếp sóng" sheet and the PDF name each zone's part, not only the station's least."""
    slot = int(loa("relay", "add", "--source", "VOV4", "--station", "TN", "--at", "06:00",
                   "--minutes", "30", "--required").split()[0])
    assert post_relays(client, zoned["chung"], slot, range(30))["rejected"] == []
    assert post_relays(client, zoned["na-hang"], slot, range(10))["rejected"] == []
    with transaction(services.sessions) as s:
        add_user(s, "tinh", PASSWORD, "auditor", "31")
    login(client, "tinh")
    page = client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    table = page[page.index('<table id="relays"'):]
    table = " ".join(re.sub(r"<[^>]+>", " ", table[:table.index("</table>")]).split())
    assert ("VOV4 dân tộc hằng ngày, 06:00 · 30 phút 900 phút 300 phút 0 phút 0 33.3% "
            "Tháng đang diễn ra ↳ Toàn đài chung — 900 phút 900 phút — — 100.0% Đạt "
            "↳ Cụm thôn Nà Hang na-hang — 900 phút 300 phút — — 33.3% Tháng đang diễn ra") in table
    assert "đài đạt khi mọi cụm có thiết bị đang hoạt động đều đạt" in page
    client.get("/lang/en?next=/")
    english = client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    assert f'id="relay-{slot}-zone-na-hang"' in english and "Month in progress" in english
    # Once the month is over: Nà Hang's 10 of 30 leaves the station short, zone by zone.
    after = Loa({**env, "LOA_NOW": "2027-01-10T00:00:00+00:00"})
    book = tmp_path / "bao-cao.xlsx"
    after("audit", "report", "--unit", "31", "--month", "2026-12", "--format", "xlsx",
          "--output", str(book))
    sheet = load_workbook(book)["Tiếp sóng"]
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert header[-2:] == ("Kết quả", "Theo cụm loa")
    by_station = {line[1]: line for line in lines}
    assert by_station["TN"][-2:] == (
        "Chưa đủ thời lượng", "cụm loa chung 900/900 phút (100%, Đạt); "
        "cụm loa na-hang 300/900 phút (33,3%, Chưa đủ thời lượng)")
    pdf = tmp_path / "bao-cao.pdf"
    after("audit", "report", "--unit", "31", "--month", "2026-12", "--format", "pdf",
          "--output", str(pdf))
    text = pdf_text(pdf.read_bytes())
    short = text[text.index("III. Tồn tại, hạn chế"):]
    assert (f"Đài TN (TN), tháng 12/2026, tiếp sóng VOV4 (khung {slot}): chỉ tiếp sóng "
            "300/900 phút (33,3%, yêu cầu 90%); theo cụm loa: cụm loa chung 900/900 phút "
            "(100%, Đạt); cụm loa na-hang 300/900 phút (33,3%, Chưa đủ thời lượng).") in short
    appendix = text[text.index("Phụ lục 3. Kết quả tiếp sóng bắt buộc từng tháng"):]
    assert (f"Đài TN (TN) 12/2026 VOV4 ({slot}) 900 300 0 0 33,3% Chưa đủ thời lượng "
            "– cụm loa chung 900 100% Đạt – cụm loa na-hang 300 33,3% Chưa đủ thời lượng"
            ) in appendix
