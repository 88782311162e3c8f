"""Wiring: import every room's models so Base.metadata knows all tables."""


def import_models() -> None:
    """Register all tables on Base.metadata."""
    import loa.compliance.models
    import loa.notify.models
    import loa.playlists.cap_models
    import loa.playlists.models
    import loa.playlists.relay_models
    import loa.playlists.variants
    import loa.stations.accounts
    import loa.stations.models
    import loa.web.models  # noqa: F401
