"""Player commands for `loa`: run the agent, rotate or revoke a token, simulate a fleet."""

from __future__ import annotations

import json
import logging
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from loa.clock import SystemClock
from loa.db import make_engine, session_factory, transaction
from loa.errors import LoaError
from loa.settings import load_settings
from stations.agent.agent import Agent
from stations.agent.config import AgentConfig
from stations.agent.runner import Runner
from stations.players import revoke_player, rotate_token


def _session_run(action: Any, player_id: int) -> Any:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with transaction(session_factory(engine)) as session:
            return action(session, player_id)
    except LoaError as err:
        raise click.ClickException(str(err)) from err
    finally:
        engine.dispose()


@click.command("run")
@click.option("--server", required=True, help="Base URL of the Loa server, e.g. https://loa.example")
@click.option("--token", required=True, envvar="LOA_PLAYER_TOKEN",
              help="The player's token (or LOA_PLAYER_TOKEN, which stays out of `ps`).")
@click.option("--home", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the key, cache and outbox.")
@click.option("--output", type=click.Choice(["null", "ffplay", "aplay"]), default="ffplay",
              show_default=True)
@click.option("--mqtt", "mqtt_url", envvar="LOA_MQTT_URL", default=None,
              help="Broker URL for push notices, e.g. mqtt://host:1883 (optional).")
@click.option("--poll", "poll_s", type=float, default=300.0, show_default=True,
              help="Seconds between schedule polls.")
@click.option("-v", "--verbose", is_flag=True, help="Log every step.")
def run(server: str, token: str, home: Path, output: str, mqtt_url: str | None, poll_s: float,
        verbose: bool) -> None:
    """Run the reference player agent until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = AgentConfig(server=server, token=token, home=home, output=output,
                         mqtt_url=mqtt_url, poll_s=poll_s)
    runner = Runner(Agent(config, SystemClock()), mqtt_url).start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_a: runner.stop_event.set())
    runner.stop_event.wait()
    runner.stop()


@click.command("rotate-token")
@click.argument("player_id", type=int)
def rotate_token_command(player_id: int) -> None:
    """Give a player a new token (printed once); the old one stops working."""
    token = _session_run(rotate_token, player_id)
    click.echo(f"player {player_id}\ntoken {token}")


@click.command("revoke")
@click.argument("player_id", type=int)
def revoke(player_id: int) -> None:
    """Refuse a player's token from now on (its past events stay verifiable)."""
    _session_run(revoke_player, player_id)
    click.echo(f"player {player_id} revoked")


@click.command("simulate")
@click.option("--players", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--days", type=click.IntRange(1, 366), default=30, show_default=True)
@click.option("--start", default="2026-12-01T08:00:00+07:00", show_default=True,
              help="Simulated start instant (ISO 8601 with offset).")
@click.option("--poll", "poll_s", type=float, default=3600.0, show_default=True)
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the simulated server and agents (default: a temp folder).")
def simulate(players: int, days: int, start: str, poll_s: float, work: Path | None) -> None:
    """Run N reference agents against a fresh server on simulated time (null output)."""
    from stations.simulate import simulate as run_fleet

    try:
        begin = datetime.fromisoformat(start)
    except ValueError as exc:
        raise click.BadParameter("--start must be ISO 8601, e.g. 2026-12-01T08:00:00+07:00") \
            from exc
    if begin.tzinfo is None:
        raise click.BadParameter("--start needs a UTC offset, e.g. +07:00")
    summary = run_fleet(players, days, begin.astimezone(UTC), poll_s=poll_s, work=work)
    click.echo(json.dumps(summary, indent=2))


PLAYER_COMMANDS = [run, rotate_token_command, revoke]
