"""CAP 1.2 out: the bulletins residents of a unit hear, as CAP documents others can carry.

Which bulletins a unit publishes (``public_bulletins``) is a query; the document
itself (``alert_element``) is built from plain data, so its fields and their
mapping are tested without a database. The documents validate against the OASIS
CAP 1.2 schema (tests/test_cap_out.py checks each one with it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from loa.clock import VN
from loa.playlists.cap import ATOM_NS, CAP_NS
from loa.playlists.cap_models import CapAlert
from loa.playlists.models import Bulletin, BulletinPriority, BulletinStatus, BulletinTarget
from loa.stations.models import AdminUnit, Station
from loa.stations.units import ancestors, subtree_ids

# The geocode's name for Vietnam's official administrative-unit codes (mã đơn vị hành
# chính: province "31", commune "11560"), what `playlists.cap.match_area` reads first.
GEOCODE_NAME = "MaDVHC"
# A cancelled bulletin stays in a unit's CAP index this long, as a Cancel message, so
# the systems that carried it learn it is over.
CANCEL_SHOWN = timedelta(hours=24)
ET.register_namespace("cap", CAP_NS)  # the alerts inside the Atom index read cap:alert

# bulletin level → CAP (urgency, severity, certainty); the inverse of
# `playlists.cap.priority_for` on severity, so a round trip keeps the level.
LEVELS = {
    BulletinPriority.emergency: ("Immediate", "Extreme", "Observed"),
    BulletinPriority.priority: ("Expected", "Severe", "Likely"),
    BulletinPriority.normal: ("Future", "Moderate", "Likely"),
}
EVENTS = {
    BulletinPriority.emergency: "Thông báo khẩn cấp",
    BulletinPriority.priority: "Thông báo ưu tiên",
    BulletinPriority.normal: "Thông báo",
}
# CAP category by the first of these words in the title, else Other. Matched with their
# diacritics: folded, "báo" (a notice) and "bão" (a storm) would be one word.
CATEGORY_WORDS = (
    ("Met", ("bão", "áp thấp", "mưa", "lũ", "ngập", "rét", "nắng nóng", "lốc", "sét",
             "gió mạnh", "sạt lở", "triều cường", "hạn hán", "xâm nhập mặn")),
    ("Geo", ("động đất", "sóng thần")),
    ("Fire", ("cháy",)),
    ("Health", ("dịch", "bệnh", "tiêm", "vắc xin", "ngộ độc")),
    ("Infra", ("mất điện", "cắt điện", "mất nước", "cắt nước", "ngừng cấp")),
    ("Transport", ("giao thông", "cấm đường", "phân luồng")),
)


def category_for(title: str) -> str:
    """The CAP category a bulletin's title suggests.

    Cases: storms, rain, floods, cold → Met; earthquakes → Geo; fires → Fire;
    epidemics → Health; power and water cuts → Infra; road closures → Transport;
    anything else → Other. Whole words, case aside, diacritics kept ("Cảnh báo cháy
    rừng" is a fire, not a storm).
    """
    words = f" {' '.join(unicodedata.normalize('NFC', title).lower().split())} "
    words = re.sub(r"[^\w ]", " ", words)
    for category, keys in CATEGORY_WORDS:
        if any(f" {key} " in words for key in keys):
            return category
    return "Other"


def cap_time(at: datetime) -> str:
    """A CAP 1.2 dateTime: seconds, Vietnam's offset written out ("+07:00")."""
    return at.astimezone(VN).replace(microsecond=0).isoformat()


def public_bulletins(session: Session, unit: AdminUnit, now: datetime,
                     include_cancelled: bool = False) -> list[Bulletin]:
    """The bulletins the loudspeakers of ``unit`` carry now, newest first.

    Cases: active and within its window; sent to the unit, to a unit above it
    (the province's bulletin reaches the commune), to a unit below it, or to one
    of its stations; never pending, ended, or sent only to a sibling. With
    ``include_cancelled``, those cancelled within CANCEL_SHOWN too.
    """
    below = subtree_ids(session, unit)
    reach = below | {u.id for u in ancestors(unit)}
    stations = select(Station.id).where(Station.unit_id.in_(below))
    reached = select(BulletinTarget.bulletin_id).where(or_(
        BulletinTarget.unit_id.in_(reach), BulletinTarget.station_id.in_(stations)))
    live = (Bulletin.status == BulletinStatus.active) & (Bulletin.valid_from <= now) & (
        Bulletin.valid_until > now)
    if include_cancelled:
        live = live | ((Bulletin.status == BulletinStatus.cancelled)
                       & (Bulletin.cancelled_at > now - CANCEL_SHOWN)
                       & Bulletin.sent_at.is_not(None))
    return list(session.scalars(
        select(Bulletin).where(Bulletin.id.in_(reached), live)
        .order_by(Bulletin.sent_at.desc(), Bulletin.id.desc())))


def reaches(session: Session, unit: AdminUnit, bulletin: Bulletin) -> bool:
    """Whether ``bulletin`` was sent where residents of ``unit`` hear it (any state)."""
    below = subtree_ids(session, unit)
    reach = below | {u.id for u in ancestors(unit)}
    return any(t.unit_id in reach for t in bulletin.targets) or any(
        session.get_one(Station, t.station_id).unit_id in below
        for t in bulletin.targets if t.station_id is not None)


def follows(session: Session, bulletin: Bulletin) -> Bulletin | None:
    """The bulletin this one updates: the one of the CAP alert its own alert referenced.

    Where a series' predecessor is also read, so an Update names what it replaces.
    """
    earlier = session.scalar(select(CapAlert.references_bulletin_id).where(
        CapAlert.bulletin_id == bulletin.id, CapAlert.msg_type == "Update").limit(1))
    return session.get(Bulletin, earlier) if earlier is not None else None


@dataclass(frozen=True)
class Published:
    """What one CAP document says of a bulletin, gathered by the web from the database."""

    bulletin: Bulletin
    sender: str
    area: Sequence[tuple[str, str]]  # (official code, name) of each unit it reaches
    page_url: str
    audio_url: str
    audio_bytes: int
    follows: Bulletin | None = None


def identifier(bulletin: Bulletin) -> str:
    return f"loa-bulletin-{bulletin.id}"


def area_of(session: Session, bulletin: Bulletin) -> list[tuple[str, str]]:
    """(code, name) of the units a bulletin targets (a station stands for its unit)."""
    ids = {t.unit_id for t in bulletin.targets if t.unit_id is not None}
    ids |= {session.get_one(Station, t.station_id).unit_id
            for t in bulletin.targets if t.station_id is not None}
    units = session.scalars(select(AdminUnit).where(AdminUnit.id.in_(ids))
                            .order_by(AdminUnit.code)).all()
    return [(u.code, u.name) for u in units]


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    node = ET.SubElement(parent, f"{{{CAP_NS}}}{name}")
    node.text = text
    return node


def _info(alert: ET.Element, p: Published) -> None:
    """The bulletin as a CAP ``info`` block of ``alert``: level, text, audio and area."""
    b = p.bulletin
    sent = b.sent_at or b.created_at
    cancelled = b.status is BulletinStatus.cancelled
    info = _sub(alert, "info")
    urgency, severity, certainty = LEVELS[b.priority]
    _sub(info, "language", "vi-VN")
    _sub(info, "category", category_for(b.title))
    _sub(info, "event", EVENTS[b.priority])
    _sub(info, "urgency", urgency)
    _sub(info, "severity", severity)
    _sub(info, "certainty", certainty)
    _sub(info, "effective", cap_time(max(b.valid_from, sent)))
    _sub(info, "expires", cap_time(b.valid_until))
    _sub(info, "senderName", b.unit.name)
    _sub(info, "headline", b.title)
    if b.text:
        _sub(info, "description", b.text)
    _sub(info, "web", p.page_url)
    if not cancelled:  # a cancelled warning is not offered for listening again
        resource = _sub(info, "resource")
        _sub(resource, "resourceDesc", "Bản tin phát trên loa (audio as broadcast)")
        _sub(resource, "mimeType", "audio/mpeg")
        _sub(resource, "size", str(p.audio_bytes))
        _sub(resource, "uri", p.audio_url)
    area = _sub(info, "area")
    _sub(area, "areaDesc", "; ".join(name for _, name in p.area) or b.unit.name)
    for code, _ in p.area or [(b.unit.code, b.unit.name)]:
        geocode = _sub(area, "geocode")
        _sub(geocode, "valueName", GEOCODE_NAME)
        _sub(geocode, "value", code)


def alert_element(p: Published) -> ET.Element:
    """The CAP 1.2 ``alert`` of a published bulletin: Alert, Update, or Cancel once cancelled.

    Every element in the schema's order; the text is escaped by ElementTree.
    """
    b = p.bulletin
    sent = b.sent_at or b.created_at
    cancelled = b.status is BulletinStatus.cancelled
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", identifier(b) + ("-cancel" if cancelled else ""))
    _sub(alert, "sender", p.sender)
    _sub(alert, "sent", cap_time(b.cancelled_at or sent) if cancelled else cap_time(sent))
    _sub(alert, "status", "Actual")
    _sub(alert, "msgType", "Cancel" if cancelled else "Update" if p.follows else "Alert")
    _sub(alert, "scope", "Public")
    if cancelled:
        _sub(alert, "references", f"{p.sender},{identifier(b)},{cap_time(sent)}")
    elif p.follows is not None:
        earlier = p.follows
        _sub(alert, "references", f"{p.sender},{identifier(earlier)},"
                                  f"{cap_time(earlier.sent_at or earlier.created_at)}")
    _info(alert, p)
    return alert


def alert_document(p: Published) -> bytes:
    """One CAP 1.2 document, UTF-8 with its declaration."""
    return ET.tostring(alert_element(p), encoding="utf-8", xml_declaration=True,
                       default_namespace=CAP_NS)


def in_force_document(unit: AdminUnit, published: Sequence[Published], sender: str,
                      now: datetime) -> bytes:
    """Everything the unit's loudspeakers carry now as one CAP 1.2 alert: one ``info`` per
    bulletin in force, newest first (none: an alert without info, which CAP allows).

    Its identifier names the unit and the moment, so each reading is a message of its own;
    one bulletin's own alert, with its Update and Cancel, is ``alert_document``.
    """
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", f"loa-{unit.code}-in-force-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    _sub(alert, "sender", sender)
    _sub(alert, "sent", cap_time(now))
    _sub(alert, "status", "Actual")
    _sub(alert, "msgType", "Alert")
    _sub(alert, "scope", "Public")
    live = [p for p in published if p.bulletin.status is not BulletinStatus.cancelled]
    _sub(alert, "note", f"{len(live)} thông báo đang có hiệu lực tại {unit.name}")
    for p in live:
        _info(alert, p)
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)


