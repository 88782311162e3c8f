"""Administrator pages: stations, players, users and campaigns of the admin's own subtree."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from loa.compliance import keylog
from loa.errors import LoaError
from loa.playlists.campaigns import add_campaign
from loa.playlists.models import Campaign
from loa.scheduler.plan_months import plan_due_months
from loa.stations.accounts import Role, User, UserState
from loa.stations.bulk import MAX_ERRORS, StationImportError, decode_csv, import_stations
from loa.stations.models import AdminUnit, Player, Station
from loa.stations.players import add_player
from loa.stations.service import DEFAULT_WINDOWS, add_station, station_windows
from loa.stations.windows import windows_in_words
from loa.web import auth
from loa.web.context import db, services
from loa.web.i18n import in_language
from loa.web.token_pages import keep_for_page
from loa.web.users import add_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


def own_units(s: Session) -> list[AdminUnit]:
    """The units an admin may attach things to: their own subtree, their own unit first."""
    found = s.scalars(select(AdminUnit).where(AdminUnit.id.in_(g.visible_units)))
    return sorted(found, key=lambda u: (u.id != g.unit.id, u.code))


def own_unit(s: Session, code: str) -> AdminUnit:
    """The unit of that code if it lies in the admin's subtree, else 404."""
    unit = s.scalar(select(AdminUnit).where(AdminUnit.code == code))
    if unit is None or unit.id not in g.visible_units:
        abort(404)  # not 403: do not reveal what exists outside the admin's subtree
    return unit


def posted_unit_code(s: Session) -> str:
    """The posted unit code if it lies in the admin's subtree, else 404."""
    return own_unit(s, request.form.get("unit", "")).code


def own_player(s: Session, player_id: int) -> Player:
    player = s.get(Player, player_id)
    if player is None or player.station.unit_id not in g.visible_units:
        abort(404)
    return player


def _required(*names: str) -> None:
    """Refuse a form with an empty required field (the services expect something there)."""
    if any(not request.form.get(name, "").strip() for name in names):
        raise LoaError("Vui lòng điền đủ các ô bắt buộc (required field missing)")


@bp.route("/")
@auth.login_required(Role.admin)
def stations() -> Any:
    return _stations_page()


def _stations_page(**extra: Any) -> str:
    with db() as s:
        found = s.scalars(
            select(Station)
            .where(Station.unit_id.in_(g.visible_units))
            .options(selectinload(Station.unit), selectinload(Station.players),
                     selectinload(Station.zones))
            .order_by(Station.code)
        ).all()
        return render_template(
            "admin_stations.html", stations=found, units=own_units(s),
            default_windows=DEFAULT_WINDOWS, **extra,
        )


def _plan_new(s: Session, station_ids: list[int]) -> None:
    """New stations get their due months planned now, not at the nightly job."""
    plan_due_months(s, services().clock.now(), services().settings.airing_gap, station_ids)


