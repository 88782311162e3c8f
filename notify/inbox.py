"""The to-do inbox: what needs each user now, in their unit's subtree, by role.

Derived from the rooms' state at each reading (nothing to mark done: an item leaves the
list when its cause is gone). Each item names its kind and the ids its page needs; the
web turns them into words and links.

    leader   programmes and bulletins waiting for approval
    operator programmes sent back (with the comment), failed renders, missed or failed
             airings still to make up, bulletin offers from above to answer
    admin    players offline, stations without a player, tokens never used
    auditor  station-months at risk, or whose log is no longer evidence, this month
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loa.clock import VN
from loa.compliance.audit import Reading, station_month_report
from loa.months import month_bounds
from loa.playlists.bulletin_offers import waiting_offers
from loa.playlists.models import (
    HOLDING,
    LOST,
    Airing,
    Bulletin,
    BulletinStatus,
    Campaign,
    Programme,
    ProgrammeStatus,
    RenderJob,
    RenderStatus,
)
from loa.scheduler.outlook import Outlook, station_glance
from loa.settings import Settings
from loa.stations.accounts import Role
from loa.stations.health import is_online
from loa.stations.models import AdminUnit, Player, Station


@dataclass(frozen=True)
class Todo:
    """One thing to do: its kind, the name it goes by, the ids of its page, a note."""

    kind: str
    name: str
    ref: dict[str, str | int] = field(default_factory=dict)
    note: str | None = None
    at: datetime | None = None


def leader_todos(session: Session, units: Collection[int]) -> list[Todo]:
    """Programmes submitted and bulletins pending in the subtree, oldest first."""
    programmes = session.scalars(
        select(Programme).where(
            Programme.unit_id.in_(units), Programme.status == ProgrammeStatus.rendered,
            Programme.submitted_at.is_not(None))
        .order_by(Programme.submitted_at, Programme.id)
    )
    bulletins = session.scalars(
        select(Bulletin).where(Bulletin.unit_id.in_(units),
                               Bulletin.status == BulletinStatus.pending)
        .order_by(Bulletin.created_at, Bulletin.id)
    )
    return [
        *(Todo("programme.waiting", p.title, {"programme_id": p.id}, p.submitted_by,
               p.submitted_at) for p in programmes),
        *(Todo("bulletin.waiting", b.title, {"bulletin_id": b.id}, b.created_by, b.created_at)
          for b in bulletins),
    ]


def short_of_count(required: int, holding: int) -> bool:
    """Whether a station-month lost more airings than its make-ups gave back.

    Cases: 3 required, 2 aired and 1 planned → no (a make-up is planned); 3 required,
    2 aired or planned → yes (the planner found no room: the operator must act).
    """
    return holding < required


def _lost_to_make_up(
    session: Session, units: Collection[int], now: datetime
) -> list[Todo]:
    """Missed or failed airings of this month whose station-month is still short."""
    start, end = month_bounds(now.astimezone(VN).strftime("%Y-%m"), VN)
    lost = session.execute(
        select(Airing, Station, Programme, Campaign)
        .join(Station, Airing.station_id == Station.id)
        .join(Programme, Airing.programme_id == Programme.id)
        .join(Campaign, Programme.campaign_id == Campaign.id)
        .where(Station.unit_id.in_(units), Airing.status.in_(LOST),
               Airing.starts_at >= start, Airing.starts_at < end)
        .order_by(Airing.starts_at)
    ).all()
    if not lost:
        return []
    holding = Counter(tuple(row) for row in session.execute(
        select(Airing.station_id, Programme.campaign_id)
        .join(Programme, Airing.programme_id == Programme.id)
        .where(Airing.station_id.in_({a.station_id for a, *_ in lost}),
               Airing.status.in_(HOLDING), Airing.starts_at >= start, Airing.starts_at < end)
    ))
    return [
        Todo("airing.to_make_up", station.name,
             {"code": station.code, "month": programme.month}, airing.status.value,
             airing.starts_at)
        for airing, station, programme, campaign in lost
        if short_of_count(campaign.min_airings, holding[(station.id, campaign.id)])
    ]


def operator_todos(session: Session, units: Collection[int], now: datetime) -> list[Todo]:
    """Programmes sent back, renders that failed last, airings still to make up."""
    sent_back = session.scalars(
        select(Programme).where(Programme.unit_id.in_(units),
                                Programme.status == ProgrammeStatus.draft,
                                Programme.review_comment.is_not(None))
        .order_by(Programme.id)
    )
    latest = (select(func.max(RenderJob.id)).join(Programme)
              .where(Programme.unit_id.in_(units)).group_by(RenderJob.programme_id))
    failed = session.execute(
        select(RenderJob, Programme).join(Programme)
        .where(RenderJob.id.in_(latest), RenderJob.status == RenderStatus.failed,
               Programme.status != ProgrammeStatus.approved)
        .order_by(RenderJob.id)
    ).all()
    return [
        *(Todo("programme.sent_back", p.title, {"programme_id": p.id}, p.review_comment)
          for p in sent_back),
        *(Todo("render.failed", p.title, {"programme_id": p.id}, job.message, job.finished_at)
          for job, p in failed),
        *_lost_to_make_up(session, units, now),
    ]


def admin_todos(
    session: Session, units: Collection[int], now: datetime, poll_s: int
) -> list[Todo]:
    """Players offline, stations without a player, tokens never used."""
    stations = session.scalars(
        select(Station).where(Station.unit_id.in_(units)).order_by(Station.code)
    ).all()
    players = session.scalars(
        select(Player).where(Player.station_id.in_([s.id for s in stations]),
                             Player.revoked.is_(False)).order_by(Player.id)
    ).all()
    by_station = {s.id: s for s in stations}
    having = {p.station_id for p in players}
    todos = []
    for p in players:
        station = by_station[p.station_id]
        ref: dict[str, str | int] = {"code": station.code}
        if p.last_seen is None:
            todos.append(Todo("token.unused", f"{p.name} · {station.name}", ref))
        elif not is_online(p.last_seen, now, poll_s):
            todos.append(Todo("player.offline", f"{p.name} · {station.name}", ref,
                              at=p.last_seen))
    todos += [Todo("station.no_player", s.name, {"code": s.code})
              for s in stations if s.id not in having]
    return todos


def auditor_todos(
    session: Session, unit: AdminUnit, settings: Settings, now: datetime
) -> list[Todo]:
    """This month's station-months at risk, or whose log is no longer evidence."""
    month = now.astimezone(VN).strftime("%Y-%m")
    rows = station_month_report(session, unit, month, Reading.of(settings, now))
    stations = {s.code: s for s in session.scalars(
        select(Station).where(Station.code.in_({r.station for r in rows})))}
    campaigns = {c.code: c for c in session.scalars(
        select(Campaign).where(Campaign.code.in_({r.campaign for r in rows})))}
    todos = []
    for row in rows:
        ref: dict[str, str | int] = {"code": row.station, "month": row.month,
                                     "campaign": row.campaign}
        name = f"{row.station_name} · {row.campaign}"
        if row.status == "evidence_broken":
            todos.append(Todo("month.evidence_broken", name, ref, str(row.broken_seq)))
            continue
        glance = station_glance(session, row, stations[row.station], campaigns[row.campaign],
                                now, settings.airing_gap)
        if glance.outlook is Outlook.at_risk:
            todos.append(Todo("month.at_risk", name, ref, str(glance.room)))
    return todos


def offer_todos(session: Session, unit: AdminUnit, now: datetime) -> list[Todo]:
    """Normal bulletins from above waiting for this commune's answer (its own stations: a
    unit above does not answer for it), one item per bulletin."""
    seen: dict[int, Todo] = {}
    for offer in waiting_offers(session, [unit.id], now):
        seen.setdefault(offer.bulletin_id, Todo(
            "bulletin.offered", offer.bulletin.title, {"offer_bulletin_id": offer.bulletin_id},
            offer.bulletin.unit.name, offer.offered_at))
    return list(seen.values())


def todos_for(
    session: Session, role: Role, unit: AdminUnit, units: Collection[int], settings: Settings,
    now: datetime,
) -> list[Todo]:
    """What needs a user of ``role`` in ``unit`` (whose subtree is ``units``) now."""
    if role is Role.leader:
        return leader_todos(session, units) + offer_todos(session, unit, now)
    if role is Role.operator:
        return operator_todos(session, units, now) + offer_todos(session, unit, now)
    if role is Role.admin:
        return admin_todos(session, units, now, settings.player_poll_s)
    return auditor_todos(session, unit, settings, now)

