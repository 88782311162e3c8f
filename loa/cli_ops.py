"""Commands an operations team runs: the render worker process, backups and restores."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import click

from loa.cli_context import LoaContext, UserError, pass_loa, require_safe_secret


def _logging(loa: LoaContext) -> None:
    logging.basicConfig(
        level=loa.services.settings.log_level,
        format="%(asctime)s %(levelname)s %(process)d %(name)s %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _check_schema(loa: LoaContext) -> None:
    from loa import migrate  # here: `loa worker --help` needs no database library

    if migrate.pending(loa.services.settings.database_url):
        raise UserError("cơ sở dữ liệu chưa ở phiên bản mới nhất, hãy chạy `loa init` "
                        "(database schema is behind: run `loa init`)")


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd) and SIGINT (Ctrl+C) end the process cleanly."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


@click.command()
@click.option("--poll", "poll_s", type=click.FloatRange(0.1, 60), default=2.0, show_default=True,
              help="Seconds between looks at the queue when it is empty.")
@pass_loa
def worker(loa: LoaContext, poll_s: float) -> None:
    """Run queued render jobs until stopped (start as many as the machine has cores for)."""
    from loa.metrics_files import use_process_folder
    from loa.settings import load_settings

    use_process_folder("worker", load_settings().home)  # before prometheus_client loads
    from loa.playlists.render_worker import RenderWorker

    require_safe_secret()
    _logging(loa)
    _check_schema(loa)
    svc = loa.services
    runner = RenderWorker(svc.sessions, svc.store, svc.settings, svc.clock)
    _stop_on_signals(runner.stop)
    click.echo(f"Loa worker {runner.name}: đang chờ việc dựng âm thanh (waiting for renders)")
    runner.serve(poll_s)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--portable", is_flag=True,
              help="Dump rows through SQLAlchemy (JSON) instead of pg_dump or SQLite's backup.")
@pass_loa
def backup(loa: LoaContext, file: Path, portable: bool) -> None:
    """Write the database, the audio store and the anchors into one tar archive."""
    from loa.backup import make_backup

    manifest = make_backup(loa.services.settings, file, portable=portable)
    click.echo(
        f"Đã sao lưu (backed up): {file} — {manifest['database']['method']}, "
        f"phiên bản lược đồ {manifest['alembic_revision']}, {len(manifest['files'])} tệp"
    )


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database or home that is not empty.")
@pass_loa
def restore(loa: LoaContext, file: Path, force: bool) -> None:
    """Restore a `loa backup` archive into an empty database and home, then verify it."""
    from loa.restore import restore_backup

    manifest = restore_backup(loa.services.settings, file, force=force)
    click.echo(
        f"Đã khôi phục (restored) bản sao lưu lúc {manifest['created_at']}, "
        f"phiên bản lược đồ {manifest['alembic_revision']}; hãy chạy `loa audit verify`"
    )
