"""Commands that run Loa: the web server and the demo."""

from __future__ import annotations

import logging

import click

from loa.cli_context import LoaContext, pass_loa


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@pass_loa
def serve(loa: LoaContext, host: str, port: int, threads: int) -> None:
    """Serve the web UI and the player API (waitress)."""
    run_server(loa, host, port, threads)


def run_server(loa: LoaContext, host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from loa.app import create_app
    from scheduler.runtime import start_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    services = loa.services
    runtime = start_scheduler(services)
    click.echo(f"Loa đang chạy tại http://{host}:{port}/ (Ctrl+C để dừng)")
    try:
        waitress_serve(create_app(services), host=host, port=port, threads=threads)
    finally:
        runtime.shutdown()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Seed and render only, do not start the server")
@pass_loa
def demo(loa: LoaContext, host: str, port: int, no_serve: bool) -> None:
    """Seed Hải Phòng, two communes, a campaign and a rendered programme, then serve."""
    from loa.demo import seed_demo

    for line in seed_demo(loa.services):
        click.echo(line)
    if not no_serve:
        run_server(loa, host, port, threads=8)


def register(cli: click.Group) -> None:
    cli.add_command(serve)
    cli.add_command(demo)
