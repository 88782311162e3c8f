"""Bulletins in the web UI: write one from a template, hear it, send it, follow its delivery.

Who may do what is the service's rule (loa.playlists.bulletins) checked again here so a
page never offers what the service would refuse: auditors read, operators, leaders
and admins write; emergency only for the roles the unit allows; leaders and admins
approve, never their own. Everything outside the user's subtree is a 404.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from loa.audio.errors import AudioError
from loa.audio.normalize import normalize_vi
from loa.errors import LoaError
from loa.playlists.bulletin_delivery import stations_played
from loa.playlists.bulletin_limits import MAX_TEXT
from loa.playlists.bulletin_offers import waiting_offers
from loa.playlists.bulletin_series import unit_series
from loa.playlists.bulletin_templates import TEMPLATES, get_template
from loa.playlists.bulletins import (
    APPROVERS,
    WRITERS,
    approval_refused,
    approve_bulletin,
    cancel_bulletin,
    cancel_refused,
    create_bulletin,
    get_bulletin,
    may_send_emergency,
    may_write,
)
from loa.playlists.lexicon import operator_acronyms
from loa.playlists.models import (
    Bulletin,
    BulletinDelivery,
    BulletinOffer,
    BulletinPriority,
    BulletinSlot,
    BulletinStatus,
)
from loa.playlists.template_check import UnfilledBlanks
from loa.scheduler.bulletin_slots import slot_placer
from loa.stations.models import DEFAULT_LANGUAGE, AdminUnit, Station
from loa.web import auth
from loa.web.audio_files import save_upload, send_audio
from loa.web.bulletin_form import BulletinForm, Targets, emergency_senders, zone_key
from loa.web.bulletin_live import delivery_state
from loa.web.bulletin_series_pages import form_series
from loa.web.context import db, services
from loa.web.offer_pages import ahead_slots, offer_rows, state_label

bp = Blueprint("bulletins", __name__)
PREVIEWS_KEY = "bulletin_previews"  # the audio this session rendered in a preview
MAX_PREVIEWS = 8
LIST_LIMIT = 200


def _unit(s: Session) -> AdminUnit:
    return s.get_one(AdminUnit, g.unit.id)


def own_bulletin(s: Session, bulletin_id: int) -> Bulletin:
    """A bulletin owned in the user's subtree, else 404 (nothing outside is revealed)."""
    bulletin = _found(s, bulletin_id)
    if bulletin.unit_id not in g.visible_units:
        abort(404)
    return bulletin


def _found(s: Session, bulletin_id: int) -> Bulletin:
    try:
        return get_bulletin(s, bulletin_id)
    except LoaError:
        abort(404)


def visible_bulletin(s: Session, bulletin_id: int) -> tuple[Bulletin, set[int] | None]:
    """A bulletin the user may read, and the stations of its delivery they may see.

    Cases: owned in the user's subtree: all of it (None); sent from a unit above to
    stations of the subtree: only those stations; anything else: 404.
    """
    bulletin = _found(s, bulletin_id)
    if bulletin.unit_id in g.visible_units:
        return bulletin, None
    reached = _reached(s, [bulletin.id]).get(bulletin.id)
    if bulletin.unit_id not in g.above_units or not reached:
        abort(404)
    return bulletin, reached


def _reached(s: Session, ids: list[int]) -> dict[int, set[int]]:
    """Per bulletin, the stations of the user's subtree it was sent to."""
    rows = s.execute(
        select(BulletinDelivery.bulletin_id, BulletinDelivery.station_id)
        .join(Station, Station.id == BulletinDelivery.station_id)
        .where(BulletinDelivery.bulletin_id.in_(ids), Station.unit_id.in_(g.visible_units))
    ).all()
    offered = s.execute(  # an offer reaches a station that has no player yet too
        select(BulletinOffer.bulletin_id, BulletinOffer.station_id)
        .join(Station, Station.id == BulletinOffer.station_id)
        .where(BulletinOffer.bulletin_id.in_(ids), Station.unit_id.in_(g.visible_units))
    ).all()
    found: dict[int, set[int]] = {}
    for bulletin_id, station_id in [*rows, *offered]:
        found.setdefault(bulletin_id, set()).add(station_id)
    return found


