"""DESIGN §6, counting by zone: each zone with a player in use must reach the count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loa.compliance.rules import (
    LoggedEvent,
    ProgrammeFacts,
    Status,
    ZoneVerdict,
    counted_by_zone,
    counts_by_zone,
    heard_audio,
    station_counted,
    why_not_counted,
    zone_verdicts,
)
from tests.helpers.counting import AIRINGS, MID, PROG, REQ, RULE, SHA, airing, done


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


HMONG = ProgrammeFacts("b" * 64, 660_000)
WITH_VARIANT = {
    1: airing(1, variants=(("hmn", HMONG),)),
    2: airing(2, MID + timedelta(days=1), variants=(("hmn", HMONG),)),
}


def hmong_play(airing_id: int, language: str | None, sha: str = HMONG.sha256,
               played_ms: int = HMONG.duration_ms) -> LoggedEvent:
    at = WITH_VARIANT[airing_id].starts_at + timedelta(milliseconds=played_ms)
    return done(airing_id, at=at, received_at=at, asset_sha256=sha, played_ms=played_ms,
                zone="na-hang" if language else None, language=language)


@pytest.mark.parametrize(
    "event,reason",
    [
        (hmong_play(1, "hmn"), None),  # its zone's variant, played in full
        (hmong_play(1, "hmn", SHA, PROG.duration_ms), None),  # the master still counts there
        (hmong_play(1, "km"), "other audio"),  # a Khmer zone: not its language
        (hmong_play(1, None), "other audio"),  # a Vietnamese zone
        (hmong_play(1, "hmn", played_ms=600_000), "played 90.9% of 95%"),  # of the variant
        (hmong_play(2, "hmn", played_ms=HMONG.duration_ms + 6 * 60_000),
         "played longer than the programme lasts"),
    ],
)
def test_a_zone_may_play_the_variant_of_its_language(
        event: LoggedEvent, reason: str | None) -> None:
    found = why_not_counted(event, WITH_VARIANT, RULE)
    assert (found is None) if reason is None else (found is not None and reason in found)


def test_the_heard_audio_is_the_variant_only_when_the_play_carried_it() -> None:
    assert heard_audio(hmong_play(1, "hmn"), WITH_VARIANT[1], PROG) == HMONG
    assert heard_audio(hmong_play(1, "hmn", SHA), WITH_VARIANT[1], PROG) == PROG
    assert heard_audio(hmong_play(1, None), WITH_VARIANT[1], PROG) == PROG
