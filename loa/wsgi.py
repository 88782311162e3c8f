"""The WSGI application for gunicorn (``loa.wsgi:app``): web workers only, no scheduler.

Each worker builds its own app after the fork, so no database connection is shared.
"""

from __future__ import annotations

from loa.app import create_app

app = create_app()
