"""The ``loa`` command line: the contract other tools script against."""

from __future__ import annotations

import click

from audio.cli import tts
from loa import cli_admin, cli_programme, cli_serve, migrate
from loa.cli_context import LoaContext, LoaGroup, pass_loa


@click.group(cls=LoaGroup)
def cli() -> None:
    """Loa: phát thanh cơ sở tự động (broadcast automation for grassroots radio)."""


@cli.command()
@pass_loa
def init(loa: LoaContext) -> None:
    """Create or upgrade the database to the newest schema."""
    migrate.upgrade(loa.services.settings.database_url)
    click.echo(f"Cơ sở dữ liệu sẵn sàng (database ready): {loa.services.settings.database_url}")


cli_admin.register(cli)
cli_programme.register(cli)
cli_serve.register(cli)
cli.add_command(tts)


def main() -> None:
    cli(prog_name="loa")