@bp.route("/bulletins")
@auth.login_required()
def bulletins() -> Any:
    """The subtree's bulletins, newest first, with how many stations have played each."""
    with db() as s:
        newest = (Bulletin.created_at.desc(), Bulletin.id.desc())
        found = s.scalars(
            select(Bulletin).where(Bulletin.unit_id.in_(g.visible_units))
            .order_by(*newest).limit(LIST_LIMIT)
        ).all()
        reaching = s.scalars(  # sent from above to stations of the subtree
            select(Bulletin).where(
                Bulletin.unit_id.in_(g.above_units - g.visible_units),
                Bulletin.id.in_(
                    select(BulletinDelivery.bulletin_id)
                    .join(Station, Station.id == BulletinDelivery.station_id)
                    .where(Station.unit_id.in_(g.visible_units))
                ),
            ).order_by(*newest).limit(LIST_LIMIT)
        ).all()
        # A start alone is no delivery, and a station plays once all its zones reached did.
        counts = stations_played(s, [b.id for b in found])
        counts |= stations_played(s, [b.id for b in reaching], g.visible_units)
        for b in (*found, *reaching):
            _ = b.unit.name  # loaded now: the page renders after the session ends
        return render_template(
            "bulletins.html", bulletins=found, from_above=reaching, counts=counts,
            may_write=may_write(g.user.role.value),
            offers_waiting=len(waiting_offers(s, [g.unit.id], services().clock.now())),
        )


def _targets(s: Session) -> Targets:
    """The units, stations and zones of the user's subtree, by the codes the form posts, in
    the order the page lists them; the zones' languages other than Vietnamese."""
    units = s.scalars(
        select(AdminUnit).where(AdminUnit.id.in_(g.visible_units)).order_by(AdminUnit.code)
    ).all()
    stations = s.scalars(
        select(Station).where(Station.unit_id.in_(g.visible_units), Station.retired_at.is_(None))
        .options(joinedload(Station.unit), selectinload(Station.zones))  # the page names them
        .order_by(Station.code)
    ).all()
    own = [u for u in units if u.id == g.unit.id]  # the user's own unit first
    # Zones are offered where a station has more than its default one.
    zones = {zone_key(st, z): z for st in stations if len(st.zones) > 1 for z in st.zones}
    languages = sorted({z.language for st in stations for z in st.zones} - {DEFAULT_LANGUAGE})
    return Targets(
        {u.code: u for u in own + [u for u in units if u.id != g.unit.id]},
        {st.code: st for st in stations}, zones, languages,
    )


@bp.route("/bulletins/new", methods=["GET", "POST"])
@auth.login_required(*WRITERS)
def new_bulletin() -> Any:
    """The form; "preview" shows the spoken form and renders a listen button, "send" sends."""
    now = services().clock.now()
    with db() as s:
        unit = _unit(s)
        emergency = may_send_emergency(unit, g.user.role.value)
        # Shown disabled with who may send it, rather than hidden (issue 18 §3).
        emergency_who = "" if emergency else emergency_senders(unit.emergency_roles)
        if request.method == "GET":
            chosen = get_template(request.args.get("template", ""))
            form = BulletinForm.from_template(chosen, unit, now, emergency)
        else:
            form = BulletinForm.from_request(request.form)
        targets = _targets(s)
        series_names = [x.name for x in unit_series(s, {unit.id})]
        s.expunge_all()  # loaded: the page renders after the session ends
    preview = None
    if request.method == "POST":
        if form.priority == BulletinPriority.emergency and not emergency:
            abort(403)  # the page never offered it
        if request.form.get("action") == "send":
            sent = _send(form)
            if sent is not None:
                return redirect(url_for("bulletins.bulletin", bulletin_id=sent))
        elif form.source == "text":
            preview = _preview(form.text_filled())
    return render_template(
        "bulletin_new.html", form=form, templates=TEMPLATES.values(),
        chosen=get_template(form.template), english=str(get_locale()) == "en",
        priorities=list(BulletinPriority), emergency_who=emergency_who,
        units=list(targets.units.values()), stations=list(targets.stations.values()),
        zones=targets.zones, languages=targets.languages, preview=preview,
        series_names=series_names,
    )


