"""`loa init`: create or upgrade the database (loaded when it runs)."""

from __future__ import annotations

import click

from loa import migrate
from loa.cli_context import LoaContext, pass_loa


@click.command()
@pass_loa
def init(loa: LoaContext) -> None:
    """Create or upgrade the database to the newest schema."""
    migrate.upgrade(loa.services.settings.database_url)
    from sqlalchemy.engine import make_url

    shown = make_url(loa.services.settings.database_url).render_as_string(hide_password=True)
    click.echo(f"Cơ sở dữ liệu sẵn sàng (database ready): {shown}")
