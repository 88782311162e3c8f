"""Relay slots that name zones: only those zones' players relay and report them, and a
required relay is judged zone by zone where two or more zones it reaches have a player
(issue 17 §4; design §3 "Relays", §5, §6 "The relay verdict")."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from loa.clock import VN
from loa.compliance import keylog
from loa.db import transaction
from loa.player.keys import public_key_b64
from loa.services import Services
from loa.stations.models import Player
from loa.stations.players import add_player
from loa.stations.zones import add_zone
from tests.conftest import Loa
from tests.helpers.factories import hai_phong_month, signed_relay
from tests.test_relay_audit import HALF_HOUR, T0


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
    events = [signed_relay(key, slot_id, (T0 + timedelta(days=day)).astimezone(VN), HALF_HOUR)
              for day in days]
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
