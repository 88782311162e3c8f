"""Reference agents driven on the test clock, and what they logged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from loa.compliance.key_entries import SERVER_EVENTS
from loa.compliance.models import AiringLogEntry
from loa.player.agent import Agent
from loa.simulate import run_until
from tests.players.conftest import World

MakeAgent = Callable[..., Agent]


def log(world: World) -> list[AiringLogEntry]:
    with world.services.sessions() as session:
        reported = AiringLogEntry.event.not_in(SERVER_EVENTS)  # not the key enrolments
        return list(
            session.scalars(select(AiringLogEntry).where(reported).order_by(AiringLogEntry.seq))
        )


def crash(agent: Agent) -> None:
    """The process dies: no goodbye, only what is on disk survives."""
    agent.closed = True
    agent.db.close()


def started_synced(make_agent: MakeAgent, world: World, **options: float) -> Agent:
    agent = make_agent(**options)
    run_until([agent], world.clock, world.clock.now() + timedelta(minutes=1))
    assert agent.cache.is_good(world.sha256) and len(agent.schedule.slots) == 3
    return agent


def starts(world: World, n: int) -> tuple[int, object]:
    with world.services.sessions() as session:
        from loa.playlists.models import Airing

        airing = session.get_one(Airing, world.airing_ids(0)[n])
        return airing.id, airing.starts_at


def hamlet_player(world: World) -> int:
    """A Mông hamlet's zone ("ban-mong", H'Mông) on the first station with a player of its
    own, seeded like the others; its number in ``world.players``."""
    from loa.simulate import SeededPlayer
    from loa.stations.players import add_player
    from loa.stations.zones import add_zone

    centre = world.players[0]
    with world.services.sessions.begin() as session:
        add_zone(session, centre.station_code, "ban-mong", "Cụm bản Mông", "hmn")
        far, token = add_player(session, centre.station_code, "Loa bản Mông",
                                zone_code="ban-mong")
    world.players.append(SeededPlayer(far.id, token, centre.station_id, centre.station_code))
    return len(world.players) - 1
