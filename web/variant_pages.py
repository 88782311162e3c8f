"""A programme's recordings in other languages on its page: listened to, and added by its
unit's operators (design §4 "Loudspeaker zones"; `loa programme variant add` does the same)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext

from loa.errors import LoaError
from loa.playlists.variants import variants_of
from loa.scheduler.variant_air import add_programme_variant
from loa.stations.accounts import Role
from loa.web import auth
from loa.web.audio_files import save_upload, send_audio
from loa.web.context import db, services
from loa.web.ui import may_edit, visible_programme

bp = Blueprint("variants", __name__)


@bp.route("/programmes/<id:programme_id>/variants", methods=["POST"])
@auth.login_required(Role.operator, Role.admin)
def add(programme_id: int) -> Any:
    """Keep the uploaded recording as the programme's variant in the language chosen; the
    airings it no longer fits move (the page says how many)."""
    svc = services()
    try:
        with tempfile.TemporaryDirectory(prefix="loa-variant-") as folder, db() as s:
            programme = visible_programme(s, programme_id)
            if not may_edit(programme):
                abort(404)  # seen from below, or by an auditor: not theirs to change
            # A fixed name: the client's file name never reaches a path.
            path = save_upload(request.files.get("file"), Path(folder), "ban-ghi-am")
            added, moved = add_programme_variant(
                s, svc.store, programme.id, request.form.get("language", "").strip(), path,
                svc.clock.now(), svc.settings.airing_gap)
            flash(gettext("Đã thêm bản tiếng %(language)s, dài %(length)s",
                          language=added.language,
                          length="{}:{:02d}".format(*divmod(round(added.duration_ms / 1000), 60))),
                  "info")
            if moved:
                flash(gettext("Đã dời %(n)s lượt phát không còn đủ chỗ cho bản dài hơn",
                              n=moved), "warning")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("ui.programme", programme_id=programme_id, _anchor="variants"))


@bp.route("/programmes/<id:programme_id>/variants/<language>.mp3")
@auth.login_required()
def audio(programme_id: int, language: str) -> Any:
    """A variant of a programme the user may see, found by its row (the path is the stored
    file's, never built from the address)."""
    with db() as s:
        programme = visible_programme(s, programme_id)
        variant = variants_of(s, [programme.id]).get(programme.id, {}).get(language)
    if variant is None or not services().store.exists(variant.asset_sha256):
        abort(404)
    return send_audio(services().store.path(variant.asset_sha256), "audio/mpeg")
