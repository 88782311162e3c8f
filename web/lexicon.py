"""The operators' acronym dictionary page: how TTS reads local abbreviations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from audio.normalize import normalize_vi
from loa.errors import LoaError
from playlists.lexicon import operator_acronyms, remove_acronym, set_acronym
from web import auth
from web.context import db
from web.models import Role

bp = Blueprint("lexicon", __name__)


@bp.route("/acronyms")
@auth.login_required()
def acronyms() -> Any:
    sample = request.args.get("thu", "")
    with db() as s:
        words = operator_acronyms(s)
    spoken = normalize_vi(sample, words) if sample else None
    return render_template("acronyms.html", words=words, sample=sample, spoken=spoken)


@bp.route("/acronyms", methods=["POST"])
@auth.login_required(Role.operator)
def change() -> Any:
    word = request.form.get("word", "")
    try:
        with db() as s:
            if request.form.get("action") == "remove":
                remove_acronym(s, word)
                flash(gettext("Đã xóa %(word)s", word=word), "info")
            else:
                added = set_acronym(s, word, request.form.get("spoken", ""))
                saved = gettext("Đã lưu: %(word)s đọc là “%(spoken)s”",
                                word=added.word, spoken=added.spoken)
                flash(saved, "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("lexicon.acronyms"))
