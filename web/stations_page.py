"""A station's page: what it carries now and next, its day at a glance, its month calendar,
players, and hand edits of its airings."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.playlists.campaigns import check_month
from loa.playlists.models import Airing, AiringStatus, Bulletin, BulletinSlot, Campaign, Programme
from loa.playlists.schedule import month_airings, month_bulletin_slots
from loa.scheduler.day_data import relay_rules, station_day, station_on_air
from loa.scheduler.day_plan import Block, Kind, check_day
from loa.scheduler.edits import Edit, add_airing, cancel_airing, local_start, move_airing
from loa.scheduler.outlook import LOST, make_ups
from loa.stations.accounts import Role
from loa.stations.health import is_online
from loa.stations.models import Station
from loa.stations.units import ancestors
from loa.web import auth
from loa.web.context import db, services

bp = Blueprint("station_page", __name__)
EDITORS = (Role.operator, Role.admin)
WEEKDAYS = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")  # Monday first; words: LABELS["weekday"]
# The calendar's kinds of airing, in the legend's order; their words are LABELS["calendar"].
KINDS = ("planned", "make_up", "aired", "missed", "cancelled")


@dataclass(frozen=True)
class CalendarAiring:
    airing: Airing
    kind: str  # one of KINDS
    local: datetime


@dataclass(frozen=True)
class CalendarBulletin:
    slot: BulletinSlot
    bulletin: Bulletin
    local: datetime


def _bulletin_days(
    slots: list[tuple[BulletinSlot, Bulletin]], tz: ZoneInfo
) -> dict[date, list[CalendarBulletin]]:
    """Bulletin plays placed in the windows, by local day (scheduler.bulletin_placement)."""
    days: dict[date, list[CalendarBulletin]] = {}
    for slot, bulletin in slots:
        local = slot.starts_at.astimezone(tz)
        days.setdefault(local.date(), []).append(CalendarBulletin(slot, bulletin, local))
    return days


def airing_kind(airing: Airing, make_up_ids: set[int]) -> str:
    """The calendar's word for an airing: make-up wins over planned, lost ones read missed."""
    if airing.status in LOST:
        return "missed"
    if airing.status is AiringStatus.aired:
        return "aired"
    if airing.status is AiringStatus.cancelled:
        return "cancelled"
    return "make_up" if airing.id in make_up_ids else "planned"


def month_weeks(month: str) -> list[list[date | None]]:
    """The month's weeks, Monday first, with None outside the month."""
    year, mon = (int(p) for p in month.split("-"))
    return [
        [d if d.month == mon else None for d in week]
        for week in calendar.Calendar().monthdatescalendar(year, mon)
    ]


def _calendar(airings: list[Airing], tz: ZoneInfo) -> dict[date, list[CalendarAiring]]:
    by_campaign: dict[int, list[Airing]] = {}
    for a in airings:
        by_campaign.setdefault(a.programme.campaign_id, []).append(a)
    extra: set[int] = set()
    for mine in by_campaign.values():
        required = mine[0].programme.campaign.min_airings
        extra |= make_ups([(a.id, a.status) for a in mine], required)
    days: dict[date, list[CalendarAiring]] = {}
    for a in airings:
        local = a.starts_at.astimezone(tz)
        days.setdefault(local.date(), []).append(CalendarAiring(a, airing_kind(a, extra), local))
    return days


def _last_aired(s: Session, station: Station, now: datetime) -> Airing | None:
    """The station's latest airing settled aired."""
    return s.scalar(select(Airing).where(
        Airing.station_id == station.id, Airing.status == AiringStatus.aired,
        Airing.starts_at <= now).order_by(Airing.starts_at.desc()).limit(1))


def _shown_day(today: date) -> date:
    """The day the timeline shows: ``?day=YYYY-MM-DD``, else today (400 in words if bad)."""
    asked = request.args.get("day")
    if asked is None:
        return today
    try:
        return check_day(asked)
    except LoaError as err:
        abort(400, str(err))


def _listen_to(s: Session, blocks: tuple[Block | None, ...]) -> dict[int, Programme]:
    """The programme of each airing on air or next, for its listen button."""
    return {b.ref: s.get_one(Airing, b.ref).programme for b in blocks
            if b is not None and b.kind is Kind.airing and b.ref is not None}


