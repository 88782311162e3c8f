"""Settling airings after their slot: aired, failed, missed, or still waiting for a report."""

from datetime import UTC, datetime, timedelta

import pytest

from loa.clock import VN
from loa.compliance.rules import AiringFacts, CountingRule, LoggedEvent, ProgrammeFacts, Requirement
from loa.playlists.models import AiringStatus
from loa.scheduler.settle import GRACE, settled_status

START = datetime(2026, 12, 10, 10, 48, tzinfo=UTC)
FULL = 720_000
END = START + timedelta(milliseconds=FULL)
OURS, OTHER = "a" * 64, "b" * 64
AIRING = AiringFacts(1, 7, START, False, ProgrammeFacts(OURS, FULL))
RULE = CountingRule(7, "2026-12", VN, Requirement(3, 600, 900),
                    timedelta(minutes=5))


def reported(event: str, sha256: str | None, played_ms: int | None,
             late: timedelta = timedelta(0)) -> LoggedEvent:
    """An event of airing 1 stamped as it ended (``late`` after its slot), received a minute on."""
    at = START + timedelta(milliseconds=played_ms or 0) + late
    return LoggedEvent(event, 1, at, sha256, played_ms, at + timedelta(minutes=1))


STARTED = reported("airing.started", OURS, None)
DONE = reported("airing.completed", OURS, FULL)


def completed(played_ms: int, sha256: str | None = OURS,
              late: timedelta = timedelta(0)) -> LoggedEvent:
    return reported("airing.completed", sha256, played_ms, late)


@pytest.mark.parametrize(
    "now,events,expected",
    [
        (END + timedelta(minutes=1), [STARTED, DONE], AiringStatus.aired),
        (END + timedelta(minutes=1), [completed(684_000)], AiringStatus.aired),  # 95%
        (END + timedelta(minutes=1), [completed(FULL, late=timedelta(minutes=4))],
         AiringStatus.aired),  # within the tolerance
        (END + timedelta(minutes=1), [STARTED], None),  # may still finish reporting
        (END + timedelta(minutes=1), [], None),  # the player may be offline, not silent
        (END + timedelta(minutes=1), [completed(600_000)], None),
        (END + timedelta(minutes=1), [completed(FULL, OTHER)], None),  # not this programme
        (END + GRACE, [], AiringStatus.missed),
        (END + GRACE, [STARTED, reported("airing.interrupted", OURS, 200_000)],
         AiringStatus.failed),
        (END + GRACE, [reported("airing.failed", None, None)], AiringStatus.failed),
        (END + GRACE, [completed(600_000)], AiringStatus.failed),  # too short to count
        (END + GRACE, [completed(FULL, OTHER)], AiringStatus.failed),  # other audio, in full
        (END + GRACE, [completed(FULL, None)], AiringStatus.failed),  # audio not said
        (END + GRACE, [completed(FULL, late=timedelta(minutes=20))],
         AiringStatus.failed),  # the audit would not count a play that far off its slot
        (END + 3 * GRACE, [reported("airing.failed", None, None), DONE], AiringStatus.aired),
        (END + GRACE, [completed(FULL, OTHER), DONE], AiringStatus.aired),  # a second player
    ],
)
def test_settled_status(
    now: datetime, events: list[LoggedEvent], expected: AiringStatus | None
) -> None:
    assert settled_status(AIRING, now, events, RULE) is expected
