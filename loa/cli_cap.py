"""`loa bulletin import-cap` and `loa cap feed …`: CAP 1.2 alerts in, as draft bulletins.

Only click and the context load at start (tests/test_cli_start.py): the database,
XML and network modules load inside each command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from loa.cli_context import ROW_ID, LoaContext, pass_loa

if TYPE_CHECKING:
    from loa.playlists.cap_import import Outcome


def _echo(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        bulletin = "-" if o.bulletin_id is None else str(o.bulletin_id)
        click.echo(f"{o.identifier}\t{o.action}\t{bulletin}\t{o.message}")


@click.command("import-cap")
@click.argument("source")
@click.option("--unit", "unit_code",
              help="Đơn vị nhận; bỏ trống: đơn vị theo vùng cảnh báo (the owner unit; "
                   "default: the unit the alert's area names)")
@pass_loa
def import_cap(loa: LoaContext, source: str, unit_code: str | None) -> None:
    """Take in CAP 1.2 alerts from FILE or URL as draft bulletins awaiting approval.

    One line per alert: identifier, what was done (drafted, cancelled, duplicate,
    skipped), the bulletin, and why.
    """
    from loa.playlists.cap_feeds import fetch, read_alerts, read_file, take_in
    from loa.scheduler.cap_poll import cap_tools

    if source.startswith(("http://", "https://")):
        data, base = fetch(source), source
    else:
        data, base = read_file(Path(source)), None
    alerts, problems = read_alerts(data, base, fetch)
    for problem in problems:
        click.echo(f"Cảnh báo (warning): {problem}", err=True)
    if not alerts:
        click.echo("Không có cảnh báo CAP nào trong nguồn (no CAP alert in the source)")
        return
    services = loa.services
    if unit_code:  # an unknown unit is a mistake of the command, not of each alert
        from loa.db import transaction
        from loa.stations.units import get_unit

        with transaction(services.sessions) as session:
            get_unit(session, unit_code)
    _echo(take_in(services.sessions, alerts, unit_code, cap_tools(services)))


@click.group()
def cap() -> None:
    """Cảnh báo CAP 1.2: nguồn tin tự động (CAP 1.2 alert feeds)."""


@cap.group()
def feed() -> None:
    """Nguồn CAP mỗi đơn vị đọc định kỳ (the CAP feeds each unit polls)."""


@feed.command("add")
@click.argument("url")
@click.option("--unit", "unit_code", required=True, help="Đơn vị nhận (the unit)")
@click.option("--every", "every_s", type=click.IntRange(1, 7 * 24 * 3600), default=None,
              help="Chu kỳ đọc, giây (seconds between polls; default 300)")
@click.option("--auto-extreme", is_flag=True,
              help="Cảnh báo Extreme phát ngay không chờ duyệt (send Extreme alerts "
                   "without waiting for approval; all others always wait)")
@pass_loa
def feed_add(loa: LoaContext, url: str, unit_code: str, every_s: int | None,
             auto_extreme: bool) -> None:
    """Poll URL (a CAP alert, or an Atom/RSS feed of them) for UNIT; prints the feed's id."""
    from loa.db import transaction
    from loa.playlists.cap_feeds import add_feed
    from loa.stations.units import get_unit

    with transaction(loa.services.sessions) as session:
        added = add_feed(session, url, get_unit(session, unit_code), every_s, auto_extreme,
                         loa.services.clock.now())
        click.echo(added.id)


@feed.command("list")
@pass_loa
def feed_list(loa: LoaContext) -> None:
    """Feeds: id, unit, period, auto-extreme, last poll, last success, imported, URL, error."""
    from sqlalchemy import select

    from loa.db import transaction
    from loa.playlists.cap_models import CapFeed

    def when(value: object) -> str:
        return "-" if value is None else value.isoformat(timespec="seconds")  # type: ignore[attr-defined]

    with transaction(loa.services.sessions) as session:
        for f in session.scalars(select(CapFeed).order_by(CapFeed.id)):
            extreme = "auto-extreme" if f.auto_extreme else "duyệt (approve)"
            click.echo(f"{f.id}\t{f.unit.code}\t{f.every_s}s\t{extreme}\t"
                       f"{when(f.last_polled_at)}\t{when(f.last_ok_at)}\t{f.imported}\t{f.url}\t"
                       f"{f.last_error or '-'}")


@feed.command("remove")
@click.argument("feed_id", type=ROW_ID)
@pass_loa
def feed_remove(loa: LoaContext, feed_id: int) -> None:
    """Stop polling a feed (the alerts it brought and their bulletins stay)."""
    from loa.db import transaction
    from loa.playlists.cap_feeds import get_feed

    with transaction(loa.services.sessions) as session:
        session.delete(get_feed(session, feed_id))
        click.echo(f"Đã xóa nguồn CAP {feed_id} (feed removed)")


@feed.command("poll")
@click.argument("feed_id", type=ROW_ID)
@pass_loa
def feed_poll(loa: LoaContext, feed_id: int) -> None:
    """Poll one feed now, whether or not it is due; one line per alert."""
    from loa.db import transaction
    from loa.errors import LoaError
    from loa.playlists.cap_feeds import get_feed, poll_feed
    from loa.scheduler.cap_poll import cap_tools

    with transaction(loa.services.sessions) as session:
        get_feed(session, feed_id)
    report = poll_feed(loa.services.sessions, feed_id, cap_tools(loa.services))
    _echo(report.outcomes)
    if report.error:
        raise LoaError(report.error)
