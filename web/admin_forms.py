"""Administrator edit pages: a station with its players, a user, a unit's report letter,
a campaign; delete or retire keeping history. Every lookup is held to the admin's subtree
(404 outside, as on the list pages) and every form carries the CSRF token.

The routes join the admin blueprint (``/admin/...``, ``admin.*`` endpoints), which
``loa.web.wiring`` registers after importing this module; admin.py never imports it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.audio.errors import AudioError
from loa.compliance import keylog
from loa.compliance.pdf import letter_of
from loa.errors import LoaError
from loa.playlists.campaigns import WEB_VOICES, edit_campaign
from loa.playlists.models import Campaign
from loa.playlists.schedule import cancel_still_to_air
from loa.stations.accounts import Role, User, UserState, name_of
from loa.stations.players import edit_player
from loa.stations.retire import delete_station, history_tables, retire_station
from loa.stations.service import edit_station
from loa.stations.units import set_unit_report
from loa.web import auth
from loa.web.admin import bp, campaign_numbers, own_player, own_unit, own_units, posted_unit_code
from loa.web.audio_files import save_upload, send_audio
from loa.web.context import db, services
from loa.web.users import edit_user


@bp.app_template_filter("person")
def person(username: str | None) -> str | None:
    """A username as pages name who acted: full name and title where an admin set them."""
    if not username:
        return username
    with db() as s:
        return name_of(s, username)


@bp.route("/stations/<code>")
@auth.login_required(Role.admin)
def station(code: str) -> Any:
    with db() as s:
        found = auth.own_station(s, code)
        return render_template("admin_station.html", station=found,
                               deletable=not history_tables(s, found))


@bp.route("/stations/<code>", methods=["POST"])
@auth.login_required(Role.admin)
def station_edit(code: str) -> Any:
    try:
        with db() as s:
            found = auth.own_station(s, code)
            edit_station(s, found, request.form.get("name", ""), request.form.get("windows", ""))
            flash(gettext("Đã lưu đài %(code)s", code=found.code), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.station", code=code))


@bp.route("/stations/<code>/retire", methods=["POST"])
@auth.login_required(Role.admin)
def station_retire(code: str) -> Any:
    """Delete a station nothing names yet; retire one with history, revoking its players
    through the key log so each station's chain records who ended it, and cancelling what
    it still had to air."""
    clock = services().clock
    try:
        with db() as s:
            found = auth.own_station(s, code)
            if not history_tables(s, found):
                delete_station(s, found)
                flash(gettext("Đã xóa đài %(code)s", code=code), "info")
                return redirect(url_for("admin.stations"))
            for player in found.players:
                keylog.revoke(s, player.id, clock, g.user.username)
            retire_station(s, found, clock.now())
            cancel_still_to_air(s, found.id, clock.now())
            flash(gettext("Đài %(code)s đã ngừng hoạt động; báo cáo các tháng trước vẫn giữ",
                          code=code), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.station", code=code))


@bp.route("/players/<id:player_id>", methods=["POST"])
@auth.login_required(Role.admin)
def player_edit(player_id: int) -> Any:
    with db() as s:
        player = own_player(s, player_id)
        code = player.station.code
        try:
            edit_player(s, player, request.form.get("name", ""), request.form.get("mode", ""))
            flash(gettext("Đã lưu thiết bị %(name)s", name=player.name), "info")
        except LoaError as err:
            flash(str(err), "error")
    return redirect(url_for("admin.station", code=code))


def _own_user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None or user.unit_id not in g.visible_units or user.state is UserState.removed:
        abort(404)
    return user


@bp.route("/users/<id:user_id>")
@auth.login_required(Role.admin)
def user(user_id: int) -> Any:
    with db() as s:
        return render_template("admin_user.html", user=_own_user(s, user_id), units=own_units(s),
                               roles=list(Role))


@bp.route("/users/<id:user_id>", methods=["POST"])
@auth.login_required(Role.admin)
def user_edit(user_id: int) -> Any:
    form = request.form
    try:
        with db() as s:
            found = _own_user(s, user_id)
            if found.id == g.user.id and (form.get("role") != found.role.value
                                          or form.get("unit") != found.unit.code):
                # An admin demoting or moving themself could lock the subtree out.
                raise LoaError("Không thể tự đổi vai trò hoặc đơn vị của mình "
                               "(you cannot change your own role or unit)")
            edit_user(s, found, full_name=form.get("full_name"), title=form.get("title"),
                      role=form.get("role", ""), unit_code=posted_unit_code(s))
            flash(gettext("Đã lưu người dùng %(name)s", name=found.username), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/units/<code>")
@auth.login_required(Role.admin)
def unit(code: str) -> Any:
    """The unit's report letter: what it sets, and as placeholders what applies without it."""
    with db() as s:
        found = own_unit(s, code)
        return render_template("admin_unit.html", unit=found, own=found.report,
                               defaults=letter_of(found, own_settings=False))


@bp.route("/units/<code>", methods=["POST"])
@auth.login_required(Role.admin)
def unit_edit(code: str) -> Any:
    form = request.form
    try:
        with db() as s:
            found = own_unit(s, code)
            set_unit_report(s, found.code, **{
                name: form.get(name, "") for name in
                ("signer_name", "signer_title", "place", "report_to")})
            flash(gettext("Đã lưu thông tin báo cáo của %(name)s", name=found.name), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.unit", code=code))


def _own_campaign(s: Session, code: str) -> Campaign:
    found = s.scalar(select(Campaign).where(Campaign.code == code))
    if found is None or found.unit_id not in g.visible_units:
        abort(404)
    return found


@bp.route("/campaigns/<code>")
@auth.login_required(Role.admin)
def campaign(code: str) -> Any:
    with db() as s:
        return render_template("admin_campaign.html", campaign=_own_campaign(s, code),
                               voices=WEB_VOICES)


@bp.route("/campaigns/<code>", methods=["POST"])
@auth.login_required(Role.admin)
def campaign_edit(code: str) -> Any:
    form = request.form
    upload = request.files.get("jingle")
    try:
        with db() as s, tempfile.TemporaryDirectory(prefix="loa-upload-") as folder:
            found = _own_campaign(s, code)
            jingle = (save_upload(upload, Path(folder), "nhac-hieu")
                      if upload is not None and upload.filename else None)
            engine, _, voice = form.get("tts", "").partition("|")
            numbers = campaign_numbers(form)
            edit_campaign(s, services().store, found, title=form.get("title", ""),
                          tts_engine=engine, tts_voice=voice, jingle=jingle, **numbers)
            flash(gettext("Đã lưu chiến dịch %(code)s", code=found.code), "info")
    except (LoaError, AudioError) as err:
        flash(str(err), "error")
    return redirect(url_for("admin.campaign", code=code))


@bp.route("/campaigns/<code>/jingle.mp3")
@auth.login_required(Role.admin)
def campaign_jingle(code: str) -> Any:
    """The campaign's jingle, to listen on its page (only a jingle of the admin's subtree)."""
    with db() as s:
        sha = _own_campaign(s, code).jingle_sha256
    if sha is None or not services().store.path(sha).is_file():
        abort(404)
    return send_audio(services().store.path(sha), "audio/mpeg")
