"""The "Tiếp sóng" page: a unit's relay sources (listened to live) and its relay slots.

Each user sees the sources of its unit and the units above (usable there), the
slots set on its subtree (editable by operators) and those its units inherit from
above (read only). The browser plays a source straight from its URL, so the page's
Content-Security-Policy lets media come from those origins (``g.csp_media``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from loa.audio.stream_probe import probe_stream
from loa.clock import VN
from loa.compliance.relay_audit import relay_verdicts
from loa.errors import LoaError
from loa.playlists.campaigns import check_month
from loa.playlists.relay_models import RelaySlot
from loa.playlists.relays import add_slot, add_source, get_source, list_slots, usable_sources
from loa.scheduler.relay_air import make_room, notify_stations, reached_stations
from loa.stations.accounts import Role
from loa.stations.models import AdminUnit, Station, Zone
from loa.stations.units import ancestors
from loa.stations.zones import get_zone
from loa.web import auth
from loa.web.context import db, services

bp = Blueprint("relays", __name__)


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-:\[\]]+")


def _origin(url: str) -> str | None:
    """The stream's origin for the page's CSP; None if it would not be a plain origin."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if _ORIGIN.fullmatch(origin) else None


@bp.route("/relays")
@auth.login_required()
def relays() -> Any:
    """Sources (with a live player each), own slots and inherited ones."""
    with db() as s:
        unit = s.get_one(AdminUnit, g.unit.id)
        sources = usable_sources(s, unit)
        own = list_slots(s, g.visible_units)
        above = [u.id for u in ancestors(unit)[1:]]
        inherited = list_slots(s, above) if above else []
        inherited = [slot for slot in inherited if slot.unit_id is not None]
        stations = list(s.scalars(select(Station).where(Station.unit_id.in_(g.visible_units))
                                  .options(selectinload(Station.zones))
                                  .order_by(Station.code)))
        g.csp_media = sorted({o for src in sources if (o := _origin(src.url))})
        now = services().clock.now()
        month = request.args.get("month") or now.astimezone(VN).strftime("%Y-%m")
        try:
            check_month(month)
        except LoaError:
            abort(404)
        verdicts = relay_verdicts(s, unit, month, now, services().settings.relay_min_share)
        return render_template("relays.html", sources=sources, own=own, inherited=inherited,
                               stations=stations, month=month,
                               zoned=[st for st in stations if len(st.zones) > 1],
                               verdicts=verdicts, min_share=services().settings.relay_min_share)


@bp.route("/relays/sources", methods=["POST"])
@auth.login_required(Role.operator)
def add_source_view() -> Any:
    form = request.form
    try:
        with db() as s:
            unit = s.get_one(AdminUnit, g.unit.id)
            added, found = add_source(s, unit=unit, code=form.get("code", "").strip(),
                                      name=form.get("name", ""), url=form.get("url", ""),
                                      fallback=None, store=services().store,
                                      clock=services().clock, probe=probe_stream)
            if found.ok:
                flash(gettext("Đã thêm nguồn %(code)s: có âm thanh, mã hóa %(codec)s",
                              code=added.code, codec=found.codec), "info")
            else:
                flash(gettext("Đã thêm nguồn %(code)s, nhưng nguồn không trả lời: %(error)s",
                              code=added.code, error=found.error), "error")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("relays.relays"))


@bp.route("/relays", methods=["POST"])
@auth.login_required(Role.operator)
def add() -> Any:
    form = request.form
    try:
        minutes = int(form.get("minutes", "0"))
    except ValueError:
        minutes = 0
    try:
        with db() as s:
            source = get_source(s, form.get("source", ""))
            target = form.get("target", "unit")
            station = None
            if target != "unit":
                station = s.scalar(select(Station).where(Station.code == target))
                if station is None or station.unit_id not in g.visible_units:
                    raise LoaError(f"Không tìm thấy đài {target!r} (station not found)")
            if source.unit_id not in {u.id for u in ancestors(
                    station.unit if station else s.get_one(AdminUnit, g.unit.id))}:
                raise LoaError(f"Không tìm thấy nguồn tiếp sóng {source.code!r} "
                               "(no such relay source)")
            slot = add_slot(s, source=source,
                            unit=None if station else s.get_one(AdminUnit, g.unit.id),
                            station=station, days=form.get("days", "T2-CN"),
                            at=form.get("at", ""), minutes=minutes,
                            required=form.get("required") == "1", clock=services().clock,
                            zones=[_zone(s, key) for key in form.getlist("zone")])
            make_room(s, slot, services().clock.now(), services().settings.airing_gap)
            flash(gettext("Đã thêm khung tiếp sóng %(id)s", id=slot.id), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("relays.relays"))


def _zone(s: Session, key: str) -> Zone:
    """A zone the form names as "STATION/ZONE", of a station of the user's subtree
    (``add_slot`` refuses one of another station than the slot's)."""
    station_code, _, code = key.rpartition("/")
    station = s.scalar(select(Station).where(Station.code == station_code))
    if station is None or station.unit_id not in g.visible_units:
        raise LoaError(f"Không tìm thấy đài {station_code!r} (station not found)")
    return get_zone(s, station, code)


@bp.route("/relays/<id:slot_id>/remove", methods=["POST"])
@auth.login_required(Role.operator)
def remove(slot_id: int) -> Any:
    with db() as s:
        slot = s.get(RelaySlot, slot_id)
        unit_id = None if slot is None else (
            slot.unit_id if slot.unit_id is not None else slot.station.unit_id)  # type: ignore[union-attr]
        if slot is None or unit_id not in g.visible_units:
            abort(404)
        stations = reached_stations(s, slot_id)
        s.delete(slot)
        s.flush()
        notify_stations(s, stations)
    flash(gettext("Đã xóa khung tiếp sóng %(id)s", id=slot_id), "info")
    return redirect(url_for("relays.relays"))
