"""Events that reach people: each is one small function saying what happened, to whom, once.

An event becomes a ``notify_event`` row (its ``key`` makes it once per outage, per airing,
per day…) and a delivery row per recipient and channel, in the caller's transaction: the
request or job that caused it only writes; ``deliver.deliver_due`` sends, later.

To add an event: write a function that builds an ``Alert`` and calls ``raise_alert`` with
its recipients (see ``programme_submitted``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.clock import VN
from loa.notify.models import Channel, DeliveryStatus, NotifyDelivery, NotifyEvent
from loa.notify.profiles import channels_of, profile_of
from loa.notify.recipients import users_named, users_nearest, users_of
from loa.playlists.models import Airing, Bulletin, Campaign, Programme
from loa.stations.accounts import Role, User
from loa.stations.models import AdminUnit, Player, Station


@dataclass(frozen=True)
class Alert:
    kind: str
    key: str  # once per key, ever
    subject: str
    body: str
    link: str  # a path on this site
    unit_id: int | None = None
    urgent: bool = False  # reaches people in their quiet hours too (emergencies)


def raise_alert(
    session: Session, alert: Alert, recipients: Iterable[User], now: datetime
) -> NotifyEvent | None:
    """Record ``alert`` for each recipient on each of their channels; None if already raised
    (same key). An event nobody is to hear of is recorded all the same: it happened, and
    the scans need not raise it again each minute."""
    people = {u.id: u for u in recipients}
    if session.scalar(select(NotifyEvent.id).where(NotifyEvent.key == alert.key)):
        return None
    event = NotifyEvent(kind=alert.kind, key=alert.key[:200], unit_id=alert.unit_id,
                        subject=alert.subject[:300], body=alert.body, link=alert.link,
                        urgent=alert.urgent, created_at=now)
    session.add(event)
    session.flush()
    for user_id in people:
        for channel in channels_of(profile_of(session, user_id)):
            shown = channel is Channel.inbox  # the inbox has it once the row exists
            session.add(NotifyDelivery(
                event_id=event.id, user_id=user_id, channel=channel,
                status=DeliveryStatus.sent if shown else DeliveryStatus.pending,
                attempts=1 if shown else 0, sent_at=now if shown else None,
                next_attempt_at=None if shown else now,
            ))
    session.flush()
    return event


def _month(month: str) -> str:
    return f"{month[5:]}/{month[:4]}"


def _when(at: datetime) -> str:
    return at.astimezone(VN).strftime("%H:%M %d/%m/%Y")


def programme_submitted(session: Session, programme: Programme, now: datetime) -> None:
    """A programme waits for approval: the nearest leaders up from its unit."""
    alert = Alert(
        "programme.submitted", f"programme.submitted:{programme.id}:{now.isoformat()}",
        f"Chương trình chờ duyệt: {programme.title}",
        f"{programme.submitted_by or 'Cán bộ'} đã gửi chương trình \"{programme.title}\" "
        f"(tháng {_month(programme.month)}, {programme.unit.name}) để lãnh đạo duyệt.",
        f"/programmes/{programme.id}", programme.unit_id,
    )
    raise_alert(session, alert, users_nearest(session, programme.unit, [Role.leader]), now)


def programme_sent_back(
    session: Session, programme: Programme, authors: Iterable[str | None], now: datetime
) -> None:
    """A leader sent a programme back: its author and submitter, with the comment."""
    alert = Alert(
        "programme.sent_back", f"programme.sent_back:{programme.id}:{now.isoformat()}",
        f"Chương trình bị trả lại: {programme.title}",
        f"Lãnh đạo đã trả lại chương trình \"{programme.title}\" "
        f"(tháng {_month(programme.month)}). Lý do: {programme.review_comment}",
        f"/programmes/{programme.id}", programme.unit_id,
    )
    raise_alert(session, alert, users_named(session, authors), now)


def programme_approved(session: Session, programme: Programme, now: datetime) -> None:
    """A programme was approved: its author and submitter."""
    alert = Alert(
        "programme.approved", f"programme.approved:{programme.id}",
        f"Chương trình đã được duyệt: {programme.title}",
        f"{programme.approved_by or 'Lãnh đạo'} đã duyệt chương trình \"{programme.title}\" "
        f"(tháng {_month(programme.month)}); lịch phát đã được xếp.",
        f"/programmes/{programme.id}", programme.unit_id,
    )
    raise_alert(session, alert,
                users_named(session, [programme.created_by, programme.submitted_by]), now)


def _player_station(session: Session, player: Player) -> Station:
    return session.get_one(Station, player.station_id)


def player_offline(session: Session, player: Player, now: datetime) -> None:
    """A player silent longer than LOA_OFFLINE_ALERT_MINUTES: the nearest admins of its station,
    once per outage (the outage is named by the last time it was heard)."""
    station = _player_station(session, player)
    seen = player.last_seen
    alert = Alert(
        "player.offline", f"player.offline:{player.id}:{seen.isoformat() if seen else '-'}",
        f"Thiết bị mất kết nối: {player.name} ({station.name})",
        f"Thiết bị \"{player.name}\" của {station.name} không liên lạc với máy chủ từ "
        f"{_when(seen) if seen else '—'}.",
        f"/stations/{station.code}", station.unit_id,
    )
    raise_alert(session, alert, users_nearest(session, station.unit, [Role.admin]), now)


def player_back(session: Session, player: Player, outage: NotifyEvent, now: datetime) -> None:
    """A player that was reported offline is heard again: the same admins, once."""
    station = _player_station(session, player)
    alert = Alert(
        "player.online", "player.online:" + outage.key.removeprefix("player.offline:"),
        f"Thiết bị đã kết nối lại: {player.name} ({station.name})",
        f"Thiết bị \"{player.name}\" của {station.name} đã liên lạc lại lúc "
        f"{_when(player.last_seen or now)}.",
        f"/stations/{station.code}", station.unit_id,
    )
    raise_alert(session, alert, users_nearest(session, station.unit, [Role.admin]), now)


def airing_lost(session: Session, airing: Airing, now: datetime) -> None:
    """An airing settled missed or failed: the nearest operators of its station."""
    station = session.get_one(Station, airing.station_id)
    programme = session.get_one(Programme, airing.programme_id)
    what = "bị lỡ" if airing.status.value == "missed" else "phát lỗi"
    alert = Alert(
        "airing.lost", f"airing.lost:{airing.id}",
        f"Lượt phát {what}: {station.name} {_when(airing.starts_at)}",
        f"Lượt phát chương trình \"{programme.title}\" lúc {_when(airing.starts_at)} tại "
        f"{station.name} {what}.",
        f"/stations/{station.code}", station.unit_id,
    )
    raise_alert(session, alert, users_nearest(session, station.unit, [Role.operator]), now)


def month_at_risk(
    session: Session, station: Station, campaign: Campaign, month: str, room: int,
    now: datetime,
) -> None:
    """A station-month reads "có nguy cơ": its operators and auditors, once a day at most."""
    day = now.astimezone(VN).strftime("%Y-%m-%d")
    alert = Alert(
        "month.at_risk", f"month.at_risk:{station.id}:{campaign.code}:{month}:{day}",
        f"Có nguy cơ không đạt: {station.name} tháng {_month(month)}",
        f"{station.name}, chiến dịch {campaign.code} tháng {_month(month)} có nguy cơ không "
        f"đủ lượt phát: chỉ còn chỗ cho {room} lượt nữa trong khung giờ.",
        f"/audit/{station.code}/{month}?campaign={campaign.code}", station.unit_id,
    )
    raise_alert(session, alert,
                users_nearest(session, station.unit, [Role.operator, Role.auditor]), now)


def emergency_unplayed(
    session: Session, bulletin: Bulletin, silent: list[str], now: datetime
) -> None:
    """An emergency bulletin some targets had not played 5 minutes after sending: its
    sender and the leaders of its unit, in their quiet hours too."""
    unit = session.get_one(AdminUnit, bulletin.unit_id)
    alert = Alert(
        "bulletin.emergency_unplayed", f"bulletin.emergency_unplayed:{bulletin.id}",
        f"KHẨN: thông báo chưa phát ở {len(silent)} đài: {bulletin.title}",
        f"Thông báo khẩn cấp \"{bulletin.title}\" gửi lúc {_when(bulletin.sent_at or now)} "
        f"chưa được phát ở: {', '.join(silent)}.",
        f"/bulletins/{bulletin.id}", bulletin.unit_id, urgent=True,
    )
    people = users_named(session, [bulletin.created_by]) + users_of(session, unit, [Role.leader])
    raise_alert(session, alert, people, now)


def bulletin_offered(session: Session, bulletin: Bulletin, unit: AdminUnit, now: datetime) -> None:
    """A normal bulletin from above waits for a commune's answer: its own operators and
    leaders (nobody above answers for it), once per bulletin and commune."""
    alert = Alert(
        "bulletin.offered", f"bulletin.offered:{bulletin.id}:{unit.id}",
        f"Thông báo từ cấp trên chờ xã trả lời: {bulletin.title}",
        f"{bulletin.unit.name} gửi thông báo \"{bulletin.title}\" tới {unit.name}. Hãy nhận "
        "để xếp lịch phát hoặc từ chối (nêu lý do); không trả lời thì sẽ tự động được nhận.",
        "/offers", unit.id,
    )
    raise_alert(session, alert, users_of(session, unit, [Role.operator, Role.leader]), now)


def test_alert(session: Session, user: User, now: datetime) -> NotifyEvent | None:
    """`loa notify test`: one alert to one user, urgent so quiet hours do not hold it."""
    alert = Alert(
        "test", f"test:{user.id}:{now.isoformat()}",
        "Loa: thử gửi cảnh báo",
        f"Đây là tin thử của Loa gửi tới {user.username}: kênh này đã nhận được cảnh báo.",
        "/", user.unit_id, urgent=True,
    )
    return raise_alert(session, alert, [user], now)
