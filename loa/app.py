"""Wiring: build the Flask app and the shared services from the rooms."""

from __future__ import annotations

import threading
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from loa.audio.store import AudioStore
from loa.clock import Clock, clock_for
from loa.compliance.anchors import ANCHOR_FILE, checkpoint_file
from loa.compliance.marks import MARK_KEY, mark_key
from loa.db import make_engine, session_factory
from loa.models import import_models
from loa.playlists.bulletin_delivery import mark_pushed
from loa.secret import secret_key
from loa.services import Services
from loa.settings import Settings, load_settings
from loa.stations.push import NullPublisher, Publisher, publish_on_commit

if TYPE_CHECKING:
    from flask import Flask


def build_services(
    settings: Settings, clock: Clock | None = None, publisher: Publisher | None = None
) -> Services:
    """The settings, database, clock, audio store and publisher every entry point shares."""
    import_models()
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.audio_dir.mkdir(parents=True, exist_ok=True)
    sessions = session_factory(make_engine(settings.database_url), {
        ANCHOR_FILE: str(checkpoint_file(settings.home)),
        MARK_KEY: mark_key(secret_key(settings.secret_key, settings.home)),
    })
    publisher = publisher or make_publisher(settings)
    clock = clock or clock_for(settings.now)
    # Every path (CLI, web and jobs) notifies after commit.
    publish_on_commit(sessions, publisher, partial(mark_pushed, sessions, clock))
    return Services(
        settings=settings,
        sessions=sessions,
        clock=clock,
        store=AudioStore(settings.audio_dir),
        publisher=publisher,
    )


def make_publisher(settings: Settings) -> Publisher:
    if not settings.mqtt_url:
        return NullPublisher()
    from loa.stations.mqtt import MqttPublisher

    return MqttPublisher(settings.mqtt_url)


def create_app(
    services: Services | None = None, test_config: dict[str, Any] | None = None
) -> Flask:
    """The Loa web app: operator and auditor pages, and the player API.

    Flask loads here, not at import: the command line and the scheduler build their
    services from this module too and serve no pages.
    """
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    services = services or build_services(load_settings())
    app = Flask("loa.web")
    app.config.from_mapping(
        SECRET_KEY=secret_key(services.settings.secret_key, services.settings.home),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=services.settings.session_minutes),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=services.settings.secure_cookies,
        MAX_CONTENT_LENGTH=256 * 1024 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    if services.settings.proxy_hops:
        # Behind nginx: the client's address and scheme come from X-Forwarded-For/-Proto.
        hops = services.settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops)
    app.extensions["loa"] = services
    from loa.web.wiring import register

    register(app)
    return app


def warm_bulletin_render() -> threading.Thread:
    """Load the bulletin render in the background (its modules, numpy among them, and the
    shipped chime's samples), so a server process's first emergency does not wait for them
    in its request: 0.1 s at a load of 3 (0.5 s at 12) and 17 MB. For the web workers and
    `loa serve`; the command line renders once and exits, and loads them as it goes."""

    def load() -> None:
        from loa.audio.bulletin import warm_up

        warm_up()

    thread = threading.Thread(target=load, name="loa-warm-bulletin", daemon=True)
    thread.start()
    return thread
