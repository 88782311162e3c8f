"""The one exception type every room raises for bad input."""


class LoaError(Exception):
    """Bad input or a broken rule; ``str()`` is a message for the user, Vietnamese first."""
