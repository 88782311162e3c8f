"""The player commands as an engineer types them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask.testing import FlaskClient

from loa.cli import cli
from tests.players.conftest import World, auth


def loa(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env=env)


def test_commands_have_the_documented_names() -> None:
    player = cli.commands["player"]
    assert {"add", "run", "rotate-token", "revoke"} <= set(player.commands)  # type: ignore[attr-defined]
    assert "simulate" in cli.commands


def test_rotate_token_prints_a_new_token_that_works(
    client: FlaskClient, world: World, env: dict[str, str]
) -> None:
    player_id = world.players[0].player_id
    result = loa("player", "rotate-token", str(player_id), env=env)
    assert result.exit_code == 0, result.output
    token = result.output.split("token: ")[1].strip()
    assert client.get("/api/v1/player/schedule", headers=auth(token)).status_code == 200
    assert client.get("/api/v1/player/schedule", headers=auth(world.token)).status_code == 401


def test_revoke_locks_the_player_out_and_unknown_ids_fail(
    client: FlaskClient, world: World, env: dict[str, str]
) -> None:
    result = loa("player", "revoke", str(world.players[1].player_id), env=env)
    assert result.exit_code == 0 and "thu hồi" in result.output
    assert (
        client.get("/api/v1/player/schedule", headers=auth(world.players[1].token)).status_code
        == 401
    )
    missing = loa("player", "revoke", "9999", env=env)
    assert missing.exit_code != 0 and "player not found" in missing.output


def test_simulate_airs_every_planned_airing_and_logs_each_event_once(tmp_path: Path) -> None:
    result = loa(
        "simulate",
        "--players",
        "3",
        "--days",
        "10",
        "--poll",
        "21600",
        "--work",
        str(tmp_path / "sim"),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["aired"] == 3 and summary["completed"] == 3
    assert summary["log_entries"] == 6 and summary["outbox_pending"] == 0
    assert summary["max_start_error_s"] == 0


def test_both_run_commands_take_the_bulletin_poll_from_flag_or_environment(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from loa.player import cli as player_cli
    from loa.player.config import AgentConfig
    from loa.stations import cli as station_cli

    seen: list[AgentConfig] = []
    for module in (player_cli, station_cli):
        monkeypatch.setattr(module, "run_agent", lambda config, _v=False: seen.append(config))
    base = {"LOA_PLAYER_TOKEN": "t", "LOA_SERVER": "http://127.0.0.1:9", "LOA_OUTPUT": "null"}
    monkeypatch.setenv("LOA_PLAYER_TOKEN", "t")
    assert player_cli.main(["run", "--server", "http://x", "--home", str(tmp_path),
                            "--output", "null"]) == 0
    assert player_cli.main(["run", "--server", "http://x", "--home", str(tmp_path),
                            "--output", "null", "--bulletin-poll", "2.5"]) == 0
    monkeypatch.setenv("LOA_BULLETIN_POLL_SECONDS", "4")
    assert player_cli.main(["run", "--server", "http://x", "--home", str(tmp_path),
                            "--output", "null"]) == 0
    result = loa("player", "run", "--server", "http://x", "--home", str(tmp_path),
                 env={**base, "LOA_BULLETIN_POLL_SECONDS": "7"})
    assert result.exit_code == 0, result.output
    assert [c.bulletin_poll_s for c in seen] == [15.0, 2.5, 4.0, 7.0]


def test_both_run_commands_take_the_outputs_from_either_name(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """LOA_PLAYER_OUTPUTS is the documented name; LOA_OUTPUT, what older boxes carry in their
    env file, is still read when it is not set; --output outranks both."""
    from loa.player import cli as player_cli
    from loa.player.config import AgentConfig
    from loa.stations import cli as station_cli

    seen: list[AgentConfig] = []
    for module in (player_cli, station_cli):
        monkeypatch.setattr(module, "run_agent", lambda config, _v=False: seen.append(config))
    monkeypatch.setenv("LOA_PLAYER_TOKEN", "t")
    home = ["--server", "http://x", "--home", str(tmp_path)]
    cases = [({"LOA_PLAYER_OUTPUTS": "ffplay,null"}, [], ("ffplay", "null")),
             ({"LOA_OUTPUT": "aplay,null"}, [], ("aplay", "null")),
             ({"LOA_PLAYER_OUTPUTS": "null", "LOA_OUTPUT": "aplay"}, [], ("null",)),
             ({"LOA_PLAYER_OUTPUTS": "ffplay"}, ["--output", "null"], ("null",)),
             ({}, [], ("aplay", "ffplay", "null"))]
    for env, flags, expected in cases:
        for name in ("LOA_PLAYER_OUTPUTS", "LOA_OUTPUT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert player_cli.main(["run", *home, *flags]) == 0
        result = loa("player", "run", *home, "--token", "t", *flags, env=env)
        assert result.exit_code == 0, result.output
        assert [c.outputs for c in seen[-2:]] == [expected, expected], env
    monkeypatch.setenv("LOA_PLAYER_OUTPUTS", "speaker")
    assert player_cli.main(["run", *home]) == 2  # an unknown output is still refused
