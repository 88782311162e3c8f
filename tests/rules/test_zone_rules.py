"""DESIGN §6, counting by zone: each zone with a player in use must reach the count."""

from __future__ import annotations

import pytest

from loa.compliance.rules import (
    Status,
    ZoneVerdict,
    counted_by_zone,
    counts_by_zone,
    station_counted,
    zone_verdicts,
)
from tests.rules.test_compliance_rules import AIRINGS, PROG, REQ, RULE, done


def test_a_completion_counts_for_the_zone_of_the_player_that_logged_it() -> None:
    events = [
        done(1, zone="chung"), done(2, zone="chung"), done(2, zone="chung"),  # twice: once
        done(1, zone="na-hang"),  # the same airing in another zone counts there too
        done(3),  # no zone: the default one
        done(9, zone="na-hang"),  # another campaign's airing counts nowhere
    ]
    assert counted_by_zone(events, AIRINGS, RULE, "chung") == {"chung": 3, "na-hang": 1}


@pytest.mark.parametrize(
    "total,by_zone,playing,counted",
    [
        (3, {"chung": 3}, ["chung"], 3),  # one zone: as before zones
        (3, {"chung": 3}, [], 3),  # no player in use: as before
        (3, {"chung": 1, "cu": 2}, ["chung"], 3),  # a revoked zone's plays still count
        (3, {"chung": 3}, ["chung", "na-hang"], 0),  # the second zone never played
        (4, {"chung": 4, "na-hang": 3}, ["chung", "na-hang"], 3),  # the least zone
        (3, {"chung": 3, "na-hang": 3, "ban": 5}, ["chung", "na-hang"], 3),  # unused zone
        (5, {"na-hang": 3, "chung": 5}, ["na-hang", "chung"], 3),
    ],
)
def test_the_station_count_is_the_least_zone_when_two_or_more_play(
        total: int, by_zone: dict[str, int], playing: list[str], counted: int) -> None:
    assert station_counted(total, by_zone, playing) == counted
    assert counts_by_zone(playing) == (len(playing) > 1)


@pytest.mark.parametrize(
    "by_zone,playing,ended,expected",
    [
        ({"chung": 3}, ["chung"], True, []),  # one zone: no zone list
        (
            {"chung": 3},
            ["chung", "na-hang"],
            True,
            [ZoneVerdict("chung", 3, 3, Status.compliant),
             ZoneVerdict("na-hang", 0, 3, Status.short)],
        ),
        (
            {"chung": 1, "na-hang": 4},
            ["chung", "na-hang"],
            False,
            [ZoneVerdict("chung", 1, 3, Status.in_progress),
             ZoneVerdict("na-hang", 4, 3, Status.compliant)],
        ),
    ],
)
def test_each_zone_in_use_has_its_own_verdict(
        by_zone: dict[str, int], playing: list[str], ended: bool,
        expected: list[ZoneVerdict]) -> None:
    assert zone_verdicts(PROG, REQ, by_zone, playing, ended) == expected


def test_no_programme_reads_the_same_in_every_zone() -> None:
    found = zone_verdicts(None, REQ, {}, ["chung", "na-hang"], True)
    assert [v.status for v in found] == [Status.no_programme, Status.no_programme]
