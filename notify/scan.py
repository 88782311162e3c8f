"""Events read from the rooms' state by the notification job, not raised by a request:
players offline and back, airings lost, emergencies unplayed, offers from above waiting,
months at risk.

Each runs often and raises only what is new: the event's key (``events.Alert.key``) says
"once per outage", "once per airing", "once a day".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.clock import VN
from loa.compliance.audit import Reading, station_month_report
from loa.notify import events
from loa.notify.models import NotifyEvent
from loa.playlists.bulletin_offers import waiting_offers
from loa.playlists.bulletins import target_stations
from loa.playlists.models import (
    Airing,
    AiringStatus,
    Bulletin,
    BulletinDelivery,
    BulletinPriority,
    BulletinStatus,
    Campaign,
)
from loa.scheduler.outlook import Outlook, station_glance
from loa.settings import Settings
from loa.stations.health import is_online
from loa.stations.models import AdminUnit, Player, Station

LOOK_BACK = timedelta(days=2)  # older losses were there before alerts were: not news
EMERGENCY_AFTER = timedelta(minutes=5)
OUTAGES_WATCHED = timedelta(days=30)  # how long an outage may last and still be followed


def _keys(session: Session, kind: str, since: datetime) -> set[str]:
    return set(session.scalars(
        select(NotifyEvent.key).where(NotifyEvent.kind == kind, NotifyEvent.created_at >= since)
    ))


def offline_players(session: Session, settings: Settings, now: datetime) -> None:
    """Players heard from once and silent for LOA_OFFLINE_ALERT_MINUTES: one alert each
    outage (a player never heard from is a token never used: the admin's inbox says so)."""
    silent_since = now - timedelta(minutes=settings.offline_alert_minutes)
    for player in session.scalars(
        select(Player).where(Player.revoked.is_(False), Player.last_seen.is_not(None),
                             Player.last_seen < silent_since).order_by(Player.id)
    ):
        events.player_offline(session, player, now)


def players_back(session: Session, settings: Settings, now: datetime) -> None:
    """Players reported offline that are heard again: one alert for each such outage."""
    told = _keys(session, "player.online", now - OUTAGES_WATCHED)
    outages = session.scalars(
        select(NotifyEvent).where(NotifyEvent.kind == "player.offline",
                                  NotifyEvent.created_at >= now - OUTAGES_WATCHED)
    ).all()
    for outage in outages:
        _, player_id, seen = outage.key.split(":", 2)
        if "player.online:" + outage.key.removeprefix("player.offline:") in told:
            continue
        player = session.get(Player, int(player_id))
        if (player is None or player.revoked or player.last_seen is None
                or player.last_seen.isoformat() == seen
                or not is_online(player.last_seen, now, settings.player_poll_s)):
            continue
        events.player_back(session, player, outage, now)


def lost_airings(session: Session, now: datetime) -> None:
    """Airings settled missed or failed lately, each once."""
    told = _keys(session, "airing.lost", now - 2 * LOOK_BACK)
    for airing in session.scalars(
        select(Airing).where(Airing.status.in_((AiringStatus.missed, AiringStatus.failed)),
                             Airing.starts_at >= now - LOOK_BACK).order_by(Airing.starts_at)
    ):
        if f"airing.lost:{airing.id}" not in told:
            events.airing_lost(session, airing, now)


def unplayed_emergencies(session: Session, now: datetime) -> None:
    """Emergencies sent 5 minutes ago or more that some target station has not started."""
    told = _keys(session, "bulletin.emergency_unplayed", now - 2 * LOOK_BACK)
    for bulletin in session.scalars(
        select(Bulletin).where(
            Bulletin.priority == BulletinPriority.emergency,
            Bulletin.status != BulletinStatus.cancelled,
            Bulletin.sent_at <= now - EMERGENCY_AFTER, Bulletin.sent_at >= now - LOOK_BACK)
    ):
        if f"bulletin.emergency_unplayed:{bulletin.id}" in told:
            continue
        started = set(session.scalars(
            select(BulletinDelivery.station_id).where(
                BulletinDelivery.bulletin_id == bulletin.id,
                BulletinDelivery.started_at.is_not(None))
        ))
        silent = [s.name for s in target_stations(session, bulletin) if s.id not in started]
        if silent:
            events.emergency_unplayed(session, bulletin, silent, now)


def offers_waiting(session: Session, now: datetime) -> None:
    """Offers from above lately made and not answered: each commune hears once a bulletin."""
    told = _keys(session, "bulletin.offered", now - 2 * LOOK_BACK)
    units = select(Station.unit_id).distinct()
    for offer in waiting_offers(session, session.scalars(units).all(), now):
        if offer.offered_at < now - LOOK_BACK:
            continue
        unit = session.get_one(AdminUnit, offer.station.unit_id)
        if f"bulletin.offered:{offer.bulletin_id}:{unit.id}" not in told:
            events.bulletin_offered(session, offer.bulletin, unit, now)
            told.add(f"bulletin.offered:{offer.bulletin_id}:{unit.id}")


def months_at_risk(session: Session, settings: Settings, now: datetime) -> None:
    """This month's station-months reading "có nguy cơ": once a day each (the key's day)."""
    month = now.astimezone(VN).strftime("%Y-%m")
    reading = Reading.of(settings, now)
    for root in session.scalars(select(AdminUnit).where(AdminUnit.parent_id.is_(None))):
        rows = station_month_report(session, root, month, reading)
        stations = {s.code: s for s in session.scalars(
            select(Station).where(Station.code.in_({r.station for r in rows})))}
        campaigns = {c.code: c for c in session.scalars(
            select(Campaign).where(Campaign.code.in_({r.campaign for r in rows})))}
        for row in rows:
            station, campaign = stations[row.station], campaigns[row.campaign]
            glance = station_glance(session, row, station, campaign, now, settings.airing_gap)
            if glance.outlook is Outlook.at_risk:
                events.month_at_risk(session, station, campaign, month, glance.room, now)


def scan(session: Session, settings: Settings, now: datetime) -> None:
    """The frequent checks (every minute): cheap queries over recent rows."""
    offline_players(session, settings, now)
    players_back(session, settings, now)
    lost_airings(session, now)
    unplayed_emergencies(session, now)
    offers_waiting(session, now)
