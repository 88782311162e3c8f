"""Wiring: import every room's models so Base.metadata knows all tables."""


def import_models() -> None:
    """Register all tables on Base.metadata."""
    import compliance.models  # noqa: F401
    import playlists.models  # noqa: F401
    import stations.models  # noqa: F401
    import web.models  # noqa: F401
