"""Bulletin series in the web UI: the subtree's series, and one series' bulletins in order.

A series (playlists.bulletin_series) is owned by a unit; its page shows each bulletin it
holds, which one replaced which, how many stations completed each, and the plays still
to come. Series outside the user's subtree are a 404, as bulletins are.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template
from sqlalchemy.orm import Session

from loa.clock import Clock
from loa.playlists.bulletin_series import series_entries, series_named, unit_series
from loa.playlists.models import BulletinSeries
from loa.stations.models import AdminUnit
from loa.web import auth
from loa.web.context import db, services

bp = Blueprint("bulletin_series", __name__)


def form_series(session: Session, unit: AdminUnit, name: str, by: str,
                clock: Clock) -> BulletinSeries | None:
    """The series the form names (picked from the list or typed new), or None if blank."""
    if not name.strip():
        return None
    return series_named(session, unit, name, by=by, now=clock.now())


@bp.route("/bulletins/series")
@auth.login_required()
def series_list() -> Any:
    """The subtree's series, newest first."""
    with db() as s:
        found = unit_series(s, g.visible_units)
        for x in found:
            _ = x.unit.name  # loaded now: the page renders after the session ends
        return render_template("bulletin_series_list.html", series=found)


@bp.route("/bulletins/series/<id:series_id>")
@auth.login_required()
def series_page(series_id: int) -> Any:
    """One series: its bulletins in the order written, with their delivery."""
    with db() as s:
        found = s.get(BulletinSeries, series_id)
        if found is None or found.unit_id not in g.visible_units:
            abort(404)
        entries = series_entries(s, found, services().clock.now())
        return render_template("bulletin_series.html", series=found, entries=entries)
