"""Flask blueprints: operator and auditor pages, login and roles, the player API."""

from __future__ import annotations

from flask import Flask
from flask_wtf import CSRFProtect

csrf = CSRFProtect()


def register(app: Flask) -> None:
    """Attach every blueprint; the player API authenticates by token, not by form, so no CSRF."""
    from web import player_api

    csrf.init_app(app)
    app.register_blueprint(player_api.bp)
    csrf.exempt(player_api.bp)
    from web import ui

    ui.register(app)
