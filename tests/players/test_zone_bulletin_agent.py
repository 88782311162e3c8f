"""Real agents of two zones of one station hear one emergency each in its own language: the
H'Mông zone's agent plays the H'Mông recording, the default zone's the Vietnamese audio,
and both plays count, so the station has played it (issue 17 §4; design §5, §6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from loa.player.agent import Agent
from loa.playlists.bulletin_delivery import delivery, stations_played
from loa.playlists.bulletins import get_bulletin
from loa.simulate import make_sine, run_until
from tests.helpers.agents import hamlet_player
from tests.players.bulletins import events, send_bulletin
from tests.players.conftest import World

MakeAgent = Callable[..., Agent]
POLL_S = 15.0


def test_the_hmong_zone_plays_its_recording_and_the_centre_the_vietnamese_one(
        make_agent: MakeAgent, world: World, tone: Path, tmp_path: Path) -> None:
    centre, hamlet = world.players[0], hamlet_player(world)
    far = world.players[hamlet]
    agents = [make_agent(home="centre", player=0, bulletin_poll_s=POLL_S),
              make_agent(home="ban-mong", player=hamlet, bulletin_poll_s=POLL_S)]
    run_until(agents, world.clock, world.clock.now() + timedelta(minutes=1))  # enrolled
    recorded = make_sine(tmp_path / "ban-hmong.mp3", seconds=2.0, frequency=330)
    bulletin_id = send_bulletin(world.services, "SIM", tone, targets=("USIM00000",),
                                variants={"hmn": recorded})
    with world.services.sessions() as session:
        bulletin = get_bulletin(session, bulletin_id)
        master, hmong = bulletin.asset_sha256, bulletin.variants[0].asset_sha256
    assert master != hmong
    run_until(agents, world.clock, world.clock.now() + timedelta(seconds=POLL_S + 30))
    heard = [[(p["bulletin_id"], p["sha256"]) for p in agent.output.played  # type: ignore[attr-defined]
              if p["bulletin_id"] is not None] for agent in agents]
    assert heard == [[(bulletin_id, master)], [(bulletin_id, hmong)]]
    for agent in agents:
        agent.link.send_step()
    completed = {e.player_id: e.asset_sha256 for e in events(world.services)
                 if e.bulletin_id == bulletin_id and e.event == "bulletin.completed"}
    assert completed == {centre.player_id: master, far.player_id: hmong}
    with world.services.sessions() as session:
        (station,) = delivery(session, get_bulletin(session, bulletin_id))
        assert {z.code: (z.sha256, z.rows[0].plays) for z in station.zones} == {
            "chung": (master, 1), "ban-mong": (hmong, 1)}
        assert station.state(world.clock.now())[0] == "completed"
        assert stations_played(session, [bulletin_id]) == {bulletin_id: (1, 1)}
