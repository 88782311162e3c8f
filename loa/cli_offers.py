"""`loa bulletin offers|accept|decline`: a commune answers the normal bulletins from above.

Attached to the `bulletin` group by loa.cli_bulletin; only click and the context load at
start, the database modules inside each command.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from loa.cli_context import ROW_ID, LoaContext, pass_loa

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from loa.playlists.models import BulletinOffer
    from loa.stations.models import Station


def _iso(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def _answerer(session: Session,
              username: str | None) -> tuple[str | None, str | None, int | None]:
    """(username, role, unit id) of ``--by``; without it a script answers for the server."""
    if username is None:
        return None, None, None
    from sqlalchemy import select

    from loa.errors import LoaError
    from loa.stations.accounts import User
    from loa.web.users import normal_username

    user = session.scalar(select(User).where(User.username == normal_username(username)))
    if user is None:
        raise LoaError(f"Không có người dùng {username!r} (unknown user)")
    return user.username, str(user.role), user.unit_id


@click.command("offers")
@click.option("--unit", "unit_code",
              help="Chỉ các đài của đơn vị này và cấp dưới (this unit's subtree only)")
@click.option("--all", "show_all", is_flag=True,
              help="Cả những đề nghị đã trả lời (answered offers too)")
@click.option("--bulletin", "bulletin_id", type=ROW_ID,
              help="Chỉ của thông báo này: các xã đã trả lời ra sao (this bulletin only)")
@pass_loa
def offers(loa: LoaContext, unit_code: str | None, show_all: bool,
           bulletin_id: int | None) -> None:
    """Normal bulletins from above offered to communes: id, station, state, due, title."""
    from sqlalchemy import select

    from loa.db import transaction
    from loa.playlists.bulletin_offers import offer_due, waiting_offers
    from loa.playlists.models import BulletinOffer
    from loa.stations.models import AdminUnit
    from loa.stations.units import get_unit, subtree_ids

    now, hours = loa.services.clock.now(), loa.services.settings.offer_hours
    with transaction(loa.services.sessions) as session:
        units = (subtree_ids(session, get_unit(session, unit_code)) if unit_code
                 else set(session.scalars(select(AdminUnit.id))))
        if show_all:
            from loa.stations.models import Station

            found = session.scalars(
                select(BulletinOffer).join(Station, Station.id == BulletinOffer.station_id)
                .where(Station.unit_id.in_(units))
                .order_by(BulletinOffer.offered_at, BulletinOffer.bulletin_id, Station.code)
            ).all()
        else:
            found = waiting_offers(session, units, now)
        if bulletin_id is not None:
            found = [o for o in found if o.bulletin_id == bulletin_id]
        for o in found:
            reason = f"\t{o.reason}" if o.reason else ""
            click.echo(f"{o.bulletin_id}\t{o.station.code}\t{o.state.value}\t"
                       f"{_iso(offer_due(o.offered_at, hours))}\t{o.bulletin.unit.code}\t"
                       f"{o.bulletin.title}{reason}")
        if not found:
            click.echo("Không có đề nghị nào chờ trả lời (no offers waiting)")


def _station_offer(session: Session, bulletin_id: int,
                   station_code: str) -> tuple[BulletinOffer, Station]:
    from loa.playlists.bulletin_offers import get_offer
    from loa.playlists.bulletins import get_bulletin
    from loa.stations.service import get_station

    get_bulletin(session, bulletin_id)
    station = get_station(session, station_code)
    return get_offer(session, bulletin_id, station), station


@click.command("accept")
@click.argument("bulletin_id", type=ROW_ID)
@click.option("--station", "station_code", required=True, help="Đài nhận (the station's code)")
@click.option("--by", "by", help="Người của xã (username); bỏ trống: script")
@pass_loa
def accept(loa: LoaContext, bulletin_id: int, station_code: str, by: str | None) -> None:
    """Accept a normal bulletin from above on a station: it is placed in its windows."""
    from loa.db import transaction
    from loa.playlists.bulletin_offers import accept_offer
    from loa.scheduler.bulletin_slots import slot_placer

    with transaction(loa.services.sessions) as session:
        offer, station = _station_offer(session, bulletin_id, station_code)
        who, role, unit_id = _answerer(session, by)
        accept_offer(session, offer, by=who, role=role, user_unit_id=unit_id,
                     clock=loa.services.clock,
                     place_slots=slot_placer(loa.services.settings.airing_gap))
        click.echo(f"Đài {station.code} đã nhận thông báo {bulletin_id} (accepted)")


@click.command("decline")
@click.argument("bulletin_id", type=ROW_ID)
@click.option("--station", "station_code", required=True, help="Đài từ chối (the station's code)")
@click.option("--reason", required=True, help="Lý do từ chối (why; the sender reads it)")
@click.option("--by", "by", help="Người của xã (username); bỏ trống: script")
@pass_loa
def decline(loa: LoaContext, bulletin_id: int, station_code: str, reason: str,
            by: str | None) -> None:
    """Decline a normal bulletin from above on a station, with a reason for the sender."""
    from loa.db import transaction
    from loa.playlists.bulletin_offers import decline_offer

    with transaction(loa.services.sessions) as session:
        offer, station = _station_offer(session, bulletin_id, station_code)
        who, role, unit_id = _answerer(session, by)
        decline_offer(session, offer, by=who, role=role, user_unit_id=unit_id, reason=reason,
                      clock=loa.services.clock)
        click.echo(f"Đài {station.code} đã từ chối thông báo {bulletin_id} (declined)")
