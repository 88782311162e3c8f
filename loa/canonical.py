"""The canonical JSON that player signatures and log hashes are computed over (DESIGN §5).

It lives with the player agent, the lowest package, so the agent installs without the server.
"""

from loa_player.canonical import canonical_json

__all__ = ["canonical_json"]
