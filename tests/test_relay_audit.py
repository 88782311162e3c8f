"""The relay verdict (issue 17 §3): relayed against scheduled time per station and
required relay slot, compliant at 90% (LOA_RELAY_MIN_SHARE), from the signed log."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from openpyxl import load_workbook

from loa.clock import VN
from loa.compliance import keylog
from loa.compliance.relay_audit import Report, judge
from loa.compliance.rules import Status
from loa.db import transaction
from loa.player.keys import public_key_b64
from loa.playlists.relays import RelaySpan
from loa.services import Services
from loa.stations.models import Player
from tests.conftest import Loa
from tests.helpers.factories import HALF_HOUR, RELAY_MORNING, hai_phong_month, signed_relay


def span(day: int) -> RelaySpan:
    start = RELAY_MORNING + timedelta(days=day)
    return RelaySpan(1, 1, start, start + timedelta(minutes=30))


def report(day: int, relayed: int, fallback: int = 0) -> Report:
    return Report(1, RELAY_MORNING + timedelta(days=day), relayed, fallback, 1 if fallback else 0)


@pytest.mark.parametrize(("reports", "over", "expected"), [
    ([report(d, HALF_HOUR) for d in range(10)], False, (HALF_HOUR * 10, 1.0, Status.compliant)),
    ([report(d, HALF_HOUR) for d in range(9)], True, (HALF_HOUR * 9, 0.9, Status.compliant)),
    ([report(d, HALF_HOUR) for d in range(8)], True, (HALF_HOUR * 8, 0.8, Status.short)),
    ([report(d, HALF_HOUR) for d in range(8)], False, (HALF_HOUR * 8, 0.8, Status.in_progress)),
    # two players of the station: the better report of an occurrence counts, once
    ([report(0, 600_000), report(0, HALF_HOUR), *(report(d, HALF_HOUR) for d in range(1, 9))],
     True, (HALF_HOUR * 9, 0.9, Status.compliant)),
    # a reconnect's burst never makes more than the slot; another day's report is nothing
    ([report(d, HALF_HOUR + 900) for d in range(8)] + [report(40, HALF_HOUR)], True,
     (HALF_HOUR * 8, 0.8, Status.short)),
])
def test_the_verdict_of_one_slot(reports: list[Report], over: bool,
                                 expected: tuple[int, float, Status]) -> None:
    scheduled, relayed, _f, _d, share, status = judge([span(d) for d in range(10)], reports,
                                                      over, 0.9)
    assert scheduled == HALF_HOUR * 10
    assert (relayed, share, status) == expected


def post_relays(client: FlaskClient, token: str, key: Ed25519PrivateKey, slot_id: int,
                days: range, relayed_ms: int) -> None:
    events = [signed_relay(key, slot_id, (RELAY_MORNING + timedelta(days=day)).astimezone(VN),
                           relayed_ms, fallback_ms=60_000, dropouts=1) for day in days]
    answer = client.post("/api/v1/player/events", json={"events": events},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and not answer.json["rejected"], answer.json


def test_loa_audit_relay_per_station_and_slot(loa: Loa, client: FlaskClient,
                                              services: Services, env: dict,
                                              tmp_path: Path) -> None:
    with transaction(services.sessions) as s:
        players = hai_phong_month(services, s).players
        keys = {code: Ed25519PrivateKey.generate() for code in players}
        for code, (player_id, _token) in players.items():
            keylog.enrol(s, s.get_one(Player, player_id), public_key_b64(keys[code]),
                         services.clock.now())
    loa("relay", "source", "add", "VOV1", "--unit", "31", "--name", "VOV1",
        "--url", "http://127.0.0.1:9/vov1.mp3")
    slot_id = int(loa("relay", "add", "--source", "VOV1", "--unit", "31", "--at", "06:00",
                      "--minutes", "30", "--required").split()[0])
    loa("relay", "add", "--source", "VOV1", "--unit", "31", "--at", "11:00", "--minutes", "30")
    # The slot was set at 08:00 on 1 December (LOA_NOW): that morning's 06:00 was never
    # scheduled, so the month holds 30 occurrences and a report of it counts nothing. TN
    # relayed the 30 in full but 2 (less 1 min of fallback each), TH 19.
    post_relays(client, players["TN"][1], keys["TN"], slot_id, range(-1, 28), HALF_HOUR - 60_000)
    post_relays(client, players["TH"][1], keys["TH"], slot_id, range(-1, 19), HALF_HOUR)
    data = json.loads(loa("audit", "relay", "--unit", "31", "--month", "2026-12"))
    assert data["min_share"] == 0.9
    rows = {r["station"]: r for r in data["rows"]}
    assert set(rows) == {"TN", "TH"}  # the required slot only, once per station
    tn, th = rows["TN"], rows["TH"]
    assert tn["scheduled_ms"] == 30 * HALF_HOUR and tn["relayed_ms"] == 28 * (HALF_HOUR - 60_000)
    assert tn["fallback_ms"] == 28 * 60_000 and tn["dropouts"] == 28
    assert tn["share"] == round(28 * (HALF_HOUR - 60_000) / (30 * HALF_HOUR), 4)
    assert tn["status"] == "compliant" and th["status"] == "in_progress"
    # Once the month is over, TH's 19 of 30 is short; a stricter share fails TN too.
    after = Loa({**env, "LOA_NOW": "2027-01-10T00:00:00+00:00"})
    csv_text = after("audit", "relay", "--unit", "31", "--month", "2026-12", "--format", "csv")
    lines = csv_text.splitlines()
    assert lines[0] == ("station,station_name,slot_id,source,scheduled_ms,relayed_ms,"
                        "fallback_ms,dropouts,share,status")
    assert any(line.startswith("TH,") and line.endswith(",short") for line in lines)
    strict = Loa({**env, "LOA_NOW": "2027-01-10T00:00:00+00:00", "LOA_RELAY_MIN_SHARE": "0.95"})
    rows = json.loads(strict("audit", "relay", "--unit", "11560", "--month", "2026-12"))["rows"]
    assert [(r["station"], r["status"]) for r in rows] == [("TN", "short")]
    # The period's workbook carries the verdicts on a sheet of their own.
    book_path = tmp_path / "bao-cao.xlsx"
    after("audit", "report", "--unit", "31", "--month", "2026-12", "--format", "xlsx",
          "--output", str(book_path))
    sheet = load_workbook(book_path)["Tiếp sóng"]
    lines = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(lines) == {"TN", "TH"}
    assert lines["TN"][0] == "2026-12" and lines["TN"][5] == 30 * 30
    assert lines["TN"][-2:] == ("Đạt", None)  # judged as one: no zones' parts
    assert lines["TH"][-2] == "Chưa đủ thời lượng"
