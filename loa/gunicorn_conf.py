"""Gunicorn settings for the Loa web workers (``loa web``, packaging/gunicorn.conf.py).

Every value can be set from the environment, so a systemd unit or a container
changes them without editing this file:

- ``LOA_BIND`` (127.0.0.1:8080), ``LOA_WEB_WORKERS`` (2 × CPUs + 1),
  ``LOA_WEB_THREADS`` (4), ``LOA_WEB_TIMEOUT`` (60 s);
- ``LOA_FORWARDED_ALLOW_IPS`` (127.0.0.1): the proxies (nginx) whose
  X-Forwarded-Proto is believed; ``LOA_PROXY_HOPS`` (see loa.app) makes Flask
  take the client address from X-Forwarded-For behind that many proxies;
- ``LOA_METRICS_DIR`` (``$LOA_HOME/prometheus``): the workers write their
  metrics to its ``web/`` folder (emptied at start) and /metrics adds up every
  folder there, the schedulers' and render workers' too (loa.metrics_files).

The web workers serve requests only: the scheduler runs in its own process
(``loa scheduler``, or ``loa web --scheduler``), never in every worker.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from loa.metrics_files import WEB, use_process_folder

wsgi_app = "loa.wsgi:app"
bind = [os.environ.get("LOA_BIND", "127.0.0.1:8080")]
# gthread: a worker keeps connections alive (nginx upstream keepalive, players polling)
# and a thread waiting on PostgreSQL leaves the others working.
worker_class = "gthread"
workers = int(os.environ.get("LOA_WEB_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("LOA_WEB_THREADS", "4"))
timeout = int(os.environ.get("LOA_WEB_TIMEOUT", "60"))  # a render upload may take a while
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so that a slow leak cannot grow for months.
max_requests = 20_000
max_requests_jitter = 2_000
# Request line and headers stay small; bodies are limited per route by the app (413).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
forwarded_allow_ips = os.environ.get("LOA_FORWARDED_ALLOW_IPS", "127.0.0.1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
accesslog = os.environ.get("LOA_ACCESS_LOG") or None  # "-" for stdout; nginx logs already
errorlog = "-"
loglevel = os.environ.get("LOA_LOG_LEVEL", "info").lower()
proc_name = "loa-web"
# gunicorn ≥ 24 opens a control socket; one per LOA_HOME, so two servers on a box do not meet.
control_socket = str(Path(os.environ.get("LOA_HOME", "var")).resolve() / "gunicorn.ctl")


def on_starting(_server: Any) -> None:
    """Refuse an unsafe LOA_SECRET_KEY (as `loa web` does: the unit runs gunicorn itself),
    plan the due months of stations that lack them before a player is served, then empty
    the workers' metrics folder: a previous run's counts must not add up."""
    from loa.secret import WeakSecretError, check_configured

    try:
        check_configured(os.environ.get("LOA_SECRET_KEY", ""))
    except WeakSecretError as err:
        print(f"Lỗi: {err}", file=sys.stderr)  # before logging is set up: the one line
        raise SystemExit(2) from err
    _plan_before_serving()
    use_process_folder(WEB, Path(os.environ.get("LOA_HOME", "var")))


def _plan_before_serving() -> None:
    """Plan in the master, before the workers fork; a database not ready is the log's and
    /healthz's to say, not a reason to serve nothing."""
    from sqlalchemy.exc import SQLAlchemyError

    from loa.app import build_services
    from loa.errors import LoaError
    from loa.scheduler.runtime import plan_on_start
    from loa.settings import load_settings

    services = build_services(load_settings())
    try:
        plan_on_start(services)
    except (SQLAlchemyError, LoaError) as err:
        print(f"Loa: chưa xếp lịch được lúc khởi động (could not plan at start): {err}",
              file=sys.stderr)
    finally:
        services.publisher.close()  # the changed players are told first
        services.sessions.kw["bind"].dispose()  # no connection crosses the fork


def child_exit(_server: Any, worker: Any) -> None:
    """A worker gone: its live gauges stop counting (prometheus-client multi-process mode)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