@bp.route("/stations/<code>")
@auth.login_required()
def station(code: str) -> Any:
    now = services().clock.now()
    with db() as s:
        found = auth.own_station(s, code)
        tz = ZoneInfo(found.timezone)
        today = now.astimezone(tz).date()
        day = _shown_day(today)
        try:  # the month of the day asked for, unless a month is
            month = check_month(request.args.get("month", day.strftime("%Y-%m")))
        except LoaError:
            abort(400)
        relays = relay_rules(s, found)
        moments = station_on_air(s, found, now, relays)
        airings = month_airings(s, found, month)
        above = [u.id for u in ancestors(found.unit)]
        campaigns = s.scalars(
            select(Campaign).where(Campaign.unit_id.in_(above)).order_by(Campaign.code)
        ).all()
        poll = services().settings.player_poll_s
        return render_template(
            "station.html",
            station=found,
            month=month,
            weeks=month_weeks(month),
            weekdays=WEEKDAYS,
            days=_calendar(airings, tz),
            bulletin_days=_bulletin_days(month_bulletin_slots(s, found, month), tz),
            kinds=KINDS,
            airings=airings,
            moments=moments,
            last=_last_aired(s, found, now),
            listen_to=_listen_to(s, moments),
            plan=station_day(s, found, day, relays),
            today=today,
            day_step=timedelta(days=1),
            online={p.id: is_online(p.last_seen, now, poll) for p in found.players},
            campaigns=[c for c in campaigns if c.runs_in(month)],
            editable=g.user.role in EDITORS,
            now=now,
            tz=tz,
        )


Change = Callable[[Session, Station, datetime, timedelta], Edit]


def _edit(code: str, change: Change) -> Any:
    """Run one schedule edit for the station; refusals and warnings come back as messages."""
    svc = services()
    month = request.form.get("month", "")
    try:
        with db() as s:
            found = auth.own_station(s, code)
            done = change(s, found, svc.clock.now(), svc.settings.airing_gap)
            month = done.airing.starts_at.astimezone(ZoneInfo(found.timezone)).strftime("%Y-%m")
            warning = done.warning
    except LoaError as err:
        flash(str(err), "error")
    else:
        flash(gettext("Đã cập nhật lịch phát; thiết bị sẽ nhận lịch mới"), "ok")
        if warning:
            flash(warning, "warning")
    target = {"month": month} if month else {}
    return redirect(url_for("station_page.station", code=code, **target))


def _form_id(name: str) -> int:
    value = request.form.get(name, "")
    if not value.isdigit() or not 1 <= int(value) < 2**31:
        raise LoaError(f"Lỗi: thiếu hoặc sai mã {name} (missing or invalid id)")
    return int(value)


@bp.route("/stations/<code>/airings", methods=["POST"])
@auth.login_required(*EDITORS)
def add(code: str) -> Any:
    def change(s: Session, station: Station, now: datetime, gap: timedelta) -> Edit:
        campaign = s.scalar(
            select(Campaign).where(Campaign.code == request.form.get("campaign", ""))
        )
        if campaign is None:
            raise LoaError("Lỗi: không tìm thấy chiến dịch (campaign not found)")
        start = local_start(request.form.get("starts_at", ""), station)
        return add_airing(s, station, campaign, start, now, gap)

    return _edit(code, change)


@bp.route("/stations/<code>/airings/move", methods=["POST"])
@auth.login_required(*EDITORS)
def move(code: str) -> Any:
    def change(s: Session, station: Station, now: datetime, gap: timedelta) -> Edit:
        start = local_start(request.form.get("starts_at", ""), station)
        return move_airing(s, station, _form_id("airing"), start, now, gap)

    return _edit(code, change)


@bp.route("/stations/<code>/airings/cancel", methods=["POST"])
@auth.login_required(*EDITORS)
def cancel(code: str) -> Any:
    def change(s: Session, station: Station, now: datetime, gap: timedelta) -> Edit:
        return cancel_airing(s, station, _form_id("airing"), now, gap)

    return _edit(code, change)
