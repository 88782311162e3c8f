"""Bulletins through the output chain, in real time with real aplay/ffplay: the same fallback as
airings (each output twice, in order), and a play nobody heard is reported bulletin.failed,
never counted delivered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from loa.clock import Clock, OffsetClock
from loa.player.agent import Agent
from loa.player.runner import Runner
from loa.playlists.models import Bulletin, BulletinDelivery
from loa.simulate import make_sine
from tests.conftest import START
from tests.players.bulletins import play_end, send_bulletin
from tests.players.conftest import World

pytestmark = [pytest.mark.usefixtures("need_aplay"), pytest.mark.real_time]


@pytest.fixture
def clock() -> Clock:
    """One running clock for the server and the in-process agent."""
    return OffsetClock(START)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """12 s: what the failed tries skip before the fallback stays under the 5% a counted
    play may miss."""
    return make_sine(tmp_path / "recording.mp3", seconds=12.0)


@pytest.fixture
def send_emergency(make_agent: Callable[..., Agent], world: World,
                   recording: Path) -> Iterator[Callable[..., tuple[Runner, int]]]:
    """An agent running with these options, and an emergency sent to its commune at once."""
    runners: list[Runner] = []

    def send(**options: object) -> tuple[Runner, int]:
        runner = Runner(make_agent(**options)).start()
        runners.append(runner)
        assert runner.agent.link.synced.wait(10), "first sync did not happen"
        # The bulletin lasts seconds (its tone with the chime around it): time for
        # two failed tries of a process output and the fallback.
        bulletin_id = send_bulletin(world.services, "SIM", recording, targets=("USIM00000",))
        runner.bulletin_notice()  # what the push notice does
        return runner, bulletin_id

    yield send
    for runner in runners:
        runner.stop()



def duration_ms(world: World, bulletin_id: int) -> int:
    with world.services.sessions() as session:
        return session.get_one(Bulletin, bulletin_id).duration_ms


def delivered_plays(world: World, bulletin_id: int) -> int:
    with world.services.sessions() as session:
        rows = session.scalars(select(BulletinDelivery.plays).where(
            BulletinDelivery.bulletin_id == bulletin_id))
        return sum(rows)


def test_a_bulletin_whose_first_output_fails_twice_plays_through_the_second(
    send_emergency: Callable[..., tuple[Runner, int]], world: World,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")  # ffplay really plays, to no sound card
    runner, bulletin_id = send_emergency(outputs=("aplay", "ffplay", "null"),
                                         alsa_device="nosuchcard")
    end = play_end(world.services, bulletin_id)
    assert end.detail["output"] == "ffplay" and "error" not in end.detail
    errors = end.detail["output_errors"]
    assert len(errors) == 2 and all("nosuchcard" in e for e in errors)  # type: ignore[union-attr]
    # What was heard: the time on air less what the two failed tries lost at once.
    unheard = end.detail["unheard_ms"]
    assert isinstance(unheard, int) and 0 < unheard < 1000
    assert end.played_ms == duration_ms(world, bulletin_id) - unheard
    assert delivered_plays(world, bulletin_id) == 1
    assert "output" in runner.agent.health.snapshot()


@pytest.mark.parametrize(("outputs", "why"), [
    (("aplay",), "all outputs failed"),
    (("aplay", "null"), "no real output played"),  # null keeps time; nobody hears it
])
def test_a_bulletin_nobody_heard_is_reported_failed(
    send_emergency: Callable[..., tuple[Runner, int]], world: World,
    outputs: tuple[str, ...], why: str
) -> None:
    _runner, bulletin_id = send_emergency(outputs=outputs, alsa_device="nosuchcard")
    end = play_end(world.services, bulletin_id)
    assert end.event == "bulletin.failed" and str(end.detail["reason"]).startswith(why)
    assert len(end.detail["output_errors"]) == 2  # type: ignore[arg-type]
    assert end.played_ms is None  # claims nothing heard
    assert delivered_plays(world, bulletin_id) == 0  # the delivery does not count it
