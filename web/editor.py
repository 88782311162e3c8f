"""The programme editor: operators write the month's programme segment by segment."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from loa.audio.errors import AudioError, ClipError
from loa.audio.normalize import normalize_vi
from loa.clock import VN, SystemClock
from loa.compliance.close import check_programme_open
from loa.errors import LoaError
from loa.playlists.editing import (
    FILE_KINDS,
    TTS_WORDS_PER_SECOND,
    add_library_clip,
    add_segment,
    create_programme,
    delete_programme,
    estimate_ms,
    move_segment,
    new_version,
    queue_render,
    remove_segment,
    rename_programme,
    reorder_segments,
    stop_bed,
    update_text,
)
from loa.playlists.jobs import ACTIVE, active_job, job_state, latest_job, mark_shown
from loa.playlists.lexicon import operator_acronyms
from loa.playlists.library import clip_name, keep_clip, library_clip
from loa.playlists.limits import MAX_TTS_CHARS
from loa.playlists.models import Campaign, Clip, Programme, ProgrammeStatus, Segment
from loa.playlists.programmes import duration_problem
from loa.services import Services
from loa.stations.accounts import Role
from loa.stations.models import AdminUnit
from loa.web import auth
from loa.web.audio_files import save_upload, send_audio
from loa.web.context import db, services
from loa.web.i18n import in_language, label
from loa.web.ui import may_edit, visible_programme

logger = logging.getLogger(__name__)
bp = Blueprint("editor", __name__)
VOICES = {
    "vi": _l("Giọng miền Bắc (vi)"),
    "vi-vn-x-central": _l("Giọng miền Trung (vi-vn-x-central)"),
    "vi-vn-x-south": _l("Giọng miền Nam (vi-vn-x-south)"),
}
# Called after a render is queued: a no-op in production (workers poll the table);
# tests run the worker inline or in a thread of their own.
KICK_KEY = "loa.render_kick"
# Where a segment's audio comes from: a new file, the unit's library, the campaign's
# jingle, or nowhere (a bed segment with no audio stops the music bed).
SOURCES = ("upload", "library", "campaign", "stop")
SUMMARY_CHARS = 400  # of a spoken text, on the programme page
COLLAPSE_CHARS = 160  # a longer text shows its start and "xem thêm" (a phone shows ~4 lines)
KIND_VI = {
    "tts": "đọc văn bản",
    "clip": "ghi âm",  # "Đã thêm đoạn ghi âm", not "đoạn đoạn"
    "jingle": "nhạc hiệu",
    "silence": "lặng",
    "bed": "nhạc nền",
}
Change = Callable[[Session, Services], str]


def _rendering(s: Session, programme_id: int) -> bool:
    return active_job(s, programme_id) is not None


@bp.app_template_filter("spoken")
def spoken(text: str, unit_id: int) -> str:
    """How the TTS engine will read ``text`` in a programme of ``unit_id`` (its acronyms)."""
    _acronyms(unit_id)
    return _spoken(text, g.acronyms_key)


@lru_cache(maxsize=4096)
def _spoken(text: str, acronyms: tuple[tuple[str, str], ...]) -> str:
    # Pages show summaries (SUMMARY_CHARS each), so a view re-reads kilobytes at most; the
    # cache spares even that when the page is shown again unchanged.
    return normalize_vi(text, dict(acronyms))


@bp.app_template_filter("summary")
def summary(text: str) -> str:
    """The start of a long text, cut between words: pages show it, the segment's own page
    the whole text."""
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(None, 1)[0] + " …"


def _acronyms(unit_id: int) -> dict[str, str]:
    """The acronym readings of ``unit_id``'s programmes, once per request per unit."""
    if g.get("acronyms_unit") != unit_id:  # however many segments the page shows
        with db() as s:
            g.acronyms = operator_acronyms(s, s.get(AdminUnit, unit_id))
        g.acronyms_key = tuple(sorted(g.acronyms.items()))
        g.acronyms_unit = unit_id
    return g.acronyms


