"""Real agents of two zones of one station, where only one plays: the station is not
compliant (issue 17 §4 "Counting by zone", its test list; design §6). The centre's agent airs
the month's three airings; the Mông hamlet's box, enrolled, stays off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from loa.compliance.audit import Reading, station_month_report
from loa.player.agent import Agent
from loa.simulate import run_until
from loa.stations.units import get_unit
from tests.helpers.agents import hamlet_player
from tests.helpers.reports import JANUARY
from tests.players.conftest import World

MakeAgent = Callable[..., Agent]


def test_two_zones_where_only_one_plays_leave_the_station_short(
        make_agent: MakeAgent, world: World) -> None:
    centre = world.players[0]
    agents = [make_agent(home="centre", player=0),
              make_agent(home="ban-mong", player=hamlet_player(world))]
    run_until(agents, world.clock, world.clock.now() + timedelta(minutes=1))  # both enrolled
    # The hamlet's box is off from here on; the centre airs the month (2, 12, 22 December).
    run_until(agents[:1], world.clock, world.clock.now() + timedelta(days=22))
    agents[0].link.send_step()
    aired = [p for p in agents[0].output.played  # type: ignore[attr-defined]
             if p.get("airing_id") is not None]
    assert len(aired) == 3
    with world.services.sessions() as session:
        rows = station_month_report(session, get_unit(session, "SIM"), "2026-12",
                                    Reading.of(world.services.settings, JANUARY))
    row = next(r for r in rows if r.station == centre.station_code)
    assert [(z.code, z.counted, z.status) for z in row.zones] == [
        ("chung", 3, "compliant"), ("ban-mong", 0, "short")]
    assert (row.status, row.counted, row.required) == ("short", 0, 3)
