"""A bulletin's bounds, in one place: the rules, the web form and the command line read them.

Only the standard library here, so `loa bulletin --help` still loads no database library.
"""

from __future__ import annotations

from datetime import timedelta

MAX_TITLE = 300
MAX_TEXT = 10_000
MAX_REPEATS = 100
MIN_REPEAT_EVERY_S = 60
# A month between two plays: a notice re-read on each of a year's market days fits; a wider
# spacing is a new bulletin, not a repeat.
MAX_REPEAT_EVERY_S = 30 * 24 * 3600
MAX_VALIDITY = timedelta(days=366)
DEFAULT_VALIDITY = timedelta(days=1)
# "Every N hours on the hour": the intervals that divide a day, so the plays fall on the
# same hours every day (every 5 hours would wander round the clock).
EVERY_HOURS = (1, 2, 3, 4, 6, 8, 12, 24)
