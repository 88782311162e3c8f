"""Reading what `loa audit verify` says of a tampered log."""

from __future__ import annotations

from tests.conftest import Loa


def problems(loa: Loa) -> list[str]:
    """The lines of a failing `loa audit verify`, one per problem."""
    return [line for line in loa("audit", "verify", ok=False).splitlines() if line.strip()]


def named(lines: list[str], seq: int, words: str) -> bool:
    """Whether a problem names TN's entry ``seq`` and says ``words`` of it."""
    return any(f"đài TN, mục seq={seq}:" in line and words in line for line in lines)
