"""`loa notify test --user NAME`: one alert through every channel of a user, and what happened."""

from __future__ import annotations

import click
from sqlalchemy import select

from loa.cli_context import LoaContext, pass_loa
from loa.db import transaction
from loa.errors import LoaError
from loa.notify.deliver import deliver_due
from loa.notify.events import test_alert
from loa.notify.models import Channel, DeliveryStatus, NotifyDelivery
from loa.web.users import find_user

SAID = {
    DeliveryStatus.sent: "đã gửi (sent)",
    DeliveryStatus.pending: "lỗi, sẽ thử lại (failed, will retry)",
    DeliveryStatus.failed: "lỗi, đã dừng thử (failed, given up)",
    DeliveryStatus.skipped: "chưa cấu hình (not set up)",
}


@click.group()
def notify() -> None:
    """Cảnh báo qua e-mail, webhook và mục Việc cần làm (alerts)."""


@notify.command("test")
@click.option("--user", "username", required=True, help="Tên đăng nhập (username).")
@pass_loa
def notify_test(loa: LoaContext, username: str) -> None:
    """Send one alert through every channel of USER at once and print each outcome."""
    services = loa.services
    with transaction(services.sessions) as session:
        user = find_user(session, username)
        event = test_alert(session, user, services.clock.now())
        if event is None:
            raise LoaError("Vừa gửi thử rồi, hãy thử lại sau giây lát (just sent one; "
                           "try again in a moment)")
        rows = session.scalars(
            select(NotifyDelivery).where(NotifyDelivery.event_id == event.id)).all()
        ids = [r.id for r in rows if r.channel is not Channel.inbox]
        channels = [r.channel.value for r in rows]
    click.echo(f"{user.username}: {', '.join(channels)}")
    click.echo("inbox: đã gửi (sent)")
    outcomes = deliver_due(services.sessions, services.settings, services.clock, only=ids)
    for outcome in outcomes:
        line = f"{outcome.channel}: {SAID[outcome.status]}"
        click.echo(line + (f" — {outcome.detail}" if outcome.detail else ""))
    if any(o.status is not DeliveryStatus.sent for o in outcomes):
        raise SystemExit(1)
