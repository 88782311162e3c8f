"""Commands that run Loa: the web server and the demo."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import click

from loa import migrate
from loa.cli_context import LoaContext, UserError, pass_loa, require_safe_secret
from loa.metrics_files import use_process_folder
from loa.settings import load_settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int, envvar="LOA_PORT")
@click.option("--threads", default=8, show_default=True, type=int)
@pass_loa
def serve(loa: LoaContext, host: str, port: int, threads: int) -> None:
    """Serve in one process (waitress) with the scheduler inside; `loa web` for production."""
    require_safe_secret()
    run_server(loa, host, port, threads)


def run_server(loa: LoaContext, host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from loa.app import create_app, warm_bulletin_render
    from loa.scheduler.runtime import plan_on_start, start_scheduler

    services = loa.services
    _logging(loa)
    _check_schema(loa)
    plan_on_start(services)  # before the first player asks for its schedule
    runtime = start_scheduler(services)
    click.echo(f"Loa đang chạy tại http://{host}:{port}/ (Ctrl+C để dừng)")
    try:
        app = create_app(services)
        warm_bulletin_render()  # the first emergency finds the render loaded
        # waitress buffers a body before the app sees it: no more than the largest route takes.
        waitress_serve(app, host=host, port=port, threads=threads,
                       max_request_body_size=app.config["MAX_CONTENT_LENGTH"])
    finally:
        runtime.shutdown()


def _check_schema(loa: LoaContext) -> None:
    if migrate.pending(loa.services.settings.database_url):
        raise UserError("cơ sở dữ liệu chưa ở phiên bản mới nhất, hãy chạy `loa init` "
                        "(database schema is behind: run `loa init`)")


@click.command()
@click.option("--bind", default=None, envvar="LOA_BIND",
              help="Address to listen on (default 127.0.0.1:8080), e.g. unix:/run/loa/web.sock")
@click.option("--workers", type=click.IntRange(1, 64), default=None, envvar="LOA_WEB_WORKERS",
              help="Web worker processes (default 2 × CPUs + 1)")
@click.option("--scheduler/--no-scheduler", "with_scheduler", default=False, show_default=True,
              help="Also run one scheduler process beside the web workers")
@pass_loa
def web(loa: LoaContext, bind: str | None, workers: int | None, with_scheduler: bool) -> None:
    """Serve the web UI and player API with gunicorn (several workers, no scheduler in them)."""
    require_safe_secret()
    _check_schema(loa)
    env = dict(os.environ, LOA_HOME=str(loa.services.settings.home))
    if bind:
        env["LOA_BIND"] = bind
    if workers:
        env["LOA_WEB_WORKERS"] = str(workers)
    command = [sys.executable, "-m", "gunicorn", "-c", "python:loa.gunicorn_conf"]
    if not with_scheduler:
        os.execve(sys.executable, command, env)  # gunicorn takes this process: signals reach it
    children = [
        subprocess.Popen([sys.executable, "-c", "from loa.cli import main; main()", "scheduler"],
                         env=env),
        subprocess.Popen(command, env=env),
    ]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = children[1].wait()
    children[0].terminate()
    children[0].wait(timeout=60)
    if code:
        raise SystemExit(code)


@click.command("scheduler")
@pass_loa
def scheduler_command(loa: LoaContext) -> None:
    """Run the scheduler's jobs alone (beside `loa web`); one leader among all such processes."""
    use_process_folder("scheduler", load_settings().home)  # before prometheus_client loads
    from loa.scheduler.runtime import plan_on_start, start_scheduler

    require_safe_secret()
    _logging(loa)
    _check_schema(loa)
    plan_on_start(loa.services)
    runtime = start_scheduler(loa.services)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo("Bộ lập lịch đang chạy (scheduler running; Ctrl+C to stop)")
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        runtime.shutdown()


def _logging(loa: LoaContext) -> None:
    logging.basicConfig(
        level=loa.services.settings.log_level,
        format="%(asctime)s %(levelname)s %(process)d %(name)s %(message)s",
    )
    # APScheduler logs every run of every job at INFO; the live job runs every few seconds.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


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