@bp.route("/stations", methods=["POST"])
@auth.login_required(Role.admin)
def station_add() -> Any:
    form = request.form
    try:
        _required("code", "name")
        with db() as s:
            added = add_station(
                s, form.get("code", "").strip(), posted_unit_code(s),
                form.get("name", "").strip(), form.get("windows", ""),
            )
            _plan_new(s, [added.id])
            flash(gettext("Đã thêm đài %(code)s: %(name)s", code=added.code, name=added.name),
                  "info")
            flash(gettext("Khung giờ phát: %(windows)s",
                          windows=in_language(windows_in_words(station_windows(added)))), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.stations"))


@bp.route("/stations/import", methods=["POST"])
@auth.login_required(Role.admin)
def station_import() -> Any:
    """Stations from an uploaded CSV in the admin's subtree: all, or none and each error by line."""
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise LoaError("Chọn một tệp CSV (choose a CSV file)")
        text = decode_csv(upload.read())
        with db() as s:
            done = import_stations(s, text, g.visible_units)
            _plan_new(s, done.station_ids)
            for count, windows in done.windows_said():
                flash(gettext("%(count)s đài phát: %(windows)s", count=count,
                              windows=in_language(windows)), "info")
            said = gettext("Đã thêm %(count)s đài", count=done.stations)
            if done.players:
                return keep_for_page(s, said, [(p, token) for _, _, p, token in done.players])
    except StationImportError as err:
        return _stations_page(import_errors=err.errors[:MAX_ERRORS],
                              more_errors=max(0, len(err.errors) - MAX_ERRORS)), 400
    except LoaError as err:
        flash(str(err), "error")
        return redirect(url_for("admin.stations"))
    flash(said, "info")
    return redirect(url_for("admin.stations"))


@bp.route("/stations/<code>/players", methods=["POST"])
@auth.login_required(Role.admin)
def player_add(code: str) -> Any:
    try:
        _required("name")
        with db() as s:
            station = auth.own_station(s, code)
            # The zone it drives (none chosen: the default one); fixed from here on, since
            # its log is counted for that zone.
            player, token = add_player(
                s, station.code, request.form.get("name", "").strip(),
                request.form.get("mode", "prefetch"), request.form.get("zone") or None,
            )
            return keep_for_page(s, gettext("Đã thêm thiết bị phát"), [(player.id, token)])
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.stations"))


@bp.route("/players/<id:player_id>/rotate", methods=["POST"])
@auth.login_required(Role.admin)
def player_rotate(player_id: int) -> Any:
    try:
        with db() as s:
            player = own_player(s, player_id)
            token = keylog.rotate(s, player.id, services().clock.now(), g.user.username)
            return keep_for_page(s, gettext("Đã cấp mã truy cập mới"), [(player.id, token)])
    except LoaError as err:  # a retired station's player stays revoked
        flash(str(err), "error")
    return redirect(url_for("admin.stations"))


@bp.route("/players/<id:player_id>/revoke", methods=["POST"])
@auth.login_required(Role.admin)
def player_revoke(player_id: int) -> Any:
    with db() as s:
        player = own_player(s, player_id)
        keylog.revoke(s, player.id, services().clock, g.user.username)
        flash(gettext("Đã thu hồi thiết bị %(name)s", name=player.name), "info")
    return redirect(url_for("admin.stations"))


@bp.route("/users")
@auth.login_required(Role.admin)
def users() -> Any:
    with db() as s:
        found = s.scalars(
            select(User)
            .where(User.unit_id.in_(g.visible_units), User.state != UserState.removed)
            .order_by(User.username)
        ).all()
        return render_template("admin_users.html", users=found, units=own_units(s),
                               roles=list(Role))


@bp.route("/users", methods=["POST"])
@auth.login_required(Role.admin)
def user_add() -> Any:
    form = request.form
    try:
        _required("username")
        with db() as s:
            added = add_user(
                s, form.get("username", "").strip(), form.get("password", ""),
                form.get("role", ""), posted_unit_code(s),
                form.get("full_name"), form.get("title"),
            )
            flash(gettext("Đã thêm người dùng %(name)s", name=added.username), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.users"))


@bp.route("/campaigns")
@auth.login_required(Role.admin)
def campaigns() -> Any:
    with db() as s:
        found = s.scalars(
            select(Campaign).where(Campaign.unit_id.in_(g.visible_units)).order_by(Campaign.code)
        ).all()
        return render_template("admin_campaigns.html", campaigns=found, units=own_units(s))


def campaign_numbers(form: Any) -> dict[str, Any]:
    """The campaign form's numbers and months as add_campaign takes them."""
    try:
        numbers: dict[str, Any] = {
            "min_airings": int(form.get("min_airings") or 3),
            "min_minutes": float(form.get("min_minutes") or 10),
            "max_minutes": float(form.get("max_minutes") or 15),
        }
    except ValueError as exc:
        raise LoaError("Số lần phát và số phút phải là số (numbers expected)") from exc
    # An empty month means the campaign is open at that end.
    numbers["first_month"] = form.get("first_month") or None
    numbers["last_month"] = form.get("last_month") or None
    return numbers


@bp.route("/campaigns", methods=["POST"])
@auth.login_required(Role.admin)
def campaign_add() -> Any:
    form = request.form
    try:
        _required("code", "title")
        with db() as s:
            added = add_campaign(
                s, services().store, form.get("code", "").strip(), form.get("title", "").strip(),
                posted_unit_code(s), **campaign_numbers(form),
            )
            said = gettext("Đã thêm chiến dịch %(code)s: %(topic)s", code=added.code,
                           topic=added.topic)
            flash(said, "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.campaigns"))

