"""The canonical JSON that player signatures and log hashes are computed over (DESIGN §5).

It lives with the player agent, the lowest package, so the agent installs without the server.
"""

from typing import Any

from loa.player.canonical import canonical_json

__all__ = ["canonical_json", "nesting_depth"]


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
