"""`loa init`, the `tts` group, and what every command's context holds (loaded when one runs)."""

from __future__ import annotations

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from loa import migrate
from loa.audio.cli import ACRONYM_SOURCE, tts
from loa.cli_context import LoaContext, pass_loa
from loa.cli_programme import prune_cache_command
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.lexicon import operator_acronyms
from loa.stations.units import get_unit

tts.add_command(prune_cache_command)


def prepare(ctx: click.Context) -> None:
    """Give the command its context: services built on first use, and the acronyms TTS reads."""
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


@click.command()
@pass_loa
def init(loa: LoaContext) -> None:
    """Create or upgrade the database to the newest schema."""
    migrate.upgrade(loa.services.settings.database_url)
    click.echo(f"Cơ sở dữ liệu sẵn sàng (database ready): {loa.services.settings.database_url}")
