"""`loa relay`: relay sources (a unit's streams) and relay slots (tiếp sóng at fixed hours).

Only click and the context load at start; the database modules load inside each
command, so `loa --help` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from loa.cli_context import ROW_ID, LoaContext, pass_loa

if TYPE_CHECKING:
    from loa.playlists.relay_models import RelaySlot


@click.group()
def relay() -> None:
    """Tiếp sóng VOV và đài tỉnh (live relays at fixed hours)."""


@relay.group("source")
def source() -> None:
    """Nguồn tiếp sóng (relay sources: a unit's streams)."""


@source.command("add")
@click.argument("code")
@click.option("--unit", "unit_code", required=True, help="Đơn vị sở hữu (owner unit code)")
@click.option("--name", required=True, help="Tên nguồn, ví dụ VOV1 (the source's name)")
@click.option("--url", required=True, help="Địa chỉ luồng: Icecast, HTTP MP3/AAC/Ogg, HLS .m3u8")
@click.option("--fallback", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tệp phát thay khi mất sóng (played when the stream drops)")
@pass_loa
def source_add(loa: LoaContext, code: str, unit_code: str, name: str, url: str,
               fallback: Path | None) -> None:
    """Add a unit's stream and probe it (answers, is audio, its codec)."""
    from loa.audio.stream_probe import probe_stream
    from loa.db import transaction
    from loa.playlists.relays import add_source
    from loa.stations.units import get_unit

    services = loa.services
    with transaction(services.sessions) as session:
        added, found = add_source(session, unit=get_unit(session, unit_code), code=code,
                                  name=name, url=url, fallback=fallback, store=services.store,
                                  clock=services.clock, probe=probe_stream)
        click.echo(f"{added.code}\t{added.name}\t{added.url}")
        if found.ok:
            rate = f", {found.sample_rate} Hz" if found.sample_rate else ""
            click.echo(f"Đã thử nguồn: có âm thanh, mã hóa {found.codec}{rate} "
                       f"(probed: audio, codec {found.codec})")
        else:
            click.echo(f"Cảnh báo: nguồn không trả lời hoặc không phải âm thanh: {found.error} "
                       f"(probe failed; the source is kept)")


@source.command("list")
@click.option("--unit", "unit_code", help="Nguồn dùng được ở đơn vị này (usable in this unit)")
@pass_loa
def source_list(loa: LoaContext, unit_code: str | None) -> None:
    """Sources: code, unit, name, codec (or the probe's error), URL."""
    from sqlalchemy import select

    from loa.db import transaction
    from loa.playlists.relay_models import RelaySource
    from loa.playlists.relays import usable_sources
    from loa.stations.units import get_unit

    with transaction(loa.services.sessions) as session:
        found = (usable_sources(session, get_unit(session, unit_code)) if unit_code
                 else list(session.scalars(select(RelaySource).order_by(RelaySource.code))))
        for s in found:
            heard = s.codec or f"lỗi (error): {s.probe_error}"
            click.echo(f"{s.code}\t{s.unit.code}\t{s.name}\t{heard}\t{s.url}")


@relay.command("add")
@click.option("--source", "source_code", required=True, help="Mã nguồn (source code)")
@click.option("--unit", "unit_code", help="Mọi đài thuộc đơn vị này (every station below)")
@click.option("--station", "station_code", help="Một đài (one station)")
@click.option("--zone", "zone_codes", multiple=True,
              help="Chỉ cụm loa này của đài --station (one zone of the station; repeatable)")
@click.option("--days", default="T2-CN", show_default=True, help="Ngày: T2-T7, T2+T4, CN…")
@click.option("--at", "at", required=True, help="Giờ bắt đầu HH:MM, giờ địa phương (local)")
@click.option("--minutes", type=int, required=True, help="Số phút (length in minutes)")
@click.option("--required", is_flag=True, help="Bắt buộc: có đánh giá hằng tháng (month verdict)")
@pass_loa
def add(loa: LoaContext, source_code: str, unit_code: str | None, station_code: str | None,
        zone_codes: tuple[str, ...], days: str, at: str, minutes: int, required: bool) -> None:
    """Add a recurring relay slot (on every zone, or on the --zone named); prints its id."""
    from loa.db import transaction
    from loa.errors import LoaError
    from loa.playlists.relays import ZONES_NEED_STATION, add_slot, get_source
    from loa.scheduler.relay_air import make_room
    from loa.stations.service import get_station
    from loa.stations.units import get_unit
    from loa.stations.zones import get_zone

    if zone_codes and not station_code:
        raise LoaError(ZONES_NEED_STATION)
    services = loa.services
    with transaction(services.sessions) as session:
        station = get_station(session, station_code) if station_code else None
        slot = add_slot(session, source=get_source(session, source_code),
                        unit=get_unit(session, unit_code) if unit_code else None,
                        station=station, days=days, at=at, minutes=minutes, required=required,
                        clock=services.clock,
                        zones=[get_zone(session, station, z) for z in zone_codes if station])
        moved = make_room(session, slot, services.clock.now(), services.settings.airing_gap)
        click.echo(slot.id)
        if moved:
            click.echo(f"Đã dời {moved} lượt phát trùng giờ tiếp sóng "
                       f"({moved} overlapping airing(s) planned again)", err=True)


@relay.command("list")
@click.option("--unit", "unit_code", help="Khung đặt cho đơn vị này và cấp dưới (this subtree)")
@click.option("--station", "station_code", help="Mọi khung đài này tiếp sóng (what it relays)")
@pass_loa
def list_command(loa: LoaContext, unit_code: str | None, station_code: str | None) -> None:
    """Relay slots: id, target, source, days, time, minutes, required."""
    from loa.db import transaction
    from loa.playlists.relays import list_slots
    from loa.stations.service import get_station
    from loa.stations.units import get_unit, subtree_ids

    with transaction(loa.services.sessions) as session:
        if station_code:
            slots = list_slots(session, station=get_station(session, station_code))
        elif unit_code:
            slots = list_slots(session, subtree_ids(session, get_unit(session, unit_code)))
        else:
            slots = list_slots(session)
        for slot in slots:
            click.echo(_slot_line(slot))


def _slot_line(slot: RelaySlot) -> str:
    target = (f"unit:{slot.unit.code}" if slot.unit is not None
              else f"station:{slot.station.code}")  # type: ignore[union-attr]
    if slot.zones:  # only these zones of the station
        target += "/" + ",".join(z.code for z in slot.zones)
    need = "required" if slot.required else "-"
    return (f"{slot.id}\t{target}\t{slot.source.code}\t{slot.days}\t{slot.at}\t"
            f"{slot.minutes}\t{need}")


@relay.command("remove")
@click.argument("slot_id", type=ROW_ID)
@pass_loa
def remove(loa: LoaContext, slot_id: int) -> None:
    """Remove a relay slot; its stations' players are told."""
    from loa.db import transaction
    from loa.playlists.relays import remove_slot
    from loa.scheduler.relay_air import notify_stations, reached_stations

    with transaction(loa.services.sessions) as session:
        stations = reached_stations(session, slot_id)
        remove_slot(session, slot_id)
        notify_stations(session, stations)
        click.echo(f"Đã xóa khung tiếp sóng {slot_id} (removed)")


@click.command("relay")
@click.option("--unit", "unit_code", required=True, help="Đơn vị (unit code)")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--format", "fmt", default="json", type=click.Choice(["json", "csv"]),
              show_default=True)
@pass_loa
def audit_relay(loa: LoaContext, unit_code: str, month: str, fmt: str) -> None:
    """Relay verdict per station and required relay slot: relayed against scheduled time."""
    import csv
    import io
    import json

    from loa.compliance.relay_audit import COLUMNS, relay_verdicts
    from loa.db import transaction
    from loa.playlists.campaigns import check_month
    from loa.stations.units import get_unit

    check_month(month)
    services = loa.services
    share = services.settings.relay_min_share
    with transaction(services.sessions) as session:
        rows = [v.row() for v in relay_verdicts(session, get_unit(session, unit_code), month,
                                                services.clock.now(), share)]
    if fmt == "json":
        click.echo(json.dumps({"unit": unit_code, "month": month, "min_share": share,
                               "rows": rows}, ensure_ascii=False, indent=2))
        return
    out = io.StringIO()
    # a station's zones are in the JSON only
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    click.echo(out.getvalue(), nl=False)
