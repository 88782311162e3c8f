"""Two zones where only one plays: the station is not compliant (signed completions, both
databases, through `loa audit report`, the close snapshot and the evidence page)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook

from loa.compliance import keylog
from loa.compliance.ingest import ingest_events
from loa.db import transaction
from loa.services import Services
from loa.stations.models import Player
from loa.stations.players import add_player
from loa.stations.zones import add_zone
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.factories import enrolled_month, signed_completion
from tests.helpers.reports import JANUARY, pdf_text
from tests.helpers.web import PASSWORD, login

pytestmark = pytest.mark.both_databases


def enrol(s: Any, player: Player, key: Ed25519PrivateKey, services: Services) -> None:
    raw = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    keylog.enrol(s, player, raw, services.clock.now())


def report(env: dict[str, str], station: str = "TN") -> dict[str, Any]:
    rows = json.loads(Loa(env | {"LOA_NOW": JANUARY.isoformat()})(
        "audit", "report", "--unit", "31", "--month", "2026-12", "--format", "json"))
    return next(r for r in rows if r["station"] == station)


@pytest.fixture
def two_zones(services: Services) -> dict[str, Any]:
    """TN's December planned; its first player (zone chung) and a Nà Hang player enrolled."""
    centre, na_hang = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        month, player, airings = enrolled_month(services, s, centre)
        add_zone(s, "TN", "na-hang", "Cụm thôn Nà Hang", "hmn")
        far, _ = add_player(s, "TN", "Loa Nà Hang", zone_code="na-hang")
        enrol(s, far, na_hang, services)
        return {"sha": month.sha256, "airings": airings, "keys": (centre, na_hang),
                "players": (player.id, far.id)}


def play(services: Services, zones: dict[str, Any], which: int, count: int) -> None:
    """The player of zone ``which`` (0: chung, 1: na-hang) completes the first airings."""
    key, player_id = zones["keys"][which], zones["players"][which]
    with transaction(services.sessions) as s:
        events = [signed_completion(key, a, zones["sha"]) for a in zones["airings"][:count]]
        found = ingest_events(s, s.get_one(Player, player_id), events, JANUARY)
        assert len(found.accepted) == count


def test_one_zone_playing_leaves_the_station_short_until_the_other_plays(
        services: Services, env: dict[str, str], two_zones: dict[str, Any]) -> None:
    play(services, two_zones, 0, 3)
    row = report(env)
    assert (row["status"], row["counted"], row["required"]) == ("short", 0, 3)
    assert row["zones"] == [
        {"code": "chung", "counted": 3, "required": 3, "status": "compliant"},
        {"code": "na-hang", "counted": 0, "required": 3, "status": "short"},
    ]
    assert "zones" not in report(env, "TH")  # one zone (TH): the report reads as before
    play(services, two_zones, 1, 3)
    row = report(env)
    assert (row["status"], row["counted"]) == ("compliant", 3)
    assert [z["status"] for z in row["zones"]] == ["compliant", "compliant"]


def test_a_revoked_zone_player_is_not_waited_for(
        services: Services, env: dict[str, str], two_zones: dict[str, Any]) -> None:
    play(services, two_zones, 0, 3)
    Loa(env)("player", "revoke", str(two_zones["players"][1]))
    row = report(env)
    assert (row["status"], row["counted"]) == ("compliant", 3) and "zones" not in row


def test_the_closed_month_keeps_its_zones_and_the_evidence_names_each_plays_zone(
        services: Services, env: dict[str, str], client: Any,
        two_zones: dict[str, Any]) -> None:
    play(services, two_zones, 0, 3)
    play(services, two_zones, 1, 2)
    later = env | {"LOA_NOW": "2027-01-20T00:00:00+00:00"}
    Loa(later)("audit", "close", "--month", "2026-12")
    rows = json.loads(Loa(later)("audit", "report", "--unit", "31", "--month", "2026-12",
                                 "--format", "json"))
    row = next(r for r in rows if r["station"] == "TN")
    assert row["closed"] and row["status"] == "short" and row["counted"] == 2
    assert [(z["code"], z["counted"]) for z in row["zones"]] == [("chung", 3), ("na-hang", 2)]
    with transaction(services.sessions) as s:
        add_user(s, "tinh", PASSWORD, "auditor", "31")
    login(client, "tinh")
    page = client.get("/audit/TN/2026-12?campaign=CDS")
    assert page.status_code == 200, page.status_code
    text = page.get_data(as_text=True)
    counted = [row for row in text.split("<tr") if "✓" in row]  # the counted plays
    assert sum("cụm loa na-hang" in row for row in counted) == 2
    assert sum("cụm loa chung" in row for row in counted) == 3
    assert 'id="zone-na-hang" class="status-short"' in text


def test_the_workbook_and_the_pdf_name_each_zone_of_a_station_short(
        services: Services, env: dict[str, str], two_zones: dict[str, Any],
        tmp_path: Path) -> None:
    """The centre aired 3, Nà Hang 1: the station is short at Nà Hang's 1, and the report's
    files say so zone by zone (the reports list zones per station)."""
    play(services, two_zones, 0, 3)
    play(services, two_zones, 1, 1)
    later = Loa(env | {"LOA_NOW": JANUARY.isoformat()})
    book, pdf = tmp_path / "bao-cao.xlsx", tmp_path / "bao-cao.pdf"
    for fmt, path in (("xlsx", book), ("pdf", pdf)):
        later("audit", "report", "--unit", "31", "--month", "2026-12", "--format", fmt,
              "--output", str(path))
    header, *lines = list(load_workbook(book)["Chi tiết"].iter_rows(values_only=True))
    assert header[-1] == "Theo cụm loa"
    zones = {line[0]: line[-1] for line in lines}
    assert zones == {"TN": "cụm loa chung 3/3 (Đạt); cụm loa na-hang 1/3 (Chưa đủ lượt phát)",
                     "TH": None}  # TH reads as one
    text = pdf_text(pdf.read_bytes())
    short = text[text.index("III. Tồn tại, hạn chế"):]
    assert ("Chỉ 1/3 lượt phát đạt yêu cầu; tính theo từng cụm loa: cụm loa chung 3/3 (Đạt); "
            "cụm loa na-hang 1/3 (Chưa đủ lượt phát)") in short