@bp.app_context_processor
def editor_context() -> dict[str, Any]:
    return {"voices": VOICES, "words_per_second": TTS_WORDS_PER_SECOND,
            "max_tts_chars": MAX_TTS_CHARS, "collapse_chars": COLLAPSE_CHARS}


@bp.app_template_global("withdraw_question")
def withdraw_question(programme: Programme) -> str:
    """What an edit asks first while the programme waits for the leader (any change takes
    it back to a draft, so the submission is withdrawn); empty when nothing is withdrawn."""
    if programme.status is not ProgrammeStatus.rendered or programme.submitted_at is None:
        return ""
    return gettext("Chương trình đang chờ lãnh đạo duyệt. Sửa sẽ rút lại việc gửi duyệt "
                   "(phải dựng và gửi lại). Tiếp tục?")


@bp.app_template_global("render_job")
def render_job(programme_id: int) -> dict[str, Any] | None:
    """The render queued or under way for the page, or the one that just ended (shown once)."""
    with db() as s:
        job = latest_job(s, programme_id)
        if job is None or (job.shown_at is not None and job.status not in ACTIVE):
            return None
        if job.status not in ACTIVE:
            mark_shown(s, job, SystemClock().now())
        return job_state(job)


def _own_programme(s: Session, programme_id: int) -> Programme:
    """A programme the user may change: 404 outside their view, 403 above their unit."""
    programme = visible_programme(s, programme_id)
    if programme.unit_id not in g.visible_units:
        abort(403)
    return programme


def apply_change(programme_id: int, change: Change, anchor: str = "#segments") -> Response:
    """Run one change in one transaction, flash its outcome, go back to the programme."""
    try:
        with db() as s:
            _own_programme(s, programme_id)
            if _rendering(s, programme_id):
                raise LoaError("Đang dựng âm thanh, vui lòng chờ dựng xong (render in progress)")
            flash(change(s, services()), "info")
    except (LoaError, AudioError) as err:
        flash(str(err), "error")
    return redirect(url_for("ui.programme", programme_id=programme_id) + anchor)


def _campaigns(s: Session) -> list[Campaign]:
    """Campaigns that ask the user's unit for a programme (owned at or above it)."""
    return list(
        s.scalars(
            select(Campaign).where(Campaign.unit_id.in_(g.above_units)).order_by(Campaign.code)
        )
    )


@bp.route("/programmes/new", methods=["GET", "POST"])
@auth.login_required(Role.operator)
def new_programme() -> Any:
    default_month = services().clock.now().astimezone(VN).strftime("%Y-%m")
    form = request.form
    with db() as s:
        campaigns = _campaigns(s)
        if request.method == "POST":
            code = form.get("campaign", "")
            if code not in {c.code for c in campaigns}:
                abort(400)
            try:
                created = create_programme(
                    s,
                    code,
                    g.unit.code,
                    form.get("month", ""),
                    form.get("title", ""),
                    created_by=g.user.username,
                )
                flash("Đã tạo chương trình, hãy thêm các đoạn (programme created)", "info")
                return redirect(url_for("ui.programme", programme_id=created.id))
            except LoaError as err:
                flash(str(err), "error")
        return render_template(
            "programme_new.html", campaigns=campaigns, month=form.get("month", default_month)
        )


def _seconds(raw: str | None) -> float:
    try:
        return float((raw or "").replace(",", "."))  # "1,5" is how a Vietnamese user types it
    except ValueError as err:
        raise LoaError("Khoảng lặng phải là số giây (seconds must be a number)") from err


