"""A bulletin's delivery as the page, its JSON and `loa bulletin show` read it (issue 16 §1,
DESIGN §6 "Bulletin delivery states"): only a counted completion is "đã phát" and counts in
the headline; a start reads "đang phát" while it can still play, then "bị ngắt"; a play
nobody heard reads "lỗi phát" in red with its reason. Signed plays through ingest, on
both databases."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

import tests.helpers.bulletin_web
from loa.clock import FrozenClock
from loa.db import transaction
from loa.playlists.models import Bulletin
from loa.services import Services
from loa.simulate import make_sine
from tests.conftest import Loa
from tests.helpers.bulletin_web import completed, report, started
from tests.helpers.web import login
from tests.players.bulletins import send_bulletin

tree = tests.helpers.bulletin_web.tree  # a shared fixture

pytestmark = pytest.mark.both_databases


@pytest.fixture
def sent(services: Services, tree: dict[str, int], tmp_path: Path,
         client: FlaskClient) -> Bulletin:
    """An emergency of ward 11560 to its station TN (two players), sent now; its leader
    is logged in."""
    bulletin_id = send_bulletin(services, "11560", make_sine(tmp_path / "tone.mp3", 1.0))
    login(client, "lanhdao")
    with transaction(services.sessions) as s:
        bulletin = s.get_one(Bulletin, bulletin_id)
        s.expunge(bulletin)
    return bulletin


def live(client: FlaskClient, bulletin: Bulletin) -> dict[str, Any]:
    state: dict[str, Any] = client.get(f"/bulletins/{bulletin.id}/delivery.json").get_json()
    return state


def tn(client: FlaskClient, bulletin: Bulletin) -> dict[str, Any]:
    """Station TN's row of the live data."""
    row: dict[str, Any] = live(client, bulletin)["stations"][0]
    assert row["code"] == "TN"
    return row


def test_a_start_reads_playing_while_it_can_then_cut_and_never_counts(
    client: FlaskClient, services: Services, tree: dict[str, int], sent: Bulletin
) -> None:
    assert tn(client, sent)["state_label"] == "Chưa nhận"  # no broker here: nothing yet
    started(services, tree["tn1"], sent, seconds=1)
    assert (tn(client, sent)["state_label"], live(client, sent)["headline"]) == (
        "Đang phát", "Đã phát 0/1 đài")
    assert isinstance(services.clock, FrozenClock) and sent.sent_at and sent.duration_ms
    could_end = sent.sent_at + timedelta(seconds=1, milliseconds=sent.duration_ms)
    services.clock.set(could_end + timedelta(seconds=59))  # a player clock a minute off
    assert tn(client, sent)["state"] == "playing"
    services.clock.set(could_end + timedelta(seconds=61))  # no completion came in time
    row = tn(client, sent)
    assert (row["state"], row["state_label"], row["played"]) == ("cut", "Bị ngắt", False)
    assert live(client, sent)["headline"] == "Đã phát 0/1 đài"


def test_a_play_cut_short_reads_cut_with_the_rules_reason_in_the_pages_language(
    client: FlaskClient, services: Services, tree: dict[str, int], sent: Bulletin
) -> None:
    started(services, tree["tn1"], sent, seconds=1)
    assert sent.sent_at is not None
    report(services, tree["tn1"], sent, "bulletin.completed",
           sent.sent_at + timedelta(seconds=2), 1000, cancelled=True, output="aplay")
    row = tn(client, sent)
    assert (row["state_label"], row["reason"]) == ("Bị ngắt", "lượt phát bị dừng giữa chừng")
    client.get("/lang/en?next=/bulletins")
    row = tn(client, sent)
    assert (row["state_label"], row["reason"]) == ("Interrupted", "the play was cut short")


def test_a_play_through_null_from_an_older_agent_reads_failed_in_red(
    client: FlaskClient, services: Services, tree: dict[str, int], sent: Bulletin, loa: Loa
) -> None:
    """An agent from before bulletin.failed: its completion says the play went to null
    after aplay and ffplay failed, and claims the whole length."""
    started(services, tree["tn1"], sent, seconds=1)
    assert sent.sent_at is not None and sent.duration_ms
    assert isinstance(services.clock, FrozenClock)
    services.clock.set(sent.sent_at + timedelta(minutes=5))
    report(services, tree["tn1"], sent, "bulletin.completed",
           sent.sent_at + timedelta(seconds=1, milliseconds=sent.duration_ms),
           sent.duration_ms, output="null",
           output_errors=["aplay: aplay exited 1", "ffplay: ffplay exited 1"])
    page = client.get(f"/bulletins/{sent.id}").get_data(as_text=True)
    row = re.search(r'<tr data-station="TN".*?</tr>', page, re.S)
    assert row and 'class="failed"' in row.group(0) and "state-failed" in row.group(0)
    assert "Lỗi phát" in row.group(0) and "Đã phát 0/1 đài" in page
    assert ("không đầu ra âm thanh thật nào phát được: aplay: aplay exited 1; ffplay: "
            "ffplay exited 1") in row.group(0)
    station = json.loads(loa("bulletin", "show", str(sent.id), "--format", "json"))
    assert station["completed"] == 0
    assert {k: station["delivery"][0][k] for k in ("started", "completed", "failed")} == {
        "started": True, "completed": False, "failed": True}
    assert station["delivery"][0]["reason"].startswith("no real output played")


def test_a_later_counted_play_of_the_station_wins_over_a_failure(
    client: FlaskClient, services: Services, tree: dict[str, int], sent: Bulletin
) -> None:
    started(services, tree["tn1"], sent, seconds=1)
    assert sent.sent_at is not None
    report(services, tree["tn1"], sent, "bulletin.failed",
           sent.sent_at + timedelta(seconds=1), None, output="null",
           reason="all outputs failed: aplay: aplay exited 1")
    row = tn(client, sent)
    assert (row["state"], row["failed"]) == ("failed", True)
    assert row["reason"] == "mọi đầu ra âm thanh đều lỗi: aplay: aplay exited 1"
    assert "0/1 đài" in client.get("/bulletins").get_data(as_text=True)
    started(services, tree["tn1"], sent, seconds=30)  # played again, through a fixed output
    assert tn(client, sent)["state"] == "playing"
    completed(services, tree["tn1"], sent, seconds=30)
    row = tn(client, sent)
    assert (row["state_label"], row["played"], row["reason"]) == ("Đã phát", True, "")
    assert live(client, sent)["headline"] == "Đã phát 1/1 đài"
    assert "1/1 đài" in client.get("/bulletins").get_data(as_text=True)


def test_a_devices_reason_is_shown_whole_and_the_servers_own_in_the_pages_language(
    client: FlaskClient, services: Services, tree: dict[str, int], sent: Bulletin
) -> None:
    started(services, tree["tn1"], sent, seconds=1)
    assert sent.sent_at is not None
    device = "ffplay exited 1: SDL_OpenAudio (no audio device)"  # its own bracket, kept
    report(services, tree["tn1"], sent, "bulletin.failed",
           sent.sent_at + timedelta(seconds=2), None, reason=device)
    assert tn(client, sent)["reason"] == device
    report(services, tree["tn1"], sent, "bulletin.failed",
           sent.sent_at + timedelta(seconds=3), None)  # an agent that says nothing
    assert tn(client, sent)["reason"] == "thiết bị báo lỗi phát"
    client.get("/lang/en?next=/bulletins")
    assert tn(client, sent)["reason"] == "the player reported a failed play"
