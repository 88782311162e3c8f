"""The one exception type every room raises for bad input, and its two-language messages."""

import re

_BRACKETED = re.compile(r"^(?P<vi>.+?)\s*\((?P<en>[^()]+)\)\s*$", re.S)


def bilingual(message: str) -> tuple[str, str]:
    """A "Vietnamese (English)" message as its two halves; without brackets, both are it."""
    found = _BRACKETED.match(message)
    return (found.group("vi"), found.group("en")) if found else (message, message)


class LoaError(Exception):
    """Bad input or a broken rule; ``str()`` is a message for the user, Vietnamese first."""
