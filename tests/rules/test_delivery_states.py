"""What a bulletin's delivery reads per player and per station (DESIGN §6, delivery states),
and which plays are failures, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from loa.compliance.bulletin_rules import play_failure
from loa.playlists.delivery_states import (
    DeliveryState,
    PlayerPlays,
    player_state,
    station_state,
    zones_state,
)

SENT = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
LENGTH_MS = 30_000
BEGAN = SENT + timedelta(seconds=2)
PUSHED = PlayerPlays(0, pushed_at=SENT)
FETCHED = replace(PUSHED, fetched_at=SENT + timedelta(seconds=1))
STARTED = replace(FETCHED, last_started_at=BEGAN)
DONE = replace(STARTED, plays=1)
FAILED = replace(STARTED, failed_at=BEGAN + timedelta(seconds=3),
                 failure="all outputs failed: aplay: exited 1")
UNCOUNTED = replace(STARTED, not_counted="chỉ phát 40.0%, cần 95% (played 40.0% of 95%)")
# A start 10 s into the play; the end it could have had: its length plus the clock slack.
DURING = BEGAN + timedelta(seconds=10)
COULD_END = BEGAN + timedelta(milliseconds=LENGTH_MS) + timedelta(minutes=1)

S = DeliveryState


@pytest.mark.parametrize(("row", "now", "state", "reason"), [
    (PlayerPlays(0), SENT, S.waiting, None),
    (PUSHED, SENT, S.pushed, None),
    (FETCHED, SENT, S.fetched, None),
    (STARTED, DURING, S.playing, None),
    (STARTED, COULD_END - timedelta(milliseconds=1), S.playing, None),  # a clock off by 59 s
    (STARTED, COULD_END, S.cut, None),  # no completion came: it cannot still be playing
    (UNCOUNTED, DURING, S.cut, UNCOUNTED.not_counted),  # its completion came, not counted
    (DONE, DURING, S.completed, None),
    (replace(DONE, failed_at=COULD_END, failure="x"), COULD_END, S.completed, None),
    (FAILED, DURING, S.failed, FAILED.failure),  # red at once, not "playing"
    (replace(FAILED, last_started_at=None), DURING, S.failed, FAILED.failure),
    # A later repeat began after the failure: it is what plays now, then it is cut.
    (replace(FAILED, last_started_at=FAILED.failed_at + timedelta(minutes=10)),
     FAILED.failed_at + timedelta(minutes=10, seconds=5), S.playing, None),
    (replace(FAILED, last_started_at=FAILED.failed_at + timedelta(minutes=10)),
     FAILED.failed_at + timedelta(minutes=20), S.cut, None),
    (replace(STARTED, failed_at=BEGAN, failure="same instant"), DURING, S.failed, "same instant"),
])
def test_player_state(row: PlayerPlays, now: datetime, state: DeliveryState,
                      reason: str | None) -> None:
    assert player_state(row, LENGTH_MS, now) == (state, reason)


@pytest.mark.parametrize(("rows", "state", "reason"), [
    ([], S.waiting, None),  # a station with no player when it was sent
    ([FAILED, DONE], S.completed, None),  # one cluster played it through: the station did
    ([FAILED, STARTED], S.playing, None),  # the other is still playing it
    ([UNCOUNTED, FAILED], S.failed, FAILED.failure),  # red before grey
    ([FETCHED, UNCOUNTED], S.cut, UNCOUNTED.not_counted),
    ([PUSHED, FETCHED], S.fetched, None),
])
def test_station_state_is_its_best_player(rows: list[PlayerPlays], state: DeliveryState,
                                          reason: str | None) -> None:
    assert station_state(rows, LENGTH_MS, DURING) == (state, reason)


@pytest.mark.parametrize(("zones", "state", "reason"), [
    ([], S.waiting, None),
    ([(S.completed, None)], S.completed, None),  # one zone: as the station before zones
    ([(S.completed, None), (S.completed, None)], S.completed, None),
    ([(S.completed, None), (S.waiting, None)], S.waiting, None),  # one zone still waits
    ([(S.completed, None), (S.failed, "x"), (S.fetched, None)], S.failed, "x"),
    ([(S.playing, None), (S.completed, None)], S.playing, None),
])
def test_a_station_plays_once_every_zone_it_reached_did(
        zones: list[tuple[DeliveryState, str | None]], state: DeliveryState,
        reason: str | None) -> None:
    assert zones_state(zones) == (state, reason)


@pytest.mark.parametrize(("event", "detail", "reason"), [
    ("bulletin.failed", {"reason": "all outputs failed: aplay: exited 1"},
     "all outputs failed: aplay: exited 1"),
    ("bulletin.failed", {}, "thiết bị báo lỗi phát (the player reported a failed play)"),
    ("bulletin.failed", {"reason": "  "}, "thiết bị báo lỗi phát (the player reported a "
                                          "failed play)"),
    ("bulletin.failed", {"reason": "x" * 500}, "x" * 300),  # as long as the row keeps
    ("bulletin.failed", None, "thiết bị báo lỗi phát (the player reported a failed play)"),
    # Agents before bulletin.failed: a completion carrying its error.
    ("bulletin.completed", {"error": "no real output played: aplay: exited 1"},
     "no real output played: aplay: exited 1"),
    # Through null after the real outputs failed, even with no error said.
    ("bulletin.completed", {"output": "null", "output_errors": ["aplay: x", "ffplay: y"]},
     "no real output played: aplay: x; ffplay: y"),
    ("bulletin.completed", {"output": "null"}, None),  # a box with only null: nothing fell back
    ("bulletin.completed", {"output": "ffplay", "output_errors": ["aplay: x"]}, None),
    ("bulletin.completed", {"cancelled": True}, None),  # cut, not failed
    ("bulletin.started", {"reason": "x"}, None),
])
def test_play_failure(event: str, detail: Any, reason: str | None) -> None:
    assert play_failure(event, detail) == reason