def atom_index(unit: AdminUnit, published: Sequence[Published], *, self_url: str,
               page_url: str, document_url: dict[int, str], now: datetime) -> bytes:
    """The unit's CAP index: an Atom feed, one entry per bulletin, linking its CAP document
    and carrying it whole, as alert hubs read them (Loa's own feeds read both)."""
    # Atom's elements are written unprefixed under a literal xmlns (ElementTree's
    # default_namespace refuses unprefixed attributes such as rel=); the alerts inside
    # carry their own namespace as cap:.
    feed = ET.Element("feed", xmlns=ATOM_NS)

    def sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, name, attrs)
        node.text = text
        return node

    sub(feed, "id", self_url)
    sub(feed, "title", f"Cảnh báo, thông báo trên loa: {unit.name}")
    sub(feed, "updated", cap_time(now))
    sub(sub(feed, "author"), "name", unit.name)
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=page_url, type="text/html")
    for p in published:
        b = p.bulletin
        entry = sub(feed, "entry")
        sub(entry, "id", f"{document_url[b.id]}#{b.status.value}")
        sub(entry, "title", b.title)
        sub(entry, "updated", cap_time(b.updated_at))
        sub(entry, "link", rel="alternate", href=document_url[b.id], type="application/cap+xml")
        sub(entry, "content", type="application/cap+xml").append(alert_element(p))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
