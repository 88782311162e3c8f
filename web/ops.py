"""For the operations team: /healthz (is this node fit to serve?) and /metrics (Prometheus).

No login: a load balancer and Prometheus call them. Keep them off the public
site at the proxy (packaging/nginx example) if the figures are not for everyone.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from loa.audio.store import unreadable_by_group
from loa.metrics import FleetCollector, exposition
from loa.scheduler.locks import someone_leads
from loa.services import Services
from loa.web.context import services

bp = Blueprint("ops", __name__)

MIN_FREE_BYTES = 512 * 1024 * 1024  # below this the audio store soon refuses uploads


def _database(loa: Services) -> str | None:
    try:
        with loa.sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as err:
        return f"không kết nối được cơ sở dữ liệu (database unreachable): {type(err).__name__}"
    return None


def _broker(loa: Services) -> str | None:
    if not loa.settings.mqtt_url:
        return None  # not configured: players poll, nothing to check
    where = urlsplit(loa.settings.mqtt_url)
    try:
        socket.create_connection((where.hostname or "127.0.0.1", where.port or 1883),
                                 timeout=2).close()
    except OSError as err:
        return f"không kết nối được MQTT (broker unreachable): {err.strerror or err}"
    return None


def _disk(loa: Services) -> str | None:
    try:
        free = shutil.disk_usage(loa.settings.audio_dir).free
    except OSError as err:  # the store's volume unmounted or its folder gone
        return f"không đọc được kho âm thanh (audio store unreadable): {err.strerror or err}"
    if free < MIN_FREE_BYTES:
        return f"ổ đĩa sắp đầy (disk almost full): {free // 2**20} MB free"
    return None


def _audio(loa: Services) -> str | None:
    """The store's newest files and its folders readable by this process and, where nginx
    sends them (X-Accel-Redirect), by the store's group, which nginx is in: a file written
    0600 or by root is a 403 or a 500 for every player that fetches it."""
    root = loa.settings.audio_dir
    try:
        bad = unreadable_by_group(root, group=bool(loa.settings.accel_redirect))
    except OSError as err:
        return f"không đọc được kho âm thanh (audio store unreadable): {err.strerror or err}"
    if not bad:
        return None
    return (
        f"{len(bad)} tệp/thư mục trong kho âm thanh không đọc được, ví dụ {bad[0]} "
        f"({len(bad)} audio files or folders unreadable by the service or its group: "
        "give them the store's group and g+rX, docs/deploy.md step 7)"
    )


def _scheduler(loa: Services) -> str | None:
    """Whether some process holds the scheduler's leader lock (it may be on another node)."""
    try:
        with loa.sessions() as session:
            held = someone_leads(session, loa.settings.database_url, loa.settings.home)
    except SQLAlchemyError:
        return "không rõ (unknown: database unreachable)"
    return None if held else "không có tiến trình lập lịch nào dẫn (no scheduler leads)"


CHECKS: dict[str, Callable[[Services], str | None]] = {
    "database": _database, "broker": _broker, "disk": _disk, "audio": _audio,
    "scheduler": _scheduler,
}
# Parts whose outage slows the service without breaking it: players poll when push is down.
DEGRADING = frozenset({"broker"})


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Each part ``ok`` or what is wrong with it; 200 unless a part the service needs fails
    (a degrading part, the broker, is listed under ``degraded`` and keeps the 200)."""
    loa = services()
    found = {name: check(loa) for name, check in CHECKS.items()}
    wrong = sorted(name for name, problem in found.items() if problem)
    failing = [name for name in wrong if name not in DEGRADING]
    body = {
        "ok": not failing,
        "failing": failing,
        "degraded": [name for name in wrong if name in DEGRADING],
        "checks": {name: problem or "ok" for name, problem in found.items()},
    }
    return jsonify(body), 503 if failing else 200


@bp.get("/metrics")
def metrics() -> Response:
    loa = services()
    fleet = current_app.extensions.setdefault(
        "loa.fleet_metrics",
        FleetCollector(loa.sessions, loa.clock.now, loa.settings.player_poll_s),
    )
    return Response(exposition(fleet), mimetype="text/plain; version=0.0.4; charset=utf-8")
