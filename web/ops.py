"""For the operations team: /healthz (is this node fit to serve?) and /metrics (Prometheus).

No login: a load balancer and Prometheus call them. /healthz names the failing
parts and nothing more (the reasons go to the log), from checks run at most once
every few seconds per process. /metrics answers a request carrying
``Authorization: Bearer $LOA_METRICS_TOKEN``, or without that setting only one made
on this machine straight to Loa (loopback, not through a proxy).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import shutil
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from loa.audio.store import unreadable_by_group
from loa.metrics import FleetCollector, exposition
from loa.scheduler.locks import someone_leads
from loa.services import Services
from loa.web.context import services

bp = Blueprint("ops", __name__)
logger = logging.getLogger(__name__)

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
# Read from the database: with the database down they are not known, and not named.
NEEDS_DATABASE = frozenset({"scheduler"})
HEALTH_TTL_S = 5.0


class HealthCache:
    """The last checks' verdicts, reused for ``ttl_s``: a flood of /healthz runs them once.

    Requests arriving while the checks run wait for that one run, not run their own."""

    def __init__(self, ttl_s: float = HEALTH_TTL_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.monotonic = ttl_s, monotonic
        self._lock = threading.Lock()
        self._verdicts: dict[str, str] = {}
        self._at: float | None = None

    def verdicts(self, loa: Services) -> dict[str, str]:
        with self._lock:
            if self._at is None or self.monotonic() - self._at >= self.ttl_s:
                self._verdicts = run_checks(loa)
                self._at = self.monotonic()
            return self._verdicts


def run_checks(loa: Services) -> dict[str, str]:
    """Each part "ok", "failing" (its reason logged) or "unknown" (its database is down)."""
    verdicts: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and verdicts.get("database") == "failing":
            verdicts[name] = "unknown"
            continue
        problem = check(loa)
        if problem:
            logger.warning("healthz: %s failing: %s", name, problem)
        verdicts[name] = "failing" if problem else "ok"
    return verdicts


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 unless a part the service needs fails, else 503 naming the failing parts (no
    reasons: see the log); a degrading part, the broker, is listed under ``degraded`` and
    keeps the 200."""
    cache = current_app.extensions.setdefault("loa.health", HealthCache())
    verdicts = cache.verdicts(services())
    wrong = sorted(name for name, verdict in verdicts.items() if verdict == "failing")
    failing = [name for name in wrong if name not in DEGRADING]
    body = {
        "ok": not failing,
        "failing": failing,
        "degraded": [name for name in wrong if name in DEGRADING],
        "checks": verdicts,
    }
    return jsonify(body), 503 if failing else 200


def _direct_from_this_machine() -> bool:
    """A loopback client that came straight to Loa: a proxy in front adds X-Forwarded-For."""
    if any(h in request.headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-IP")):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:  # a unix socket has no address: only this machine reaches it
        return request.remote_addr in (None, "")


@bp.get("/metrics")
def metrics() -> Response:
    loa = services()
    token = loa.settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, f"Bearer {token}".encode()):
            return Response("Cần LOA_METRICS_TOKEN (Bearer token required)\n", 401,
                            {"WWW-Authenticate": 'Bearer realm="loa-metrics"'},
                            mimetype="text/plain")
    elif not _direct_from_this_machine():
        return Response("Chỉ đọc được từ chính máy này hoặc với LOA_METRICS_TOKEN "
                        "(only from this machine, or with LOA_METRICS_TOKEN)\n", 403,
                        mimetype="text/plain")
    fleet = current_app.extensions.setdefault(
        "loa.fleet_metrics",
        FleetCollector(loa.sessions, loa.clock.now, loa.settings.player_poll_s),
    )
    return Response(exposition(fleet), mimetype="text/plain; version=0.0.4; charset=utf-8")