def _send(form: BulletinForm) -> int | None:
    """Create the bulletin (sent at once, or waiting for approval); None if refused (flashed)."""
    svc = services()
    try:
        with tempfile.TemporaryDirectory(prefix="loa-bulletin-") as folder, db() as s:
            unit = _unit(s)
            targets = _targets(s)
            args = form.checked(targets)
            audio = None
            if form.source == "audio":
                audio = save_upload(request.files.get("file"), Path(folder), "thong-bao")
            created = create_bulletin(
                s, unit=unit, author=g.user.username, role=g.user.role.value, audio=audio,
                variants=_variant_uploads(targets.languages, Path(folder)),
                store=svc.store, clock=svc.clock,
                place_slots=slot_placer(svc.settings.airing_gap),
                series=form_series(s, unit, form.series, g.user.username, svc.clock), **args,
            )
            sent_id, status = created.id, created.status
            players = s.scalar(
                select(func.count(BulletinDelivery.id))
                .where(BulletinDelivery.bulletin_id == created.id)
            )
    except UnfilledBlanks as err:
        english = str(get_locale()) == "en"
        names = ", ".join(b.label_en if english else b.label_vi for b in err.blanks)
        flash(gettext("Chưa gửi: hãy điền các chỗ trống của mẫu, thay cho giá trị ví dụ: "
                      "%(names)s", names=names), "error")
        return None
    except (LoaError, AudioError) as err:
        flash(str(err), "error")
        return None
    if status is BulletinStatus.active:
        flash(gettext("Đã gửi thông báo tới %(n)s thiết bị phát", n=players), "info")
    else:
        flash(gettext("Đã lưu thông báo, chờ lãnh đạo duyệt"), "info")
    return sent_id


def _variant_uploads(languages: list[str], folder: Path) -> dict[str, Path]:
    """The recordings chosen in the form's language boxes (one per language its zones
    speak), kept under fixed names: the client's file name never reaches a path."""
    chosen = {}
    for n, language in enumerate(languages):
        upload = request.files.get(f"variant_{language}")
        if upload is not None and upload.filename:
            chosen[language] = save_upload(upload, folder, f"ban-{n}")
    return chosen


def _preview(text: str) -> dict[str, Any] | None:
    """The spoken form, and the audio rendered exactly as sending would (kept in the store)."""
    if not text.strip():
        flash(gettext("Chưa có nội dung để xem trước"), "error")
        return None
    if len(text) > MAX_TEXT:  # what sending refuses is not rendered either
        flash(f"Nội dung tối đa {MAX_TEXT} ký tự (text at most {MAX_TEXT})", "error")
        return None
    from loa.playlists.bulletin_audio import attention_signal, render_text

    svc = services()
    with db() as s:
        acronyms = operator_acronyms(s, _unit(s))
    try:
        with db() as s:
            unit = _unit(s)
            sound = render_text(s, svc.store, text, attention_signal(unit, svc.store), acronyms)
            sha, ms = sound.asset.sha256, sound.asset.duration_ms
    except (LoaError, AudioError) as err:
        flash(str(err), "error")
        return {"spoken": normalize_vi(text, acronyms), "sha": None, "ms": None}
    kept = [x for x in session.get(PREVIEWS_KEY, []) if x != sha]
    session[PREVIEWS_KEY] = [*kept, sha][-MAX_PREVIEWS:]
    return {"spoken": sound.spoken or normalize_vi(text, acronyms), "sha": sha, "ms": ms}


@bp.route("/bulletins/preview/<sha>.mp3")
@auth.login_required(*WRITERS)
def preview_audio(sha: str) -> Any:
    """A preview this session rendered (by hash: no other audio of the store is reachable)."""
    if sha not in session.get(PREVIEWS_KEY, []):
        abort(404)
    path = services().store.path(sha)
    if not path.is_file():
        abort(404)
    return send_audio(path, "audio/mpeg")


