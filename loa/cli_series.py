"""`loa bulletin send --series/--every-hours/--on-the-hour/--night` and `loa bulletin series`.

Only click at start, like the rest of `loa bulletin`: the database loads inside the commands.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any

import click

from loa.cli_context import LoaContext, pass_loa
from loa.playlists.bulletin_limits import EVERY_HOURS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from loa.clock import Clock
    from loa.playlists.models import BulletinSeries
    from loa.stations.models import AdminUnit


def series_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The series and on-the-hour options of `loa bulletin send`."""
    options = [
        click.option("--series", help="Chuỗi thông báo, ví dụ \"Bão số 3 năm 2026\": thông báo "
                     "mới thay thế thông báo trước của chuỗi (the series; the new one "
                     "replaces the one before)"),
        click.option("--every-hours", type=click.Choice([str(h) for h in EVERY_HOURS]),
                     help="Phát lại cách nhau N giờ (repeat every N hours)"),
        click.option("--on-the-hour", is_flag=True,
                     help="Phát đúng giờ tròn, giờ địa phương: với --every-hours 2 là 0 giờ, "
                          "2 giờ, 4 giờ… (at the top of the hour, local time)"),
        click.option("--night", is_flag=True,
                     help="Phát cả ngoài khung giờ phát, ngày và đêm; chỉ ưu tiên và khẩn cấp "
                          "(plays outside the windows too; priority and emergency only)"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def hourly_minutes(every_min: int, every_hours: str | None, on_the_hour: bool) -> int:
    """The minutes between plays, from --every or --every-hours (not both)."""
    from loa.errors import LoaError

    if on_the_hour and every_hours is None:
        raise LoaError("--on-the-hour cần --every-hours N (--on-the-hour needs --every-hours)")
    if every_hours is None:
        return every_min
    if every_min:
        raise LoaError("Chọn một: --every hoặc --every-hours (--every or --every-hours)")
    return int(every_hours) * 60


def named_series(session: Session, unit: AdminUnit, name: str | None, by: str | None,
                 clock: Clock) -> BulletinSeries | None:
    """The unit's series called ``name`` (made if new), or None without --series."""
    from loa.playlists.bulletin_series import series_named

    if name is None:
        return None
    return series_named(session, unit, name, by=by, now=clock.now())


@click.command("series")
@click.option("--unit", "unit_code", required=True, help="Đơn vị sở hữu (owner unit code)")
@click.argument("name", required=False)
@pass_loa
def series_command(loa: LoaContext, unit_code: str, name: str | None) -> None:
    """A unit's series, or one series' bulletins in order with their delivery."""
    from loa.db import transaction
    from loa.errors import LoaError
    from loa.playlists.bulletin_series import find_series, series_entries, unit_series
    from loa.playlists.bulletins import end_past_bulletins
    from loa.stations.units import get_unit

    now = loa.services.clock.now()
    with transaction(loa.services.sessions) as session:
        end_past_bulletins(session, now)
        unit = get_unit(session, unit_code)
        if name is None:
            for found in unit_series(session, {unit.id}):
                click.echo(f"{found.id}\t{found.name}")
            return
        found = find_series(session, unit, name)
        if found is None:
            raise LoaError(f"Không có chuỗi thông báo {name!r} của {unit.code} (no such series)")
        click.echo(f"Chuỗi (series) {found.name}")
        click.echo("id\tstatus\tsent\tcompleted\tplays_to_come\tnext_play\ttitle")
        for entry in series_entries(session, found, now):
            b = entry.bulletin
            status = (f"superseded by {b.superseded_by_id}" if b.superseded_by_id
                      else b.status.value)
            sent = b.sent_at.astimezone(UTC).isoformat(timespec="seconds") if b.sent_at else "-"
            after = (entry.next_play.astimezone(UTC).isoformat(timespec="seconds")
                     if entry.next_play else "-")
            click.echo(f"{b.id}\t{status}\t{sent}\t{entry.completed}/{entry.stations}\t"
                       f"{entry.to_come}\t{after}\t{b.title}")
