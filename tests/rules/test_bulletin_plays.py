"""The bulletin play rule (DESIGN §6), table-driven: when a play counts, and why not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from loa.compliance.bulletin_rules import (
    BulletinFacts,
    BulletinPlay,
    SlotFacts,
    why_play_not_counted,
    why_start_not_counted,
)

SENT = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
FETCHED = SENT + timedelta(seconds=5)
TOLERANCE = timedelta(minutes=5)
SHA = "a" * 64
EMERGENCY = BulletinFacts(SHA, 60_000, SENT, SENT + timedelta(days=1), 2, placed=False)
NORMAL = replace(EMERGENCY, placed=True)
SLOT = SlotFacts(7, SENT + timedelta(hours=2))


def played(began: datetime, *, ms: int = 60_000, received: timedelta = timedelta(seconds=3),
           **fields: object) -> BulletinPlay:
    """A full completion that began at ``began`` and reached the server ``received`` after."""
    at = began + timedelta(milliseconds=ms)
    return replace(BulletinPlay("bulletin.completed", at, ms, SHA, at + received), **fields)


ON_TIME = played(FETCHED + timedelta(seconds=2))


@pytest.mark.parametrize(("play", "bulletin", "fetched", "slot", "before", "reason"), [
    (ON_TIME, EMERGENCY, FETCHED, None, 0, None),
    (ON_TIME, EMERGENCY, FETCHED, None, 1, None),  # the second of its two plays
    (ON_TIME, EMERGENCY, FETCHED, None, 2, "beyond the bulletin's 2 plays"),
    (replace(ON_TIME, event="bulletin.started"), EMERGENCY, FETCHED, None, 0, "not a completion"),
    (replace(ON_TIME, sha256="b" * 64), EMERGENCY, FETCHED, None, 0, "other audio"),
    (ON_TIME, EMERGENCY, None, None, 0, "never fetched this audio"),
    (played(SENT - timedelta(days=1)), EMERGENCY, FETCHED, None, 0, "before the bulletin was sent"),
    (ON_TIME, replace(EMERGENCY, sent_at=None), FETCHED, None, 0, "before the bulletin was sent"),
    (played(SENT + timedelta(seconds=30)), EMERGENCY, SENT + timedelta(minutes=10), None, 0,
     "before the player fetched it"),
    (played(SENT + timedelta(hours=3)), replace(EMERGENCY, over_at=SENT + timedelta(hours=1)),
     FETCHED, None, 0, "after it was cancelled or ended"),
    # within a minute of the cancel is the cancel's side of a player's clock
    (played(SENT + timedelta(hours=1, seconds=30)),
     replace(EMERGENCY, over_at=SENT + timedelta(hours=1)), FETCHED, None, 0, None),
    (replace(ON_TIME, cut=True), EMERGENCY, FETCHED, None, 0, "cut short"),
    (played(FETCHED, ms=30_000), EMERGENCY, FETCHED, None, 0, "played 50.0% of 95%"),
    (played(FETCHED, ms=60_000 + 6 * 60_000), EMERGENCY, FETCHED, None, 0, "longer than"),
    # the server's clock: a full minute cannot have played 3.75 h before it could begin
    (played(FETCHED, received=-timedelta(hours=3, minutes=45)), EMERGENCY, FETCHED, None, 0,
     "received before the play could have ended"),
    (played(FETCHED, received=-timedelta(seconds=10)), EMERGENCY, FETCHED, None, 0,
     "received before the play could have ended"),
    (replace(played(SLOT.starts_at + timedelta(minutes=1)), slot_id=7), NORMAL, FETCHED, SLOT,
     0, None),
    (replace(played(SLOT.starts_at + timedelta(minutes=6)), slot_id=7), NORMAL, FETCHED, SLOT,
     0, "start off its slot by more than 5 min"),
    (replace(played(SLOT.starts_at), slot_id=7), NORMAL, FETCHED, None, 0, "names no slot"),
    (played(SLOT.starts_at), NORMAL, FETCHED, SLOT, 0, "names no slot"),
    # a play claiming its slot, sent before that slot began (3.75 h early)
    (replace(played(SLOT.starts_at, received=-timedelta(hours=3, minutes=45)), slot_id=7),
     NORMAL, FETCHED, SLOT, 0, "received before the play could have ended"),
    (replace(ON_TIME, offset_ms=10**15), EMERGENCY, FETCHED, None, 0, "impossible time"),
])
def test_when_a_bulletin_play_counts(
    play: BulletinPlay, bulletin: BulletinFacts, fetched: datetime | None,
    slot: SlotFacts | None, before: int, reason: str | None,
) -> None:
    found = why_play_not_counted(play, bulletin, fetched, slot, before, TOLERANCE)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_a_start_counts_only_while_the_bulletin_is_live_on_fetched_audio() -> None:
    start = BulletinPlay("bulletin.started", FETCHED + timedelta(seconds=1), None, SHA,
                         FETCHED + timedelta(seconds=2))
    assert why_start_not_counted(start, EMERGENCY, FETCHED) is None
    assert "never fetched" in str(why_start_not_counted(start, EMERGENCY, None))
    early = replace(start, at=SENT - timedelta(hours=24))
    assert "before the bulletin was sent" in str(why_start_not_counted(early, EMERGENCY, FETCHED))


def test_a_play_is_read_from_its_log_columns_whatever_the_detail_holds() -> None:
    at = SENT + timedelta(minutes=2)
    play = BulletinPlay.of("bulletin.completed", at, 60_000, SHA, at,
                           {"slot_id": True, "clock_offset_ms": "9", "cancelled": True})
    assert (play.slot_id, play.offset_ms, play.cut) == (None, 0, True)
    assert BulletinPlay.of("bulletin.completed", at, None, SHA, at, ["x"]).slot_id is None
