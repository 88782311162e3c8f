"""The canonical JSON that player signatures and log hashes are computed over (DESIGN §5)."""

import json
from typing import Any


def canonical_json(obj: Any, *, strict: bool = False) -> str:
    """Keys sorted, no spaces, non-ASCII kept: the form players sign and chains hash.

    ``strict`` refuses NaN and Infinity (ValueError), which are not JSON.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=not strict)


def nesting_depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0), without recursing.

    Deep input must be measured before anything recursive (json.dumps, a
    database driver) touches it, so this walks with its own stack.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if not isinstance(item, list):
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in item)
    return deepest
