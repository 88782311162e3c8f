"""Settling airings after their slot: aired, failed, missed, or still waiting for a report."""

from datetime import UTC, datetime, timedelta

import pytest

from playlists.models import AiringStatus
from scheduler.settle import GRACE, settled_status

END = datetime(2026, 12, 10, 11, 0, tzinfo=UTC)
FULL = 720_000
STARTED = ("airing.started", None)
DONE = ("airing.completed", FULL)


@pytest.mark.parametrize(
    "now,events,expected",
    [
        (END + timedelta(minutes=1), [STARTED, DONE], AiringStatus.aired),
        (END + timedelta(minutes=1), [("airing.completed", 684_000)], AiringStatus.aired),  # 95%
        (END + timedelta(minutes=1), [STARTED], None),  # may still finish reporting
        (END + timedelta(minutes=1), [], None),  # the player may be offline, not silent
        (END + timedelta(minutes=1), [("airing.completed", 600_000)], None),
        (END + GRACE, [], AiringStatus.missed),
        (END + GRACE, [STARTED, ("airing.interrupted", 200_000)], AiringStatus.failed),
        (END + GRACE, [("airing.failed", None)], AiringStatus.failed),
        (END + GRACE, [("airing.completed", 600_000)], AiringStatus.failed),  # too short to count
        (END + 3 * GRACE, [("airing.failed", None), DONE], AiringStatus.aired),
    ],
)
def test_settled_status(
    now: datetime, events: list[tuple[str, int | None]], expected: AiringStatus | None
) -> None:
    assert settled_status(END, now, events, FULL) is expected
