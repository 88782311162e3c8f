"""The WSGI application for gunicorn (``loa.wsgi:app``): web workers only, no scheduler.

Each worker builds its own app after the fork, so no database connection is shared.
"""

from __future__ import annotations

import logging

from loa.app import create_app, warm_bulletin_render
from loa.settings import load_settings

logging.basicConfig(
    level=load_settings().log_level,
    format="%(asctime)s %(levelname)s %(process)d %(name)s %(message)s",
)
app = create_app()
warming = warm_bulletin_render()  # the worker's first emergency finds the render loaded
