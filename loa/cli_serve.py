"""Commands that run Loa: the web server and the demo."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import click

from loa import migrate
from loa.cli_context import LoaContext, UserError, pass_loa


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int, envvar="LOA_PORT")
@click.option("--threads", default=8, show_default=True, type=int)
@pass_loa
def serve(loa: LoaContext, host: str, port: int, threads: int) -> None:
    """Serve the web UI and the player API (waitress)."""
    run_server(loa, host, port, threads)


def run_server(loa: LoaContext, host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from loa.app import create_app
    from loa.scheduler.runtime import start_scheduler

    services = loa.services
    logging.basicConfig(
        level=services.settings.log_level,
        format="%(asctime)s %(levelname)s %(process)d %(name)s %(message)s",
    )
    # APScheduler logs every run of every job at INFO; the live job runs every few seconds.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if migrate.pending(services.settings.database_url):
        raise UserError("cơ sở dữ liệu chưa ở phiên bản mới nhất, hãy chạy `loa init` "
                        "(database schema is behind: run `loa init`)")
    runtime = start_scheduler(services)
    click.echo(f"Loa đang chạy tại http://{host}:{port}/ (Ctrl+C để dừng)")
    try:
        waitress_serve(create_app(services), host=host, port=port, threads=threads)
    finally:
        runtime.shutdown()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int, envvar="LOA_PORT")
@click.option("--no-serve", is_flag=True, help="Seed and render only, do not start the server")
@pass_loa
def demo(loa: LoaContext, host: str, port: int, no_serve: bool) -> None:
    """Seed Hải Phòng, two communes, a campaign and a rendered programme, then serve."""
    from loa.demo import seed_demo

    for line in seed_demo(loa.services):
        click.echo(line)
    if not no_serve:
        run_server(loa, host, port, threads=8)


@click.command("simulate")
@click.option("--players", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--days", type=click.IntRange(1, 366), default=30, show_default=True)
@click.option(
    "--start",
    default="2026-12-01T08:00:00+07:00",
    show_default=True,
    help="Simulated start instant (ISO 8601 with offset).",
)
@click.option("--poll", "poll_s", type=float, default=3600.0, show_default=True)
@click.option(
    "--work",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the simulated server and agents (default: a temp folder).",
)
def simulate(players: int, days: int, start: str, poll_s: float, work: Path | None) -> None:
    """Run N reference agents against a fresh server on simulated time (null output)."""
    from loa.simulate import simulate as run_fleet

    try:
        begin = datetime.fromisoformat(start)
    except ValueError as exc:
        raise click.BadParameter(
            "--start must be ISO 8601, e.g. 2026-12-01T08:00:00+07:00"
        ) from exc
    if begin.tzinfo is None:
        raise click.BadParameter("--start needs a UTC offset, e.g. +07:00")
    summary = run_fleet(players, days, begin.astimezone(UTC), poll_s=poll_s, work=work)
    click.echo(json.dumps(summary, indent=2))


def register(cli: click.Group) -> None:
    for command in (serve, demo, simulate):
        cli.add_command(command)
