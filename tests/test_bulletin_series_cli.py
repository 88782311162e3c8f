"""`loa bulletin send --series … --every-hours 2 --on-the-hour --night`; `loa bulletin series`."""

from __future__ import annotations

from datetime import datetime

import pytest

import tests.helpers.bulletins
from loa.clock import VN
from loa.services import Services
from tests.conftest import Loa

tree = tests.helpers.bulletins.tree  # a shared fixture
STORM_3 = "Bão số 3 năm 2026"
HOURLY = ("--series", STORM_3, "--every-hours", "2", "--on-the-hour")


def at(env: dict[str, str], local: str) -> Loa:
    """The `loa` command with the clock at a Vietnam wall-clock time."""
    now = datetime.fromisoformat(local).replace(tzinfo=VN)
    return Loa(env | {"LOA_NOW": now.isoformat()})


def test_three_storm_bulletins_by_command_leave_the_latest_playing_every_two_hours(
        env: dict[str, str], services: Services, tree: dict) -> None:
    sent = []
    for n, local in enumerate(("2026-12-01T23:30", "2026-12-02T00:30", "2026-12-02T01:30")):
        sent.append(at(env, local)(
            "bulletin", "send", "--unit", "31", "--priority", "priority", "--night",
            "--text", f"Tin bão số {n + 1}.", *HOURLY).strip())
    shown = at(env, "2026-12-02T01:31")("bulletin", "series", "--unit", "31", STORM_3)
    rows = {line.split("\t")[0]: line.split("\t") for line in shown.splitlines()[2:]}
    assert list(rows) == sent  # in order
    assert rows[sent[0]][1] == f"superseded by {sent[1]}"
    assert rows[sent[1]][1] == f"superseded by {sent[2]}"
    assert rows[sent[2]][1] == "active"
    assert rows[sent[1]][4] == "0"  # no play left for the replaced ones
    # the latest: 02:00 Vietnam time next (19:00 UTC), 12 even hours to 00:00 on the 3rd,
    # on each of the two stations
    assert rows[sent[2]][5] == "2026-12-01T19:00:00+00:00"
    assert rows[sent[2]][4] == str(12 * 2)
    assert f"\t{STORM_3}" in at(env, "2026-12-02T01:31")("bulletin", "series", "--unit", "31")


@pytest.mark.parametrize(("args", "words"), [
    (("--priority", "normal", "--night", *HOURLY), "only priority and emergency"),
    (("--priority", "priority", "--on-the-hour"), "--on-the-hour needs --every-hours"),
    (("--priority", "priority", "--every-hours", "2", "--every", "30"), "--every or --every-hours"),
    (("--priority", "priority", "--night", "--series", STORM_3), "--night needs --on-the-hour"),
    (("--priority", "priority", "--every-hours", "5", "--on-the-hour"), "'5' is not one of"),
])
def test_the_command_refuses_what_the_rules_forbid(
        loa: Loa, tree: dict, args: tuple[str, ...], words: str) -> None:
    said = loa("bulletin", "send", "--unit", "31", "--text", "Tin bão.", *args, ok=False)
    assert words in said


def test_an_unknown_series_is_named_in_the_refusal(loa: Loa, tree: dict) -> None:
    said = loa("bulletin", "series", "--unit", "31", "Lũ số 9", ok=False)
    assert "no such series" in said