def _add(kind: str, folder: Path, programme_id: int) -> Change:
    form = request.form
    voice = form.get("voice") or None
    if voice is not None and voice not in VOICES:
        abort(400)
    source = form.get("source", "campaign" if kind == "jingle" else "upload")
    if source not in SOURCES:
        abort(400)
    upload = request.files.get("file")

    def change(s: Session, svc: Services) -> str:
        # A silence needs its seconds; a bed's (how long it plays alone first) are optional.
        given = form.get("seconds", "").strip()
        needed = kind == "silence" or (kind == "bed" and given)
        seconds = _seconds(given) if needed else None
        if kind == "bed" and source == "stop":
            stop_bed(s, programme_id)
            return "Đã thêm điểm dừng nhạc nền (bed stops here)"
        if kind in FILE_KINDS and source == "library":
            clip = library_clip(s, _clip_id(form.get("clip")), g.visible_units | g.above_units)
            add_library_clip(s, programme_id, kind, clip, seconds)
        else:
            needs_file = kind in FILE_KINDS and source != "campaign"
            path = save_upload(upload, folder, "ban-ghi-am") if needs_file else None
            segment = _add_checked(s, svc, programme_id, kind, path, upload, seconds, voice)
            if path is not None and upload is not None and segment.asset_sha256 is not None:
                name = clip_name(form.get("name", ""), Path(upload.filename or "").stem)
                keep_clip(s, g.unit.id, name, segment.asset_sha256)
        return added_message(kind)

    return change


def added_message(kind: str) -> str:
    """What the page says once a segment of ``kind`` is added ("Đã thêm đoạn ghi âm")."""
    return f"Đã thêm đoạn {KIND_VI.get(kind, kind)} (segment added)"


def _clip_id(raw: str | None) -> int:
    if raw is None or not raw.isdigit():
        raise LoaError("Chưa chọn đoạn ghi âm trong thư viện (no clip chosen)")
    return int(raw)


def _add_checked(
    s: Session,
    svc: Services,
    programme_id: int,
    kind: str,
    path: Path | None,
    upload: FileStorage | None,
    seconds: float | None,
    voice: str | None,
) -> Segment:
    """Add the segment; a refused upload is named as the operator named it."""
    try:
        return add_segment(
            s,
            svc.store,
            programme_id,
            kind,
            text=request.form.get("text"),
            seconds=seconds,
            upload_path=path,
            use_campaign_jingle=path is None and kind == "jingle",
            voice=voice,
        )
    except ClipError as err:
        message = str(err)
        if path is not None and upload is not None:
            # Name the operator's file, not the temporary one the checks saw.
            message = message.replace(path.name, f"“{(upload.filename or '')[:120]}”")
        raise ClipError(f"{message} — tệp không được lưu (file not stored)") from err


@bp.route("/programmes/<id:programme_id>/segments", methods=["POST"])
@auth.login_required(Role.operator)
def add(programme_id: int) -> Response:
    kind = request.form.get("kind", "")
    if kind not in KIND_VI:
        abort(400)
    with tempfile.TemporaryDirectory(prefix="loa-upload-") as folder:
        return apply_change(programme_id, _add(kind, Path(folder), programme_id))


@bp.route("/programmes/<id:programme_id>/segments/<id:segment_id>/move", methods=["POST"])
@auth.login_required(Role.operator)
def move(programme_id: int, segment_id: int) -> Response:
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)

    def change(s: Session, _svc: Services) -> str:
        move_segment(s, programme_id, segment_id, direction)  # type: ignore[arg-type]
        return "Đã đổi thứ tự (moved)"

    return apply_change(programme_id, change)


def _order(raw: str) -> list[int]:
    """The segment ids of a drag-and-drop order, "12,9,10" (anything else is a bad request)."""
    parts = [p.strip() for p in raw.split(",")] if raw.strip() else []
    if not all(p.isdigit() for p in parts):
        abort(400)
    return [int(p) for p in parts]


@bp.route("/programmes/<id:programme_id>/segments/order", methods=["POST"])
@auth.login_required(Role.operator)
def reorder(programme_id: int) -> Response:
    """The whole new order at once, as the page's drag-and-drop posts it after one move.

    The page's script asks for JSON (it stays on the page); a plain form post is answered
    like the other changes, by going back to the programme with a message.
    """
    order = _order(request.form.get("order", ""))
    wants_json = request.accept_mimetypes.best == "application/json"

    def change(s: Session, _svc: Services) -> str:
        moved = reorder_segments(s, programme_id, order)
        return "Đã đổi thứ tự (order changed)" if moved else "Thứ tự không đổi (order unchanged)"

    if not wants_json:
        return apply_change(programme_id, change)
    try:
        with db() as s:
            _own_programme(s, programme_id)
            if _rendering(s, programme_id):
                raise LoaError("Đang dựng âm thanh, vui lòng chờ dựng xong (render in progress)")
            message = change(s, services())
            programme = s.get(Programme, programme_id)
            status = label(programme.status, "programme") if programme else ""
    except LoaError as err:
        return jsonify(ok=False, message=in_language(str(err))), 409
    return jsonify(ok=True, message=in_language(message), status=status)


