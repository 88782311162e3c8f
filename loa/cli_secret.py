"""`loa secret`: make the session key an installation sets as LOA_SECRET_KEY."""

from __future__ import annotations

import click


@click.group()
def secret() -> None:
    """Khóa ký phiên đăng nhập (the session signing key, LOA_SECRET_KEY)."""


@secret.command()
def generate() -> None:
    """Print a fresh key (64 hex digits) for LOA_SECRET_KEY; nothing is stored."""
    from loa.secret import generate as fresh_key

    click.echo(fresh_key())
