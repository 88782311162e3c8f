"""`loa airing add`: an operator's extra airing of a campaign on one station, on every zone
or on the zones it names (design §3 "Operator's edits", §4 zones)."""

from __future__ import annotations

import click

from loa.cli_context import LoaContext, pass_loa


@click.group()
def airing() -> None:
    """Lượt phát thêm của nhân viên vận hành (an operator's extra airings)."""


@airing.command("add")
@click.argument("station_code")
@click.option("--campaign", "campaign_code", required=True, help="Mã chiến dịch (campaign code)")
@click.option("--at", "at", required=True,
              help="Giờ phát, giờ địa phương của đài: 2026-12-05T17:10 (local time)")
@click.option("--zone", "zone_codes", multiple=True,
              help="Chỉ cụm loa này của đài (one zone of the station; repeatable)")
@pass_loa
def add(loa: LoaContext, station_code: str, campaign_code: str, at: str,
        zone_codes: tuple[str, ...]) -> None:
    """Add one airing of the campaign's programme; prints its id (and a warning, if any)."""
    from loa.db import transaction
    from loa.playlists.airing_zones import named_zones
    from loa.playlists.campaigns import get_campaign
    from loa.scheduler.edits import add_airing, local_start
    from loa.stations.service import get_station

    services = loa.services
    with transaction(services.sessions) as session:
        station = get_station(session, station_code)
        done = add_airing(session, station, get_campaign(session, campaign_code),
                          local_start(at, station), services.clock.now(),
                          services.settings.airing_gap,
                          named_zones(session, station, zone_codes))
        click.echo(done.airing.id)
        if done.warning:
            click.echo(done.warning, err=True)
