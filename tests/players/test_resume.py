"""Restart mid-airing: always report airing.interrupted; resume only if the campaign allows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from loa.cli import cli
from loa.compliance.audit import Reading, station_month_report
from loa.compliance.key_entries import SERVER_EVENTS
from loa.compliance.models import AiringLogEntry
from loa.player.agent import Agent
from loa.player.slots import Slot, resume_plan
from loa.playlists.models import Airing, Campaign
from loa.simulate import run_until
from loa.stations.models import AdminUnit
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
        reported = AiringLogEntry.event.not_in(SERVER_EVENTS)  # not the key enrolments
        rows = session.scalars(select(AiringLogEntry).where(reported).order_by(AiringLogEntry.seq))
        return [(e.airing_id, e.event, e.played_ms) for e in rows]


def counted(world: World) -> int:
    """Airings the audit counts for the first station in December 2026."""
    with world.services.sessions() as session:
        unit = session.scalars(select(AdminUnit).where(AdminUnit.code == "SIM")).one()
        reading = Reading(world.clock.now(), timedelta(minutes=5))
        rows = {r.station: r for r in station_month_report(session, unit, "2026-12", reading)}
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


def crash(agent: Agent) -> None:
    """The process dies: no goodbye, only what is on disk survives."""
    agent.closed = True
    agent.db.close()


def crash_and_restart(
    make_agent: MakeAgent, world: World, crash_after: timedelta, down_for: timedelta
) -> tuple[Agent, int, datetime]:
    """Air the first airing, crash ``crash_after`` into it, restart ``down_for`` later."""
    airing_id, starts_at = first_airing(world)
    agent = make_agent()
    run_until([agent], world.clock, starts_at + crash_after)
    assert agent.playing is not None and agent.playing.slot.airing_id == airing_id
    crash(agent)
    world.clock.advance(seconds=down_for.total_seconds())
    again = make_agent()
    run_until([again], world.clock, starts_at + timedelta(hours=1))
    return again, airing_id, starts_at


def test_resume_allowed_plays_the_rest_in_step_and_counts(
    make_agent: MakeAgent, world: World
) -> None:
    allow_resume(world)
    again, airing_id, _ = crash_and_restart(
        make_agent, world, timedelta(minutes=3), timedelta(seconds=10)
    )
    [resumed] = again.output.played  # type: ignore[attr-defined]
    assert resumed["airing_id"] == airing_id and resumed["from_ms"] == 190_000
    assert log(world) == [
        (airing_id, "airing.started", None),
        (airing_id, "airing.interrupted", 180_000),  # heard up to the last saved progress
        (airing_id, "airing.started", None),
        (airing_id, "airing.completed", 180_000 + 410_000),  # a 10 s gap: 98%
    ]
    with world.services.sessions() as session:
        started = session.scalars(
            select(AiringLogEntry).where(AiringLogEntry.event == "airing.started")
            .order_by(AiringLogEntry.seq)
        ).all()
    assert started[1].detail == {"resumed_from_ms": 190_000}
    assert again.outbox.pending() == 0 and counted(world) == 1


def test_resumed_airing_with_a_long_gap_does_not_count(
    make_agent: MakeAgent, world: World
) -> None:
    allow_resume(world)
    _, airing_id, _ = crash_and_restart(
        make_agent, world, timedelta(minutes=3), timedelta(minutes=1)
    )
    assert log(world)[-1] == (airing_id, "airing.completed", 180_000 + 360_000)  # 90%
    assert counted(world) == 0


def test_resume_not_allowed_reports_interrupted_only(make_agent: MakeAgent, world: World) -> None:
    again, airing_id, _ = crash_and_restart(
        make_agent, world, timedelta(minutes=3), timedelta(seconds=10)
    )
    assert again.output.played == []  # type: ignore[attr-defined]
    assert log(world) == [
        (airing_id, "airing.started", None),
        (airing_id, "airing.interrupted", 180_000),
    ]
    assert counted(world) == 0


def test_no_resume_once_the_airing_should_have_ended(make_agent: MakeAgent, world: World) -> None:
    allow_resume(world)
    again, airing_id, _ = crash_and_restart(
        make_agent, world, timedelta(minutes=3), timedelta(minutes=8)
    )
    assert again.output.played == []  # type: ignore[attr-defined]
    assert log(world) == [
        (airing_id, "airing.started", None),
        (airing_id, "airing.interrupted", 180_000),
    ]
    assert counted(world) == 0


def test_clean_stop_reports_once_and_a_restart_still_resumes(
    make_agent: MakeAgent, world: World
) -> None:
    allow_resume(world)
    airing_id, starts_at = first_airing(world)
    agent = make_agent()
    run_until([agent], world.clock, starts_at + timedelta(minutes=2, seconds=5))
    agent.close()
    world.clock.advance(seconds=5)
    again = make_agent()
    run_until([again], world.clock, starts_at + timedelta(hours=1))
    assert [p["from_ms"] for p in again.output.played] == [130_000]  # type: ignore[attr-defined]
    assert log(world) == [
        (airing_id, "airing.started", None),
        (airing_id, "airing.interrupted", 125_000),  # a clean stop knows exactly
        (airing_id, "airing.started", None),
        (airing_id, "airing.completed", 125_000 + 470_000),
    ]


def test_crash_during_the_resumed_part_resumes_again_and_sums_all_parts(
    make_agent: MakeAgent, world: World
) -> None:
    allow_resume(world)
    airing_id, starts_at = first_airing(world)
    first = make_agent()
    run_until([first], world.clock, starts_at + timedelta(minutes=1))
    crash(first)
    world.clock.advance(seconds=5)
    second = make_agent()
    run_until([second], world.clock, starts_at + timedelta(minutes=5))
    crash(second)
    world.clock.advance(seconds=5)
    third = make_agent()
    run_until([third], world.clock, starts_at + timedelta(hours=1))
    assert [p["from_ms"] for p in third.output.played] == [305_000]  # type: ignore[attr-defined]
    assert [(kind, played) for _, kind, played in log(world)] == [
        ("airing.started", None),
        ("airing.interrupted", 60_000),
        ("airing.started", None),
        ("airing.interrupted", 60_000 + 230_000),  # from 1:05, saved every 10 s up to 4:55
        ("airing.started", None),
        ("airing.completed", 60_000 + 230_000 + 295_000),
    ]
    assert counted(world) == 1 and airing_id == first_airing(world)[0]


T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def note(started_s: float, heard_s: float, from_ms: int = 0, before_ms: int = 0) -> dict:
    return {"started_at": (T0 + timedelta(seconds=started_s)).isoformat(),
            "heard_at": (T0 + timedelta(seconds=heard_s)).isoformat(),
            "duration_ms": 600_000, "from_ms": from_ms, "before_ms": before_ms}


@pytest.mark.parametrize(
    ("saved", "resume", "now_s", "expected"),
    [
        (note(0, 180), True, 190, (180_000, 190_000)),  # in step with the schedule
        (note(0, 180), False, 190, (180_000, None)),  # the campaign does not allow it
        (note(0, 180), True, 600, (180_000, None)),  # the scheduled end has come
        (note(30, 90), True, 120, (60_000, 90_000)),  # started late: keep its own timeline
        (note(100, 160, 100_000, 90_000), True, 200, (150_000, 200_000)),  # a second part
        (note(0, 900), True, 20, (600_000, 20_000)),  # heard never exceeds the audio
        ({"started_at": T0.isoformat(), "duration_ms": 600_000}, True, 5, (0, 5_000)),  # old note
    ],
)
def test_resume_plan(saved: dict, resume: bool, now_s: float, expected: tuple) -> None:
    slot = Slot(1, T0, 600_000, "ab" * 32, "", None, resume)
    assert resume_plan(saved, slot, T0 + timedelta(seconds=now_s)) == expected


def test_two_resumes_still_end_at_the_scheduled_end(make_agent: MakeAgent, world: World) -> None:
    allow_resume(world)
    airing_id, starts_at = first_airing(world)
    agent = make_agent()
    for crash_at in (timedelta(minutes=3), timedelta(minutes=6)):
        run_until([agent], world.clock, starts_at + crash_at)
        assert agent.playing is not None and agent.playing.deadline == starts_at + timedelta(
            minutes=10
        )
        crash(agent)
        world.clock.advance(seconds=10)
        agent = make_agent()
    run_until([agent], world.clock, starts_at + timedelta(hours=1))
    with world.services.sessions() as session:
        ended = session.execute(
            select(AiringLogEntry.airing_id, AiringLogEntry.at).where(
                AiringLogEntry.event == "airing.completed"
            )
        ).all()
    assert ended == [(airing_id, starts_at + timedelta(minutes=10))]  # the overrun did not grow
