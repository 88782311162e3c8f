"""The canonical JSON that player signatures and log hashes are computed over (DESIGN §5)."""

import json
from typing import Any


def canonical_json(obj: Any, *, strict: bool = False) -> str:
    """Keys sorted, no spaces, non-ASCII kept: the form players sign and chains hash.

    ``strict`` refuses NaN and Infinity (ValueError), which are not JSON.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=not strict)
