"""The ``loa`` command line: the contract other tools script against."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from audio.errors import AudioError
from loa import migrate
from loa.app import build_services
from loa.errors import LoaError
from loa.settings import SettingsError, load_settings
from web.context import Services


class LoaContext:
    """Builds the shared services on first use, so `loa --help` needs no database."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = build_services(load_settings())
        return self._services


pass_loa = click.make_pass_decorator(LoaContext, ensure=True)


@click.group()
def cli() -> None:
    """Loa: phát thanh cơ sở tự động (broadcast automation for grassroots radio)."""


@cli.command()
@pass_loa
def init(loa: LoaContext) -> None:
    """Create or upgrade the database to the newest schema."""
    migrate.upgrade(loa.services.settings.database_url)
    click.echo(f"Cơ sở dữ liệu sẵn sàng (database ready): {loa.services.settings.database_url}")


def _register() -> None:
    from audio.cli import tts
    from loa import cli_admin, cli_programme, cli_serve

    cli_admin.register(cli)
    cli_programme.register(cli)
    cli_serve.register(cli)
    cli.add_command(tts)


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; bad input ends with a clear message and exit code 1."""
    _register()
    try:
        return cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Đã hủy (aborted)", err=True)
        sys.exit(1)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except (LoaError, AudioError, SettingsError) as err:
        click.echo(f"Lỗi: {err}", err=True)
        sys.exit(1)
    except (OperationalError, ProgrammingError) as err:
        click.echo(
            f"Lỗi cơ sở dữ liệu, đã chạy `loa init` chưa? (database error: {err.orig})", err=True
        )
        sys.exit(1)
