"""Settling airings after their slot: aired, failed, missed, or still waiting for a report."""

from datetime import UTC, datetime, timedelta

import pytest

from playlists.models import AiringStatus
from scheduler.settle import GRACE, settled_status

END = datetime(2026, 12, 10, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "now,events,expected",
    [
        (END + timedelta(minutes=1), ["airing.started", "airing.completed"], AiringStatus.aired),
        (END + timedelta(minutes=1), ["airing.started"], None),  # may still finish reporting
        (END + timedelta(minutes=1), [], None),  # the player may be offline, not silent
        (END + GRACE, [], AiringStatus.missed),
        (END + GRACE, ["airing.started", "airing.interrupted"], AiringStatus.failed),
        (END + GRACE, ["airing.failed"], AiringStatus.failed),
        (END + 3 * GRACE, ["airing.failed", "airing.completed"], AiringStatus.aired),
    ],
)
def test_settled_status(now: datetime, events: list[str], expected: AiringStatus | None) -> None:
    assert settled_status(END, now, events) is expected
