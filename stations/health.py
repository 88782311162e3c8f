"""Whether a player is online: heard from within its poll interval."""

from __future__ import annotations

from datetime import datetime, timedelta

# A poll can be late by a retry or a slow link; missing two in a row is not chance.
POLLS_BEFORE_OFFLINE = 2


def is_online(last_seen: datetime | None, now: datetime, poll_s: int) -> bool:
    """A player is online if it was seen within two poll intervals.

    Cases: never seen → offline; seen in the future (its clock, or ours, is
    off) → online, since it did talk to us; exactly two intervals ago → online.
    """
    if last_seen is None:
        return False
    return now - last_seen <= timedelta(seconds=POLLS_BEFORE_OFFLINE * poll_s)
