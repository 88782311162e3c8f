"""`loa player run`: the reference player agent on a station box."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import click

from loa.clock import SystemClock
from loa_player.agent import Agent
from loa_player.config import AgentConfig
from loa_player.runner import Runner


@click.command("run")
@click.option(
    "--server", required=True, help="Base URL of the Loa server, e.g. https://loa.example"
)
@click.option(
    "--token",
    required=True,
    envvar="LOA_PLAYER_TOKEN",
    help="The player's token (or LOA_PLAYER_TOKEN, which stays out of `ps`).",
)
@click.option(
    "--home",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the key, cache and outbox.",
)
@click.option(
    "--output", type=click.Choice(["null", "ffplay", "aplay"]), default="ffplay", show_default=True
)
@click.option(
    "--mqtt",
    "mqtt_url",
    envvar="LOA_MQTT_URL",
    default=None,
    help="Broker URL for push notices, e.g. mqtt://host:1883 (optional).",
)
@click.option(
    "--poll",
    "poll_s",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds between schedule polls.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every step.")
def run(
    server: str,
    token: str,
    home: Path,
    output: str,
    mqtt_url: str | None,
    poll_s: float,
    verbose: bool,
) -> None:
    """Run the reference player agent until SIGTERM or Ctrl-C."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = AgentConfig(
        server=server, token=token, home=home, output=output, mqtt_url=mqtt_url, poll_s=poll_s
    )
    runner = Runner(Agent(config, SystemClock()), mqtt_url).start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_a: runner.stop_event.set())
    runner.stop_event.wait()
    runner.stop()


PLAYER_COMMANDS = [run]
