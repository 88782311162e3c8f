"""Delivery that is the truth (issue 16 §1), with the real agent in real time on a box whose
sound card is gone: `aplay` fails; `ffplay` plays (the bulletin counts) or fails too (the
station reads "lỗi phát" in red, and the headline does not count it). The players are
scripts this test writes on PATH; the server, its pages and `loa bulletin show` are real,
on both databases."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from loa.app import create_app
from loa.clock import Clock, OffsetClock
from loa.db import transaction
from loa.player.agent import Agent
from loa.player.output import AplayOutput, Cue, parse_outputs
from loa.player.runner import Runner
from loa.playlists.models import Bulletin, BulletinDelivery
from loa.simulate import make_sine
from loa.web.users import add_user
from tests.conftest import START, Loa
from tests.helpers.web import PASSWORD, login
from tests.players.bulletins import events, play_end, send_bulletin
from tests.players.conftest import BOTH_DATABASES, World

pytestmark = [BOTH_DATABASES, pytest.mark.real_time]

NO_CARD = "aplay: main:831: audio open error: No such file or directory"


@pytest.fixture
def clock() -> Clock:
    """One running clock for the server and the in-process agent."""
    return OffsetClock(START)


@pytest.fixture
def players(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], Path]:
    """Fake `aplay` (always fails: no sound card) and `ffplay` on PATH; returns the file
    where ffplay writes each file it was given. A working ffplay reads the file at its own
    pace (ffmpeg -re), so it ends when the sound would have."""
    folder = tmp_path / "bin"
    folder.mkdir()
    played = tmp_path / "ffplay-played.txt"

    def install(ffplay_works: bool) -> Path:
        aplay = folder / "aplay"
        aplay.write_text(f"#!/bin/sh\necho '{NO_CARD}' >&2\nexit 1\n")
        ffplay = folder / "ffplay"
        if ffplay_works:
            ffplay.write_text(
                "#!/bin/sh\nfor file; do :; done\n"  # the last argument: the audio file
                f"echo \"$file\" >> '{played}'\n"
                "exec ffmpeg -nostdin -loglevel error -re -i \"$file\" -f null -\n")
        else:
            ffplay.write_text("#!/bin/sh\necho 'ffplay: SDL: no audio device' >&2\nexit 1\n")
        for script in (aplay, ffplay):
            script.chmod(0o755)
        monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
        return played

    return install


@pytest.fixture
def bulletin_audio(tmp_path: Path) -> Path:
    """A recording of 16 s: with the attention signal, long enough that what two failed
    tries of aplay lose before ffplay takes over (looked at every 0.1 s) stays under the
    5% a counted play may miss, even on a loaded machine."""
    return make_sine(tmp_path / "bulletin.mp3", seconds=16.0)


@pytest.fixture
def send_emergency(make_agent: Callable[..., Agent], world: World,
                   bulletin_audio: Path) -> Iterator[Callable[[], tuple[Runner, int]]]:
    """The station's agent with the default output chain (aplay, ffplay, null: what
    LOA_PLAYER_OUTPUTS gives unset), and an emergency sent to its commune at once."""
    runners: list[Runner] = []

    def send() -> tuple[Runner, int]:
        runner = Runner(make_agent(outputs=tuple(parse_outputs("")))).start()
        runners.append(runner)
        assert runner.agent.link.synced.wait(10), "first sync did not happen"
        bulletin_id = send_bulletin(world.services, "SIM", bulletin_audio,
                                    targets=("USIM00000",))
        runner.bulletin_notice()  # what the push notice does
        return runner, bulletin_id

    yield send
    for runner in runners:
        runner.stop()


@pytest.fixture
def pages(world: World) -> FlaskClient:
    """The operator pages on the same server, a leader of the province logged in."""
    with transaction(world.services.sessions) as s:
        add_user(s, "lanhdao", PASSWORD, "leader", "SIM")
    client = create_app(world.services, {"TESTING": True, "SECRET_KEY": "test"}).test_client()
    login(client, "lanhdao")
    return client



def station_row(page: str, code: str) -> str:
    found = re.search(rf'<tr data-station="{code}".*?</tr>', page, re.S)
    assert found, f"no row for {code}"
    return found.group(0)


def counted_plays(world: World, bulletin_id: int) -> int:
    with world.services.sessions() as session:
        return sum(session.scalars(select(BulletinDelivery.plays).where(
            BulletinDelivery.bulletin_id == bulletin_id)))


def shown(loa: Loa, bulletin_id: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(loa("bulletin", "show", str(bulletin_id),
                                          "--format", "json"))
    return data


def test_aplay_failing_on_a_box_with_ffplay_plays_through_ffplay_and_counts(
    send_emergency: Callable[[], tuple[Runner, int]], players: Callable[[bool], Path],
    world: World, pages: FlaskClient, loa: Loa,
) -> None:
    played = players(True)
    _runner, bulletin_id = send_emergency()
    end = play_end(world.services, bulletin_id)
    assert end.event == "bulletin.completed" and end.detail["output"] == "ffplay"
    errors = end.detail["output_errors"]
    assert isinstance(errors, list) and len(errors) == 2  # aplay, tried twice
    assert all(e.startswith("aplay:") and "audio open error" in e for e in errors)
    assert played.read_text().count("\n") == 1  # ffplay took the bulletin once
    with world.services.sessions() as session:
        length = session.get_one(Bulletin, bulletin_id).duration_ms
    unheard = end.detail["unheard_ms"]  # the start skipped while aplay failed twice
    assert isinstance(unheard, int) and 0 < unheard < length * 0.05
    assert end.played_ms == length - unheard
    assert counted_plays(world, bulletin_id) == 1
    page = pages.get(f"/bulletins/{bulletin_id}").get_data(as_text=True)
    assert "Đã phát 1/1 đài" in page
    row = station_row(page, "SIM00000")
    assert 'class="played"' in row and "state-completed" in row and "Đã phát" in row
    station = shown(loa, bulletin_id)["delivery"][0]
    assert (station["started"], station["completed"], station["failed"],
            station["reason"]) == (True, True, False, None)
    assert shown(loa, bulletin_id)["completed"] == 1


def test_every_output_failing_is_reported_failed_red_and_not_counted(
    send_emergency: Callable[[], tuple[Runner, int]], players: Callable[[bool], Path],
    world: World, pages: FlaskClient, loa: Loa,
) -> None:
    players(False)
    _runner, bulletin_id = send_emergency()
    before = pages.get(f"/bulletins/{bulletin_id}/delivery.json").get_json()
    assert before["headline"] == "Đã phát 0/1 đài"
    end = play_end(world.services, bulletin_id)
    assert end.event == "bulletin.failed" and end.played_ms is None
    assert end.detail["output"] == "null"  # only kept time: nobody heard it
    tried = [str(e).split(":")[0] for e in end.detail["output_errors"]]  # type: ignore[union-attr]
    assert tried == ["aplay", "aplay", "ffplay", "ffplay"]  # each output twice, in order
    reason = str(end.detail["reason"])
    assert reason.startswith("no real output played") and "ffplay: SDL" in reason
    assert not [e for e in events(world.services) if e.event == "bulletin.completed"]
    assert counted_plays(world, bulletin_id) == 0
    page = pages.get(f"/bulletins/{bulletin_id}").get_data(as_text=True)
    assert "Đã phát 0/1 đài" in page  # the headline unchanged
    row = station_row(page, "SIM00000")
    assert 'class="failed"' in row and "state-failed" in row and "Lỗi phát" in row
    assert "không đầu ra âm thanh thật nào phát được" in row and "audio open error" in row
    live = pages.get(f"/bulletins/{bulletin_id}/delivery.json").get_json()
    assert live["headline"] == before["headline"] and live["played"] == 0
    assert (live["stations"][0]["state"], live["stations"][0]["failed"]) == ("failed", True)
    listed = pages.get("/bulletins").get_data(as_text=True)
    assert "0/1 đài" in listed
    data = shown(loa, bulletin_id)
    station = data["delivery"][0]
    assert (station["completed"], station["failed"], station["state"]) == (
        False, True, "failed")
    assert station["reason"].startswith("no real output played")
    assert data["completed"] == 0
    assert "Đã phát 0/1 đài" in loa("bulletin", "show", str(bulletin_id))


def test_a_player_that_fails_ends_its_pipeline_at_once(
    players: Callable[[bool], Path], bulletin_audio: Path, tmp_path: Path
) -> None:
    """An aplay (a wrapper, say) that fails but leaves a child holding its input open:
    ffmpeg, still decoding the long file, never sees the broken pipe. The playback is
    over on the next look all the same (the next output can start), aplay's error kept."""
    players(False)
    aplay = tmp_path / "bin" / "aplay"
    aplay.write_text("#!/bin/sh\nexec 3<&0\nsleep 20 <&3 >/dev/null 2>&1 &\n"
                     f"echo '{NO_CARD}' >&2\nexit 1\n")
    cue = Cue(None, "0" * 64, bulletin_audio, 16_000, START, bulletin_id=1)
    playback = AplayOutput(lambda: START).start(cue)
    deadline = time.monotonic() + 5
    while not playback.finished():
        assert time.monotonic() < deadline, "the failed pipeline was still waited for"
        time.sleep(0.05)  # polling processes; the deadline bounds the wait
    assert (playback.error() or "").startswith("aplay exited 1: aplay: main:831")
