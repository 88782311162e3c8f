"""The reference agent and a storm series on simulated time: the night play airs at 02:00, and
once a newer bulletin replaces it, the old one's 04:00 play is never heard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from loa.clock import VN
from loa.db import transaction
from loa.player.agent import Agent
from loa.playlists.bulletin_series import series_named
from loa.playlists.bulletins import create_bulletin
from loa.scheduler.bulletin_slots import slot_placer
from loa.simulate import run_until
from loa.stations.units import get_unit
from tests.players.bulletins import events
from tests.players.conftest import World

MakeAgent = Callable[..., Agent]


def storm(world: World, tone: Path) -> int:
    """A priority bulletin of the "Bão số 3" series to station USIM00000's ward, every 2 hours
    on the hour, night too, sent now."""
    services = world.services
    with transaction(services.sessions) as session:
        owner = get_unit(session, "SIM")
        bulletin = create_bulletin(
            session, unit=owner, author=None, role=None, title="Bão số 3", priority="priority",
            audio=tone, unit_targets=[get_unit(session, "USIM00000")], repeat_count=None,
            repeat_every_s=7200, store=services.store, clock=services.clock,
            place_slots=slot_placer(services.settings.airing_gap), on_the_hour=True,
            night=True, series=series_named(session, owner, "Bão số 3 năm 2026", by=None,
                                            now=services.clock.now()))
        return bulletin.id


def played_at(agent: Agent) -> list[tuple[int, str]]:
    return [(p["bulletin_id"], datetime.fromisoformat(p["started_at"]).astimezone(VN)
             .strftime("%H:%M")) for p in agent.output.played  # type: ignore[attr-defined]
            if p["bulletin_id"] is not None]


def test_the_night_play_airs_at_two_and_the_replaced_one_is_not_heard_at_four(
        make_agent: MakeAgent, world: World, tone: Path) -> None:
    night = (world.clock.now() + timedelta(days=1)).astimezone(VN).replace(
        hour=1, minute=40, second=0, microsecond=0)
    world.clock.set(night)
    first = storm(world, tone)
    agent = make_agent(poll_s=300.0)
    run_until([agent], world.clock, night + timedelta(minutes=30))  # 02:10
    second = storm(world, tone)  # the newer bulletin: the first's 04:00 play is cancelled
    run_until([agent], world.clock, night + timedelta(hours=2, minutes=30))  # 04:10
    assert played_at(agent) == [(first, "02:00"), (second, "04:00")]
    log = [(e.bulletin_id, e.event) for e in events(world.services) if e.bulletin_id]
    assert log == [(first, "bulletin.started"), (first, "bulletin.completed"),
                   (second, "bulletin.started"), (second, "bulletin.completed")]
