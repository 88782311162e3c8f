"""/metrics needs a bearer token or a caller on this machine; /healthz caches and names only
the failing part (issue 15 §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from loa.app import create_app
from loa.scheduler.locks import leadership_for
from loa.services import Services
from loa.settings import SettingsError, load_settings
from loa.web.ops import HEALTH_TTL_S, HealthCache
from tests.conftest import Loa

TOKEN = "scrape-" + "k3y" * 8
OUTSIDE = {"REMOTE_ADDR": "203.0.113.5"}


def metrics_app(services: Services, token: str | None) -> Flask:
    services.settings = load_settings(
        {"LOA_HOME": str(services.settings.home), "LOA_DATABASE_URL":
         services.settings.database_url, **({"LOA_METRICS_TOKEN": token} if token else {})})
    return create_app(services, {"TESTING": True})


def test_without_a_token_metrics_answer_only_on_this_machine(services: Services) -> None:
    client = metrics_app(services, None).test_client()
    assert b"loa_players_online" in client.get("/metrics").data  # 127.0.0.1, straight
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403
    ipv6 = client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"})
    assert ipv6.status_code == 200
    # nginx on the same machine passes the world through: its X-Forwarded-For gives it away.
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"})
    assert proxied.status_code == 403 and b"LOA_METRICS_TOKEN" in proxied.data


def test_with_a_token_metrics_need_it_from_everywhere(services: Services) -> None:
    client = metrics_app(services, TOKEN).test_client()
    bare = client.get("/metrics")
    assert bare.status_code == 401 and bare.headers["WWW-Authenticate"].startswith("Bearer")
    for wrong in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer "):
        assert client.get("/metrics", headers={"Authorization": wrong}).status_code == 401
    right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                       environ_base=OUTSIDE)
    assert right.status_code == 200 and b"loa_render_jobs" in right.data


def test_a_short_metrics_token_is_refused_at_start(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="LOA_METRICS_TOKEN"):
        load_settings({**env, "LOA_METRICS_TOKEN": "short"})
    said = Loa({**env, "LOA_METRICS_TOKEN": "short"})("init", ok=False)
    assert "cần ít nhất 16 ký tự" in said and "(must be at least 16 characters)" in said


def test_healthz_runs_its_checks_once_every_few_seconds(
    services: Services, app: Flask, tmp_path: Path
) -> None:
    now = [0.0]
    app.extensions["loa.health"] = HealthCache(monotonic=lambda: now[0])
    statements: list[str] = []
    engine = services.sessions.kw["bind"]
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    client = app.test_client()
    try:
        answers = [client.get("/healthz")]
        one_run = len(statements)
        answers += [client.get("/healthz") for _ in range(19)]
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert all(a.status_code == 503 and a.json["failing"] == ["scheduler"] for a in answers)
    assert one_run > 0 and len(statements) == one_run  # one run for twenty requests
    leader = leadership_for(services.settings.database_url, services.settings.home)
    assert leader.ensure()
    try:
        assert client.get("/healthz").status_code == 503  # within the few seconds: as before
        now[0] += HEALTH_TTL_S
        fresh: Any = client.get("/healthz")
    finally:
        leader.release()
    assert fresh.status_code == 200 and fresh.json["failing"] == []
