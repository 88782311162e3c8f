"""/admin/stations/<code>/zones: a station's loudspeaker zones, added and listed (design §4)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from loa.errors import LoaError
from loa.stations.accounts import Role
from loa.stations.models import DEFAULT_LANGUAGE
from loa.stations.zones import add_zone, player_counts, station_zones
from loa.web import auth
from loa.web.context import db

bp = Blueprint("zones", __name__, url_prefix="/admin/stations")


@bp.route("/<code>/zones")
@auth.login_required(Role.admin)
def zones(code: str) -> Any:
    """The station's zones with their language and enrolled players, and the add form."""
    with db() as s:
        station = auth.own_station(s, code)
        return render_template(
            "admin_zones.html", station=station, zones=station_zones(s, station),
            enrolled=player_counts(s, station), default_language=DEFAULT_LANGUAGE,
        )


@bp.route("/<code>/zones", methods=["POST"])
@auth.login_required(Role.admin)
def zone_add(code: str) -> Any:
    form = request.form
    try:
        with db() as s:
            station = auth.own_station(s, code)
            added = add_zone(s, station.code, form.get("code", "").strip(),
                             form.get("name", ""), form.get("language", "").strip()
                             or DEFAULT_LANGUAGE)
            flash(gettext("Đã thêm cụm loa %(code)s: %(name)s", code=added.code,
                          name=added.name), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("zones.zones", code=code))