@bp.route("/bulletins/<id:bulletin_id>")
@auth.login_required()
def bulletin(bulletin_id: int) -> Any:
    """One bulletin: what it says, who sent it, and its delivery station by station."""
    with db() as s:
        found, reached = visible_bulletin(s, bulletin_id)
        state = delivery_state(s, found, reached)
        slots = s.scalars(
            select(BulletinSlot)
            .where(BulletinSlot.bulletin_id == found.id,
                   BulletinSlot.station_id.in_(reached) if reached is not None else true())
            .order_by(BulletinSlot.starts_at)
            .limit(LIST_LIMIT)
        ).all()
        stations = {st.id: st for st in s.scalars(
            select(Station).where(Station.id.in_({x.station_id for x in slots}))
        )}
        return render_template(
            "bulletin.html", bulletin=found, state=state, slots=slots, stations=stations,
            offers=offer_rows(s, found, reached), ahead=ahead_slots(s, list(slots)),
            offer_state=state_label,
            may_approve=reached is None and _may_approve(found),
            may_cancel=reached is None and _may_cancel(found), from_above=reached is not None,
        )


@bp.route("/bulletins/<id:bulletin_id>/delivery.json")
@auth.login_required()
def delivery_json(bulletin_id: int) -> Response:
    """The live delivery page's data, polled every 2 s while the bulletin is active."""
    with db() as s:
        state = delivery_state(s, *visible_bulletin(s, bulletin_id))
    return jsonify(state)


@bp.route("/bulletins/<id:bulletin_id>/audio")
@auth.login_required()
def bulletin_audio(bulletin_id: int) -> Any:
    with db() as s:
        path = services().store.path(visible_bulletin(s, bulletin_id)[0].asset_sha256)
    if not path.is_file():
        abort(404)
    return send_audio(path, "audio/mpeg")


@bp.route("/bulletins/<id:bulletin_id>/variants/<language>.mp3")
@auth.login_required()
def variant_audio(bulletin_id: int, language: str) -> Any:
    """A language variant of a bulletin the user may read (found by its row: the path is
    the stored file's, never built from the address)."""
    with db() as s:
        bulletin = visible_bulletin(s, bulletin_id)[0]
        sha = next((v.asset_sha256 for v in bulletin.variants if v.language == language), None)
    if sha is None or not services().store.exists(sha):
        abort(404)
    return send_audio(services().store.path(sha), "audio/mpeg")


def _may_approve(b: Bulletin) -> bool:
    return approval_refused(b, g.user.username, g.user.role.value) is None


def _may_cancel(b: Bulletin) -> bool:
    return cancel_refused(b, g.user.role.value) is None


@bp.route("/bulletins/<id:bulletin_id>/approve", methods=["POST"])
@auth.login_required(*APPROVERS)
def approve(bulletin_id: int) -> Response:
    def change(s: Session, b: Bulletin) -> str:
        approve_bulletin(s, b, by=g.user.username, role=g.user.role.value, clock=services().clock,
                         place_slots=slot_placer(services().settings.airing_gap))
        return gettext("Đã duyệt và gửi thông báo")

    return _change(bulletin_id, change)


@bp.route("/bulletins/<id:bulletin_id>/cancel", methods=["POST"])
@auth.login_required(*WRITERS)
def cancel(bulletin_id: int) -> Response:
    def change(s: Session, b: Bulletin) -> str:
        if not _may_cancel(b):
            abort(403)
        cancel_bulletin(s, b, by=g.user.username, role=g.user.role.value, clock=services().clock)
        return gettext("Đã hủy thông báo; các đài sẽ dừng phát")

    return _change(bulletin_id, change)


def _change(bulletin_id: int, change: Any) -> Response:
    """Apply one change in one transaction (rolled back if refused), flash, back to the page."""
    try:
        with db() as s:
            flash(change(s, own_bulletin(s, bulletin_id)), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("bulletins.bulletin", bulletin_id=bulletin_id))
