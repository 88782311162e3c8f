"""Public pages, no login: each unit's approved programmes to listen again, the bulletins its
loudspeakers carry now, and their RSS feed (CAP documents: web/cap.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.playlists.cap_out import public_bulletins
from loa.playlists.models import Bulletin, Programme
from loa.playlists.public import public_programmes
from loa.stations.models import AdminUnit
from loa.web.audio_files import send_audio
from loa.web.context import db, services

bp = Blueprint("public", __name__, url_prefix="/public")
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ET.register_namespace("itunes", ITUNES)


def _unit(s: Session, code: str) -> AdminUnit:
    unit = s.scalar(select(AdminUnit).where(AdminUnit.code == code))
    if unit is None:
        abort(404)
    return unit


def _published(p: Programme) -> datetime:
    return p.approved_at or p.rendered_at or datetime(1970, 1, 1, tzinfo=UTC)


@bp.route("/<code>")
def unit_page(code: str) -> Any:
    with db() as s:
        unit = _unit(s, code)
        return render_template(
            "public_unit.html", unit=unit, programmes=public_programmes(s, unit),
            bulletins=public_bulletins(s, unit, services().clock.now()),
        )


@bp.route("/<code>/programmes/<id:programme_id>.mp3")
def audio(code: str, programme_id: int) -> Any:
    """A programme's audio, only if residents of ``code`` may hear it (approved, aired there)."""
    with db() as s:
        unit = _unit(s, code)
        found = next((p for p in public_programmes(s, unit) if p.id == programme_id), None)
        if found is None or found.master_sha256 is None:
            abort(404)
        path = services().store.path(found.master_sha256)
    if not path.is_file():
        abort(404)
    return send_audio(path, "audio/mpeg")


def rss_feed(
    unit: AdminUnit, programmes: list[Programme], link: str, audio_url: Callable[[Programme], str],
    bulletins: Sequence[tuple[Bulletin, str]] = (),
) -> bytes:
    """An RSS 2.0 podcast feed: the bulletins in force first (each with its audio URL), then
    one item per programme, its audio as the enclosure.

    ElementTree escapes every title and name, so a unit named ``<b>&`` stays text.
    """
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    for tag, text in (
        ("title", f"Đài truyền thanh {unit.name}"),
        ("link", link),
        ("description", f"Nghe lại các chương trình phát thanh của {unit.name}"),
        ("language", "vi"),
    ):
        ET.SubElement(channel, tag).text = text
    ET.SubElement(channel, f"{{{ITUNES}}}author").text = unit.name
    for bulletin, url in bulletins:
        _bulletin_item(channel, unit, bulletin, url)
    for p in programmes:
        item = ET.SubElement(channel, "item")
        url = audio_url(p)
        ET.SubElement(item, "title").text = p.title
        ET.SubElement(item, "description").text = (
            f"{p.campaign.topic} · tháng {p.month[5:]}/{p.month[:4]} · {p.unit.name}"
        )
        guid = ET.SubElement(item, "guid", isPermaLink="false")
        guid.text = f"loa-{unit.code}-{p.id}-{p.master_sha256}"
        published = _published(p).astimezone(UTC)
        ET.SubElement(item, "pubDate").text = format_datetime(published, usegmt=True)
        length = str(p.master.bytes) if p.master else "0"
        ET.SubElement(item, "enclosure", url=url, length=length, type="audio/mpeg")
        if p.duration_ms:
            seconds = p.duration_ms // 1000
            duration = ET.SubElement(item, f"{{{ITUNES}}}duration")
            duration.text = f"{seconds // 60}:{seconds % 60:02d}"
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _bulletin_item(channel: ET.Element, unit: AdminUnit, b: Bulletin, url: str) -> None:
    """A bulletin in force as an RSS item: its title, its text, its audio."""
    item = ET.SubElement(channel, "item")
    ET.SubElement(item, "title").text = f"📢 {b.title}"
    ET.SubElement(item, "description").text = b.text or b.title
    guid = ET.SubElement(item, "guid", isPermaLink="false")
    guid.text = f"loa-{unit.code}-bulletin-{b.id}"
    sent = (b.sent_at or b.created_at).astimezone(UTC)
    ET.SubElement(item, "pubDate").text = format_datetime(sent, usegmt=True)
    ET.SubElement(item, "enclosure", url=url, length=str(b.asset.bytes), type="audio/mpeg")


@bp.route("/<code>/rss.xml")
def rss(code: str) -> Response:
    with db() as s:
        unit = _unit(s, code)
        data = rss_feed(
            unit,
            public_programmes(s, unit),
            url_for("public.unit_page", code=unit.code, _external=True),
            lambda p: url_for("public.audio", code=unit.code, programme_id=p.id, _external=True),
            [(b, url_for("public_cap.audio", code=unit.code, bulletin_id=b.id, _external=True))
             for b in public_bulletins(s, unit, services().clock.now())],
        )
    return Response(data, mimetype="application/rss+xml")
