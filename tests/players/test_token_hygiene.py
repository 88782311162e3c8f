"""A token copied with a CR from a CRLF file still works, and no failure prints the token
(issue 15 §9: the agent printed its whole token in an error)."""

from __future__ import annotations

import logging

import pytest

from loa.player.client import ServerClient, ServerUnreachable
from loa.player.timekeeping import TimeKeeper
from tests.players.conftest import LiveServer, World


def client(world: World, live_server: LiveServer, token: str) -> ServerClient:
    return ServerClient(live_server.url, token, TimeKeeper(world.clock, "b1", None, print))


@pytest.mark.parametrize("tail", ["\r", "\r\n", " ", "\t\n"])
def test_a_token_with_a_trailing_cr_or_space_is_accepted(
    world: World, live_server: LiveServer, tail: str
) -> None:
    schedule = client(world, live_server, world.token + tail).schedule(None)
    assert schedule.body is not None and "airings" in schedule.body


def test_a_token_the_http_layer_refuses_is_never_printed(
    world: World, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A stray character inside the token makes the header invalid: the error says so with
    the token cut to 4 characters."""
    broken = world.token[:10] + "\r" + world.token[10:]
    with caplog.at_level(logging.DEBUG), pytest.raises(ServerUnreachable) as failed:
        client(world, live_server, broken).schedule(None)
    said = str(failed.value) + caplog.text
    assert world.token[:10] not in said.replace(world.token[:4] + "…", "")
    assert world.token[10:] not in said and "masked" in said
