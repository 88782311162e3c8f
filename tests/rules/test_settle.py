"""Settling airings after their slot: aired, failed, missed, or still waiting for a report."""

from datetime import UTC, datetime, timedelta

import pytest

from playlists.models import AiringStatus
from scheduler.settle import GRACE, Reported, settled_status

END = datetime(2026, 12, 10, 11, 0, tzinfo=UTC)
FULL = 720_000
OURS, OTHER = "a" * 64, "b" * 64
STARTED = Reported("airing.started", OURS, None)
DONE = Reported("airing.completed", OURS, FULL)


def completed(played_ms: int, sha256: str = OURS) -> Reported:
    return Reported("airing.completed", sha256, played_ms)


@pytest.mark.parametrize(
    "now,events,expected",
    [
        (END + timedelta(minutes=1), [STARTED, DONE], AiringStatus.aired),
        (END + timedelta(minutes=1), [completed(684_000)], AiringStatus.aired),  # 95%
        (END + timedelta(minutes=1), [STARTED], None),  # may still finish reporting
        (END + timedelta(minutes=1), [], None),  # the player may be offline, not silent
        (END + timedelta(minutes=1), [completed(600_000)], None),
        (END + timedelta(minutes=1), [completed(FULL, OTHER)], None),  # not this programme
        (END + GRACE, [], AiringStatus.missed),
        (END + GRACE, [STARTED, Reported("airing.interrupted", OURS, 200_000)],
         AiringStatus.failed),
        (END + GRACE, [Reported("airing.failed", None, None)], AiringStatus.failed),
        (END + GRACE, [completed(600_000)], AiringStatus.failed),  # too short to count
        (END + GRACE, [completed(FULL, OTHER)], AiringStatus.failed),  # other audio, in full
        (END + GRACE, [completed(FULL, None)], AiringStatus.failed),  # audio not said
        (END + 3 * GRACE, [Reported("airing.failed", None, None), DONE], AiringStatus.aired),
        (END + GRACE, [completed(FULL, OTHER), DONE], AiringStatus.aired),  # a second player
    ],
)
def test_settled_status(
    now: datetime, events: list[Reported], expected: AiringStatus | None
) -> None:
    assert settled_status(END, now, events, OURS, FULL) is expected
