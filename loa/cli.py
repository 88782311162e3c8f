"""The ``loa`` command line: the contract other tools script against."""

from __future__ import annotations

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from loa import cli_admin, cli_bulletin, cli_ops, cli_programme, cli_serve, migrate
from loa.audio.cli import ACRONYM_SOURCE, tts
from loa.cli_context import LoaContext, LoaGroup, pass_loa
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.lexicon import operator_acronyms
from loa.stations.units import get_unit


@click.group(cls=LoaGroup)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Loa: phát thanh cơ sở tự động (broadcast automation for grassroots radio)."""
    loa = ctx.ensure_object(LoaContext)
    ctx.call_on_close(loa.close)
    ctx.meta[ACRONYM_SOURCE] = lambda unit_code=None: _operator_acronyms(loa, unit_code)


def _operator_acronyms(loa: LoaContext, unit_code: str | None) -> dict[str, str]:
    """What a unit's renders read (global ones without a unit); none without a database yet."""
    try:
        with transaction(loa.services.sessions) as session:
            unit = get_unit(session, unit_code) if unit_code else None
            return operator_acronyms(session, unit)
    except (OperationalError, ProgrammingError) as err:
        if unit_code:
            raise LoaError("Chưa có cơ sở dữ liệu: chạy `loa init` (no database yet)") from err
        return {}


@cli.command()
@pass_loa
def init(loa: LoaContext) -> None:
    """Create or upgrade the database to the newest schema."""
    migrate.upgrade(loa.services.settings.database_url)
    click.echo(f"Cơ sở dữ liệu sẵn sàng (database ready): {loa.services.settings.database_url}")


cli_admin.register(cli)
cli_bulletin.register(cli)
cli_programme.register(cli)
cli_serve.register(cli)
cli_ops.register(cli)
tts.add_command(cli_programme.prune_cache_command)
cli.add_command(tts)


def main() -> None:
    cli(prog_name="loa")