@bp.route("/programmes/<id:programme_id>/segments/<id:segment_id>/audio")
@auth.login_required()
def segment_audio(programme_id: int, segment_id: int) -> Any:
    """A clip, jingle or bed of a programme the user sees, to listen to in the editor."""
    with db() as s:
        programme = visible_programme(s, programme_id)
        segment = next((x for x in programme.segments if x.id == segment_id), None)
        if segment is None or segment.asset_sha256 is None:
            abort(404)
        path = services().store.path(segment.asset_sha256)
    if not path.is_file():
        abort(404)
    return send_audio(path, "audio/mpeg")


@bp.app_template_global("segment_names")
def segment_names(programme: Programme) -> dict[str, str]:
    """What the operator called each recording of the programme (its library name), by hash;
    a page shows names and lengths, never hashes."""
    hashes = {x.asset_sha256 for x in programme.segments if x.asset_sha256}
    if not hashes:
        return {}
    units = {programme.unit_id, *g.get("above_units", set())}
    with db() as s:
        rows = s.execute(
            select(Clip.asset_sha256, Clip.name, Clip.unit_id)
            .where(Clip.asset_sha256.in_(hashes), Clip.unit_id.in_(units))
            .order_by(Clip.unit_id != programme.unit_id, Clip.name)  # the unit's own name first
        )
        names: dict[str, str] = {}
        for row in rows:
            names.setdefault(row.asset_sha256, row.name)
    return names


@bp.route("/programmes/<id:programme_id>/segments/<id:segment_id>/delete", methods=["POST"])
@auth.login_required(Role.operator)
def delete(programme_id: int, segment_id: int) -> Response:
    def change(s: Session, _svc: Services) -> str:
        remove_segment(s, programme_id, segment_id)
        return "Đã xoá đoạn (segment deleted)"

    return apply_change(programme_id, change)


@bp.route("/programmes/<id:programme_id>/segments/<id:segment_id>/text")
@auth.login_required()
def segment_text(programme_id: int, segment_id: int) -> Any:
    """One spoken segment's whole text and how it will be read, and its editor."""
    with db() as s:
        programme = visible_programme(s, programme_id)
        segment = next((x for x in programme.segments if x.id == segment_id), None)
        if segment is None or segment.text is None:
            abort(404)
        editable = (may_edit(programme) and programme.status is not ProgrammeStatus.approved
                    and not _rendering(s, programme_id))
        return render_template("segment_text.html", programme=programme, segment=segment,
                               spoken=normalize_vi(segment.text, _acronyms(programme.unit_id)),
                               can_edit=editable)


@bp.route("/programmes/<id:programme_id>/segments/<id:segment_id>/text", methods=["POST"])
@auth.login_required(Role.operator)
def edit_text(programme_id: int, segment_id: int) -> Response:
    def change(s: Session, _svc: Services) -> str:
        update_text(s, programme_id, segment_id, request.form.get("text", ""))
        return "Đã sửa văn bản (text updated)"

    return apply_change(programme_id, change)


@bp.route("/programmes/<id:programme_id>/rename", methods=["POST"])
@auth.login_required(Role.operator)
def rename(programme_id: int) -> Response:
    def change(s: Session, _svc: Services) -> str:
        rename_programme(s, programme_id, request.form.get("title", ""))
        return "Đã đổi tên chương trình (renamed)"

    return apply_change(programme_id, change, anchor="")


