"""What every command shares: services built on first use, and how bad input is reported."""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from loa.audio.errors import AudioError
from loa.collector import start_up_done
from loa.errors import LoaError
from loa.settings import SettingsError, load_settings

if TYPE_CHECKING:  # the services pull in the database and Flask: only commands that run need them
    from loa.services import Services


class LoaContext:
    """Builds the shared services on first use, so `loa --help` needs no database."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            from loa.app import build_services

            self._services = build_services(load_settings())
        return self._services

    def close(self) -> None:
        """Deliver the command's push notices before it exits, then free the database."""
        if self._services is not None:
            self._services.publisher.close()
            self._services.sessions.kw["bind"].dispose()


pass_loa = click.make_pass_decorator(LoaContext, ensure=True)


def prepare(ctx: click.Context) -> None:
    """Give the command its context: services built on first use, and the acronyms TTS reads.

    Light on purpose: it runs before every command, its --help too. The command's
    modules are loaded by now (click resolves it before this group callback)."""
    from loa.audio.cli import ACRONYM_SOURCE

    start_up_done()

    refuse_root(ctx, Path(os.environ.get("LOA_HOME", "var")))
    loa = ctx.ensure_object(LoaContext)
    ctx.call_on_close(loa.close)
    ctx.meta[ACRONYM_SOURCE] = lambda unit_code=None: _operator_acronyms(loa, unit_code)


def refuse_root(ctx: click.Context, home: Path) -> None:
    """Stop root from running `loa` on a home another user (the service's) owns: what root
    writes there (audio, anchors, caches) the service can then not read or replace."""
    if os.geteuid() != 0:
        return
    try:
        owner = home.stat().st_uid
    except OSError:  # no home yet: whoever makes it owns it
        return
    if owner == 0:
        return
    try:
        name = pwd.getpwuid(owner).pw_name
    except KeyError:
        name = str(owner)
    click.echo(
        f"Lỗi: không chạy loa bằng root: {home} thuộc người dùng {name}, tệp root ghi vào đó "
        f"sẽ làm hỏng dịch vụ; dùng `loa-admin …` (packaging/loa-admin: chạy loa bằng {name} "
        f"với /etc/loa/loa.env) (refusing to run as root: {home} belongs to {name}; "
        f"run `loa-admin …`, which runs loa as {name} with the service's settings)",
        err=True,
    )
    ctx.exit(2)


def _operator_acronyms(loa: LoaContext, unit_code: str | None) -> dict[str, str]:
    """What a unit's renders read (global ones without a unit); none without a database yet."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from loa.db import transaction
    from loa.playlists.lexicon import operator_acronyms
    from loa.stations.units import get_unit

    try:
        with transaction(loa.services.sessions) as session:
            unit = get_unit(session, unit_code) if unit_code else None
            return operator_acronyms(session, unit)
    except (OperationalError, ProgrammingError) as err:
        if unit_code:
            raise LoaError("Chưa có cơ sở dữ liệu: chạy `loa init` (no database yet)") from err
        return {}


class RowId(click.ParamType):
    """A row id on the command line: 1 to 2**31-1, as the INTEGER columns hold.

    Beyond that no row exists, and PostgreSQL would answer with an error, not "not found".
    """

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= 2**31 - 1:
            self.fail(f"{value!r} không phải mã số hợp lệ, cần 1…2147483647 (not a valid id)",
                      param, ctx)
        return number


ROW_ID = RowId()


class UserError(click.ClickException):
    """Shown as "Lỗi: …" on stderr; exit code 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Lỗi: {self.message}", err=True)


class StartRefused(UserError):
    """A server command refuses to start: exit code 2, as systemd's units expect to see."""

    exit_code = 2


def require_safe_secret() -> None:
    """Stop a server command (serve, web, scheduler, worker) whose LOA_SECRET_KEY is unsafe."""
    from loa.secret import WeakSecretError, check_configured

    try:
        check_configured(load_settings().secret_key)
    except WeakSecretError as err:
        raise StartRefused(str(err)) from err


class LoaGroup(click.Group):
    """A command group that turns bad input anywhere below it into a clear message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (LoaError, AudioError, SettingsError) as err:
            raise UserError(str(err)) from err
        except Exception as err:
            # A database error means SQLAlchemy is loaded; a command's --help never loads it.
            db = sys.modules.get("sqlalchemy.exc")
            if db is None or not isinstance(err, db.OperationalError | db.ProgrammingError):
                raise
            hint = "cơ sở dữ liệu chưa sẵn sàng, đã chạy `loa init` chưa?"
            raise UserError(f"{hint} (database error: {err.orig})") from err
