"""`loa player run` and `loa player status`: the reference agent, from the server's CLI too.

The agent itself lives in ``loa_player`` (installable alone as `loa-player`); these
commands only delegate, so a server machine can run a test player as well.
"""

from __future__ import annotations

from pathlib import Path

import click

from loa.player.cli import run_agent, show_status
from loa.player.config import AgentConfig
from loa.player.output import DEFAULT_OUTPUTS, OUTPUTS_ENV, parse_outputs


def _outputs(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    try:
        return tuple(parse_outputs(value or ""))
    except ValueError as exc:
        raise click.BadParameter(f"đầu ra không hợp lệ ({exc})") from exc


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
    "--output",
    "outputs",
    envvar=list(OUTPUTS_ENV),
    default="",
    callback=_outputs,
    help=f"Outputs to try in order (or LOA_PLAYER_OUTPUTS; default {','.join(DEFAULT_OUTPUTS)}).",
)
@click.option("--alsa-device", envvar="LOA_ALSA_DEVICE", default=None, help="aplay -D device.")
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
@click.option(
    "--refused-grace",
    "refused_grace_s",
    type=float,
    envvar="LOA_REFUSED_GRACE_SECONDS",
    default=3600.0,
    show_default=True,
    help="Seconds of airing after the server refuses the token (HTTP 401).",
)
@click.option(
    "--bulletin-poll",
    "bulletin_poll_s",
    type=float,
    envvar="LOA_BULLETIN_POLL_SECONDS",
    default=15.0,
    show_default=True,
    help="Seconds between fetches of the emergency bulletins, besides each push notice.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every step.")
def run(
    server: str,
    token: str,
    home: Path,
    outputs: tuple[str, ...],
    alsa_device: str | None,
    mqtt_url: str | None,
    poll_s: float,
    refused_grace_s: float,
    bulletin_poll_s: float,
    verbose: bool,
) -> None:
    """Run the reference player agent until SIGTERM or Ctrl-C."""
    config = AgentConfig(
        server=server,
        token=token,
        home=home,
        outputs=outputs,
        alsa_device=alsa_device or None,
        mqtt_url=mqtt_url,
        poll_s=poll_s,
        refused_grace_s=refused_grace_s,
        bulletin_poll_s=bulletin_poll_s,
    )
    run_agent(config, verbose)


@click.command("status")
@click.option("--home", required=True, type=click.Path(file_okay=False, path_type=Path))
def status(home: Path) -> None:
    """What a player's local database says (works offline, on the box)."""
    code = show_status(home)
    if code:
        raise SystemExit(code)


PLAYER_COMMANDS = [run, status]
