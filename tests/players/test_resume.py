"""Restart mid-airing: always report airing.interrupted; resume only if the campaign allows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from compliance.audit import station_month_report
from compliance.models import AiringLogEntry
from loa.cli import cli
from playlists.models import Airing, Campaign
from stations.agent.agent import Agent
from stations.models import AdminUnit
from tests.players.conftest import World, auth

MakeAgent = Callable[..., Agent]


def allow_resume(world: World, allowed: bool = True) -> None:
    """Set the seeded campaign's rule."""
    with world.services.sessions.begin() as session:
        session.scalars(select(Campaign)).one().allow_resume = allowed


def first_airing(world: World) -> tuple[int, datetime]:
    with world.services.sessions() as session:
        airing = session.get_one(Airing, world.airing_ids(0)[0])
        return airing.id, airing.starts_at


def log(world: World) -> list[tuple[int | None, str, int | None]]:
    with world.services.sessions() as session:
        rows = session.scalars(select(AiringLogEntry).order_by(AiringLogEntry.seq))
        return [(e.airing_id, e.event, e.played_ms) for e in rows]


def counted(world: World) -> int:
    """Airings the audit counts for the first station in December 2026."""
    with world.services.sessions() as session:
        unit = session.scalars(select(AdminUnit).where(AdminUnit.code == "SIM")).one()
        rows = {r.station: r for r in station_month_report(session, unit, "2026-12")}
    return rows["SIM00000"].counted


def test_schedule_carries_the_campaigns_resume_rule(client: FlaskClient, world: World) -> None:
    answer = client.get("/api/v1/player/schedule", headers=auth(world.token))
    assert {a["resume"] for a in answer.json["airings"]} == {False}
    allow_resume(world)
    changed = client.get(
        "/api/v1/player/schedule",
        headers={**auth(world.token), "If-None-Match": answer.headers["ETag"]},
    )
    assert changed.status_code == 200
    assert {a["resume"] for a in changed.json["airings"]} == {True}


def test_campaign_add_takes_allow_resume(world: World, env: dict[str, str]) -> None:
    runner = CliRunner()
    for code, flag in (("CDS-R", ["--allow-resume"]), ("CDS-N", [])):
        args = ["campaign", "add", code, "--title", "Chuyển đổi số", "--unit", "SIM", *flag]
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 0, result.output
    with world.services.sessions() as session:
        rules = {c.code: c.allow_resume for c in session.scalars(select(Campaign))}
    assert rules == {"SIM-CDS": False, "CDS-R": True, "CDS-N": False}
