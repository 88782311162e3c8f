"""The acronym dictionary page: how TTS reads abbreviations in the user's own unit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from loa.audio.normalize import normalize_vi
from loa.errors import LoaError
from loa.playlists.lexicon import (
    inherited_acronyms,
    operator_acronyms,
    remove_acronym,
    set_acronym,
    unit_acronyms,
)
from loa.stations.accounts import Role
from loa.stations.models import AdminUnit
from loa.web import auth
from loa.web.context import db

bp = Blueprint("lexicon", __name__)


@bp.route("/acronyms")
@auth.login_required()
def acronyms() -> Any:
    """The unit's own entries (editable) and those it inherits from above (read only)."""
    sample = request.args.get("thu", "")
    with db() as s:
        unit = s.get(AdminUnit, g.unit.id)
        words = unit_acronyms(s, unit)
        inherited = {w: v for w, v in inherited_acronyms(s, unit).items() if w not in words}
        spoken = normalize_vi(sample, operator_acronyms(s, unit)) if sample else None
    return render_template(
        "acronyms.html", words=words, inherited=inherited, sample=sample, spoken=spoken
    )


@bp.route("/acronyms", methods=["POST"])
@auth.login_required(Role.operator)
def change() -> Any:
    word = request.form.get("word", "")
    try:
        with db() as s:
            unit = s.get(AdminUnit, g.unit.id)
            if request.form.get("action") == "remove":
                remove_acronym(s, word, unit)
                flash(gettext("Đã xóa %(word)s", word=word), "info")
            else:
                added = set_acronym(s, word, request.form.get("spoken", ""), unit)
                saved = gettext("Đã lưu: %(word)s đọc là “%(spoken)s”",
                                word=added.word, spoken=added.spoken)
                flash(saved, "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("lexicon.acronyms"))
