"""The counting rule's facts (DESIGN §6): one station's December, its airings and plays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from loa.clock import VN
from loa.compliance.rules import AiringFacts, CountingRule, LoggedEvent, ProgrammeFacts, Requirement

SHA = "a" * 64
PROG = ProgrammeFacts(sha256=SHA, duration_ms=720_000)
REQ = Requirement(min_airings=3, min_s=600, max_s=900)
RULE = CountingRule(1, "2026-12", VN, REQ, timedelta(minutes=5))
MID = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
FIRST = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 00:00 on 1/12 in Vietnam
LAST = datetime(2026, 12, 31, 16, 48, tzinfo=UTC)  # 23:48 on 31/12 in Vietnam


def airing(airing_id: int, starts_at: datetime = MID, **kw: object) -> AiringFacts:
    fields: dict[str, object] = {"campaign_id": 1, "cancelled": False, "programme": PROG}
    fields.update(kw)
    return AiringFacts(airing_id=airing_id, starts_at=starts_at, **fields)  # type: ignore[arg-type]


AIRINGS = {
    1: airing(1),
    2: airing(2, MID + timedelta(days=1)),
    3: airing(3, MID + timedelta(days=2)),
    4: airing(4, FIRST),
    5: airing(5, LAST),
    6: airing(6, FIRST - timedelta(minutes=1)),  # 23:59 on 30/11 in Vietnam
    7: airing(7, LAST + timedelta(minutes=12)),  # 00:00 on 1/1 in Vietnam
    8: airing(8, cancelled=True),
    9: airing(9, campaign_id=2),
    10: airing(10, programme=ProgrammeFacts(SHA, 599_000)),
}


def done(airing_id: int | None, **kw: object) -> LoggedEvent:
    """A full play of the airing that began on time, reported the moment it ended."""
    starts = AIRINGS[airing_id].starts_at if airing_id in AIRINGS else MID
    at = starts + timedelta(minutes=12)
    fields: dict[str, object] = {
        "event": "airing.completed",
        "at": at,
        "asset_sha256": SHA,
        "played_ms": 720_000,
        "received_at": at,
    }
    fields.update(kw)
    return LoggedEvent(airing_id=airing_id, **fields)  # type: ignore[arg-type]
