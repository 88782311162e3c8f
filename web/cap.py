"""CAP 1.2 out, no login: a unit's bulletins as CAP documents, their Atom index, their audio.

`/public/<code>/cap.xml` is what the unit's loudspeakers carry now, as one CAP 1.2 alert
(an ``info`` per bulletin in force); `/public/<code>/cap.atom` indexes each bulletin's
own alert (and what was cancelled in the last day, as Cancel messages), as alert hubs
read them; `/public/<code>/cap/<id>.xml` is one bulletin's CAP document;
`/public/<code>/bulletins/<id>.mp3` its audio. A bulletin that never reached the unit,
or is still waiting for approval, is a 404 on these.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.playlists.cap_models import CapAlert
from loa.playlists.cap_out import (
    Published,
    alert_document,
    area_of,
    atom_index,
    follows,
    in_force_document,
    public_bulletins,
    reaches,
)
from loa.playlists.models import Bulletin, BulletinStatus
from loa.stations.models import AdminUnit
from loa.web.audio_files import send_audio
from loa.web.context import db, services

bp = Blueprint("public_cap", __name__, url_prefix="/public")
CAP_MIMETYPE = "application/cap+xml"


def _unit(s: Session, code: str) -> AdminUnit:
    unit = s.scalar(select(AdminUnit).where(AdminUnit.code == code))
    if unit is None:
        abort(404)
    return unit


def _sent_here(s: Session, unit: AdminUnit, bulletin_id: int) -> Bulletin:
    """The bulletin, if it was sent (not pending) to where the unit's residents hear it."""
    found = s.get(Bulletin, bulletin_id)
    if (found is None or found.sent_at is None or found.status is BulletinStatus.pending
            or not reaches(s, unit, found)):
        abort(404)
    return found


def published(s: Session, unit: AdminUnit, bulletin: Bulletin) -> Published:
    """What the unit's CAP documents say of ``bulletin``: sender, area, links."""
    return Published(
        bulletin=bulletin, sender=f"loa@{request.host}", area=area_of(s, bulletin),
        page_url=url_for("public.unit_page", code=unit.code, _external=True),
        audio_url=bulletin_audio_url(unit, bulletin), audio_bytes=bulletin.asset.bytes,
        follows=follows(s, bulletin))


def bulletin_audio_url(unit: AdminUnit, bulletin: Bulletin) -> str:
    return url_for("public_cap.audio", code=unit.code, bulletin_id=bulletin.id, _external=True)


@bp.route("/<code>/cap.xml")
def in_force(code: str) -> Response:
    """The bulletins in force for the unit's residents, one CAP 1.2 document."""
    with db() as s:
        unit = _unit(s, code)
        now = services().clock.now()
        found = public_bulletins(s, unit, now)
        data = in_force_document(unit, [published(s, unit, b) for b in found],
                                 f"loa@{request.host}", now)
    return Response(data, mimetype=CAP_MIMETYPE)


@bp.route("/<code>/cap.atom")
def index(code: str) -> Response:
    with db() as s:
        unit = _unit(s, code)
        now = services().clock.now()
        found = public_bulletins(s, unit, now, include_cancelled=True)
        data = atom_index(
            unit, [published(s, unit, b) for b in found],
            self_url=url_for("public_cap.index", code=unit.code, _external=True),
            page_url=url_for("public.unit_page", code=unit.code, _external=True),
            document_url={b.id: url_for("public_cap.document", code=unit.code,
                                        bulletin_id=b.id, _external=True) for b in found},
            now=now)
    return Response(data, mimetype="application/atom+xml")


@bp.route("/<code>/cap/<id:bulletin_id>.xml")
def document(code: str, bulletin_id: int) -> Response:
    with db() as s:
        unit = _unit(s, code)
        data = alert_document(published(s, unit, _sent_here(s, unit, bulletin_id)))
    return Response(data, mimetype=CAP_MIMETYPE)


@bp.route("/<code>/bulletins/<id:bulletin_id>.mp3")
def audio(code: str, bulletin_id: int) -> Any:
    """A sent bulletin's audio for the unit's residents; a cancelled one is not replayed."""
    with db() as s:
        unit = _unit(s, code)
        found = _sent_here(s, unit, bulletin_id)
        if found.status is BulletinStatus.cancelled:
            abort(404)
        path = services().store.path(found.asset_sha256)
    if not path.is_file():
        abort(404)
    return send_audio(path, "audio/mpeg")


@bp.app_template_global("cap_source")
def cap_source(bulletin_id: int) -> str | None:
    """Where a bulletin taken in from CAP came from, "sender · identifier", for the person
    approving it (the bulletin page); None for one written here."""
    with db() as s:
        row = s.execute(select(CapAlert.sender, CapAlert.identifier)
                        .where(CapAlert.bulletin_id == bulletin_id).limit(1)).first()
    return f"{row.sender} · {row.identifier}" if row else None