@bp.route("/programmes/<id:programme_id>/delete", methods=["POST"])
@auth.login_required(Role.operator)
def delete_draft(programme_id: int) -> Response:
    try:
        with db() as s:
            _own_programme(s, programme_id)
            if _rendering(s, programme_id):
                raise LoaError("Đang dựng âm thanh, vui lòng chờ dựng xong (render in progress)")
            title = delete_programme(s, programme_id)
    except LoaError as err:
        flash(str(err), "error")
        return redirect(url_for("ui.programme", programme_id=programme_id))
    flash(f"Đã xoá chương trình “{title}” (programme deleted)", "info")
    return redirect(url_for("ui.programmes"))


@bp.route("/programmes/<id:programme_id>/new-version", methods=["POST"])
@auth.login_required(Role.operator)
def start_new_version(programme_id: int) -> Response:
    try:
        with db() as s:
            _own_programme(s, programme_id)
            check_programme_open(s, programme_id, "tạo bản sửa đổi (new version)")
            created = new_version(s, programme_id, g.user.username)
            version = created.id, created.version
    except LoaError as err:
        flash(str(err), "error")
        return redirect(url_for("ui.programme", programme_id=programme_id))
    flash(
        f"Đã tạo bản sửa đổi số {version[1]}: sửa, dựng và gửi duyệt; khi được duyệt nó thay "
        "bản cũ cho các lượt phát chưa tới (new version created)",
        "info",
    )
    return redirect(url_for("ui.programme", programme_id=version[0]))


@bp.app_template_global("newer_version")
def newer_version(programme: Programme) -> tuple[int, int] | None:
    """The id and number of the version that corrects ``programme``, if one was started."""
    with db() as s:
        row = s.execute(
            select(Programme.id, Programme.version).where(Programme.replaces_id == programme.id)
        ).first()
    return (row.id, row.version) if row else None


@bp.app_template_global("programme_length")
def programme_length(programme: Programme, estimated_ms: int | None = None) -> dict[str, Any]:
    """The length to show against the campaign's bounds: rendered, else estimated (a list
    passes the estimates it computed for all its rows at once)."""
    if programme.duration_ms is not None:
        ms, estimated = programme.duration_ms, False
    elif estimated_ms is not None:
        ms, estimated = estimated_ms, True
    else:
        ms, estimated = estimate_ms(programme, _acronyms(programme.unit_id)), True
    campaign = programme.campaign
    return {
        "ms": ms,
        "estimated": estimated,
        "problem": duration_problem(ms, campaign.min_s, campaign.max_s) if ms else None,
        "min_s": campaign.min_s,
        "max_s": campaign.max_s,
    }


@bp.app_template_global("length_words")
def length_words() -> dict[str, str]:
    """The words of a length badge, translated once per page however many it shows."""
    return {"estimated": gettext("ước tính"), "fits": gettext("đạt yêu cầu")}


@bp.route("/programmes/<id:programme_id>/render", methods=["POST"])
@auth.login_required(Role.operator)
def start_render(programme_id: int) -> Response:
    try:
        with db() as s:
            _own_programme(s, programme_id)
            check_programme_open(s, programme_id, "dựng chương trình (render)")
            queued = queue_render(s, services().settings, programme_id, SystemClock().now(),
                                  g.user.username)
    except LoaError as err:  # a closed month, or a render the limits refuse
        flash(str(err), "error")
        return redirect(url_for("ui.programme", programme_id=programme_id))
    if queued:
        current_app.extensions[KICK_KEY]()
    else:
        flash("Chương trình đang được dựng, vui lòng chờ (already rendering)", "info")
    return redirect(url_for("ui.programme", programme_id=programme_id))


@bp.route("/programmes/<id:programme_id>/render/status")
@auth.login_required()
def render_status(programme_id: int) -> Response:
    with db() as s:
        visible_programme(s, programme_id)
        state = job_state(latest_job(s, programme_id))
    return jsonify(state)


def init_app(app: Any) -> None:
    """Renders are queued rows; a process that runs them itself (loa serve) sets the kick."""
    app.extensions.setdefault(KICK_KEY, lambda: None)
