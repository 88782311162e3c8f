"""The clip library in the web UI: the unit's recordings, to listen to and reuse."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g

from loa.errors import LoaError
from loa.playlists.library import library_clip, unit_clips
from loa.playlists.models import Clip
from loa.web import auth
from loa.web.audio_files import send_audio
from loa.web.context import db, services

bp = Blueprint("clips", __name__)


def _units() -> set[int]:
    """A unit uses its own clips and those of the units above it (the province's jingles)."""
    return g.visible_units | g.above_units


@bp.app_template_global("clip_library")
def clip_library() -> list[Clip]:
    """The clips the user's unit may put in a programme."""
    with db() as s:
        clips = unit_clips(s, _units())
        for clip in clips:
            _ = clip.asset.duration_ms  # loaded now: the page renders after the session ends
        s.expunge_all()
        return clips


@bp.route("/clips/<id:clip_id>/audio")
@auth.login_required()
def clip_audio(clip_id: int) -> Any:
    with db() as s:
        try:
            clip = library_clip(s, clip_id, _units())
        except LoaError:
            abort(404)
        path = services().store.path(clip.asset_sha256)
    return send_audio(path, "audio/mpeg")
