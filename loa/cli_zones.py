"""`loa zone`: a station's loudspeaker zones (cụm loa) and their languages."""

from __future__ import annotations

from pathlib import Path

import click

from loa.cli_context import ROW_ID, LoaContext, pass_loa
from loa.db import transaction
from loa.stations.models import DEFAULT_LANGUAGE


@click.group()
def zone() -> None:
    """Cụm loa của đài (a station's loudspeaker zones)."""


@zone.command("add")
@click.argument("station_code")
@click.argument("code")
@click.option("--name", required=True, help="Tên cụm loa, ví dụ Cụm thôn Nà Hang")
@click.option("--language", default=DEFAULT_LANGUAGE, show_default=True,
              help="Ngôn ngữ của cụm (ISO 639: vi, hmn, km, ede …)")
@pass_loa
def zone_add(loa: LoaContext, station_code: str, code: str, name: str, language: str) -> None:
    """Add a zone to a station; its players are counted on their own (design §6)."""
    from loa.stations.zones import add_zone

    with transaction(loa.services.sessions) as session:
        added = add_zone(session, station_code, code, name, language)
        click.echo(f"Đã thêm cụm loa {added.code} ({added.name}, {added.language}) "
                   f"ở đài {station_code}")


@zone.command("list")
@click.argument("station_code")
@pass_loa
def zone_list(loa: LoaContext, station_code: str) -> None:
    """The station's zones: code, language, enrolled players in use, name."""
    from loa.stations.service import get_station
    from loa.stations.zones import player_counts, station_zones

    with transaction(loa.services.sessions) as session:
        station = get_station(session, station_code)
        players = player_counts(session, station)
        for found in station_zones(session, station):
            click.echo(f"{found.code}\t{found.language}\t{players.get(found.code, 0)}\t"
                       f"{found.name}")


@click.group("variant")
def variant() -> None:
    """Bản ngôn ngữ của chương trình (a programme's language variants)."""


@variant.command("add")
@click.argument("programme_id", type=ROW_ID)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--language", required=True, help="Mã ngôn ngữ ISO 639, ví dụ hmn, km, ede")
@pass_loa
def variant_add(loa: LoaContext, programme_id: int, file: Path, language: str) -> None:
    """Add a recorded variant; zones of that language play it instead of the master."""
    from loa.scheduler.variant_air import add_programme_variant

    services = loa.services
    with transaction(services.sessions) as session:
        # Its airings hold the longest recording: those a longer variant no longer fits move.
        added, moved = add_programme_variant(session, services.store, programme_id, language,
                                             file, services.clock.now(),
                                             services.settings.airing_gap)
        click.echo(f"Đã thêm bản {added.language} của chương trình {programme_id}: "
                   f"{added.duration_ms / 1000:.0f} giây, sha256 {added.asset_sha256}")
        if moved:
            click.echo(f"Đã dời {moved} lượt phát không còn đủ chỗ cho bản dài hơn "
                       f"({moved} airing(s) planned again: the longer variant no longer fit)")
