"""CAP 1.2 in: read alerts safely into plain data, and the pure rules that map them.

OASIS Common Alerting Protocol 1.2 (namespace ``urn:oasis:names:tc:emergency:cap:1.2``).
XML comes from outside: it is parsed by defusedxml with DTDs, entities and external
references forbidden, so a billion-laughs or external-entity document is refused
before anything expands or is fetched. Nothing here touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from loa.errors import LoaError
from loa.playlists.bulletin_limits import MAX_TITLE
from loa.playlists.models import BulletinPriority

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# CAP 1.1 has the same elements for everything read here; older senders still use it.
READ_NAMESPACES = (CAP_NS, "urn:oasis:names:tc:emergency:cap:1.1")
ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_DOCUMENT_BYTES = 2_000_000  # a CAP alert is kilobytes; an index of them, a few hundred


class CapError(LoaError):
    """A document that is not a CAP alert (or an index of them) Loa can take in."""


@dataclass(frozen=True)
class Reference:
    """One earlier alert named in ``references``: CAP's "sender,identifier,sent"."""

    sender: str
    identifier: str
    sent: datetime


@dataclass(frozen=True)
class Area:
    desc: str
    geocodes: tuple[str, ...]


@dataclass(frozen=True)
class Info:
    language: str
    event: str
    severity: str
    urgency: str
    certainty: str
    headline: str
    description: str
    instruction: str
    expires: datetime | None
    areas: tuple[Area, ...]


@dataclass(frozen=True)
class Alert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    references: tuple[Reference, ...]
    infos: tuple[Info, ...]


@dataclass(frozen=True)
class Document:
    """What a fetched or read document holds: alerts in it, and links to more (an index)."""

    alerts: tuple[Alert, ...]
    links: tuple[str, ...]


def parse_xml(data: bytes) -> Element:
    """The root element of ``data``, parsed safely; a hostile or broken document is refused.

    Cases: a DTD (hence any entity, billion laughs) or an external reference is
    refused naming the reason; malformed XML is refused; so is a document over
    MAX_DOCUMENT_BYTES.
    """
    if len(data) > MAX_DOCUMENT_BYTES:
        raise CapError(f"Tài liệu XML quá lớn, tối đa {MAX_DOCUMENT_BYTES // 1000} KB "
                       f"(XML document larger than {MAX_DOCUMENT_BYTES // 1000} KB)")
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except defusedxml.DefusedXmlException as err:
        raise CapError(
            "Từ chối tài liệu XML không an toàn: có DTD, thực thể hoặc tham chiếu ra ngoài "
            f"(unsafe XML refused: DTD, entity or external reference: {type(err).__name__})"
        ) from err
    except ParseError as err:
        raise CapError(f"Tài liệu XML hỏng (malformed XML: {err})") from err


def read_document(data: bytes) -> Document:
    """A CAP alert, or an Atom/RSS index of them (alerts embedded, or links to each)."""
    root = parse_xml(data)
    namespace, _, name = root.tag[1:].partition("}") if root.tag.startswith("{") else (
        "", "", root.tag)
    if name == "alert" and namespace in READ_NAMESPACES:
        return Document((read_alert(root),), ())
    if (namespace, name) == (ATOM_NS, "feed"):
        return _atom(root)
    if (namespace, name) == ("", "rss"):
        links = [(item.findtext("link") or "").strip() for item in root.iter("item")]
        return Document(_embedded(root), tuple(link for link in links if link))
    raise CapError(f"Không phải tài liệu CAP 1.2 hay nguồn Atom/RSS: thẻ gốc {name!r} "
                   "(not a CAP 1.2 alert, nor an Atom or RSS feed)")


def _embedded(root: Element) -> tuple[Alert, ...]:
    return tuple(read_alert(found) for ns in READ_NAMESPACES
                 for found in root.iter(f"{{{ns}}}alert"))


def _atom(root: Element) -> Document:
    """An Atom index: each entry's CAP alert if it carries one, else its link to it."""
    alerts: list[Alert] = []
    links: list[str] = []
    for entry in root.iter(f"{{{ATOM_NS}}}entry"):
        inside = _embedded(entry)
        if inside:
            alerts.extend(inside)
            continue
        candidates = [link for link in entry.iter(f"{{{ATOM_NS}}}link")
                      if (link.get("href") or "").strip()
                      and link.get("rel", "alternate") in ("alternate", "related")]
        capped = [link for link in candidates if "cap" in (link.get("type") or "")]
        links.extend((link.get("href") or "").strip() for link in (capped or candidates)[:1])
    return Document(tuple(alerts), tuple(links))


def _text(node: Element, name: str, ns: str) -> str:
    return " ".join((node.findtext(f"{{{ns}}}{name}") or "").split())


def _paragraphs(node: Element, name: str, ns: str) -> str:
    """A free-text field with its line breaks kept (descriptions are read aloud)."""
    raw = node.findtext(f"{{{ns}}}{name}") or ""
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    return "\n".join(line for line in lines if line)


def cap_time(value: str, what: str) -> datetime:
    """A CAP dateTime (with its offset, "-00:00" for UTC) as an aware UTC instant."""
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError as err:
        raise CapError(f"{what} không phải thời điểm CAP hợp lệ: {value!r} "
                       f"({what} is not a CAP dateTime)") from err
    if at.tzinfo is None:
        raise CapError(f"{what} thiếu múi giờ: {value!r} ({what} has no time-zone offset)")
    return at.astimezone(UTC)


def read_references(value: str) -> tuple[Reference, ...]:
    """CAP ``references``: space-separated "sender,identifier,sent" triples; others skipped."""
    found = []
    for triple in value.split():
        parts = triple.split(",")
        if len(parts) != 3:
            continue
        try:
            found.append(Reference(parts[0], parts[1], cap_time(parts[2], "references")))
        except CapError:
            continue
    return tuple(found)


def read_alert(root: Element) -> Alert:
    """An ``alert`` element as data; its required fields must be there."""
    ns = root.tag[1:].partition("}")[0]
    identifier, sender = _text(root, "identifier", ns), _text(root, "sender", ns)
    sent, msg_type = _text(root, "sent", ns), _text(root, "msgType", ns)
    if not (identifier and sender and sent and msg_type):
        raise CapError("Cảnh báo CAP thiếu identifier, sender, sent hoặc msgType "
                       "(CAP alert lacks identifier, sender, sent or msgType)")
    return Alert(
        identifier=identifier, sender=sender, sent=cap_time(sent, "sent"),
        status=_text(root, "status", ns), msg_type=msg_type, scope=_text(root, "scope", ns),
        references=read_references(root.findtext(f"{{{ns}}}references") or ""),
        infos=tuple(_info(node, ns) for node in root.findall(f"{{{ns}}}info")),
    )


def _info(node: Element, ns: str) -> Info:
    expires = _text(node, "expires", ns)
    areas = tuple(
        Area(_text(area, "areaDesc", ns), tuple(
            _text(code, "value", ns) for code in area.findall(f"{{{ns}}}geocode")
            if _text(code, "value", ns)))
        for area in node.findall(f"{{{ns}}}area")
    )
    return Info(
        language=_text(node, "language", ns) or "en-US", event=_text(node, "event", ns),
        severity=_text(node, "severity", ns), urgency=_text(node, "urgency", ns),
        certainty=_text(node, "certainty", ns), headline=_text(node, "headline", ns),
        description=_paragraphs(node, "description", ns),
        instruction=_paragraphs(node, "instruction", ns),
        expires=cap_time(expires, "expires") if expires else None, areas=areas,
    )


# --- the rules that map an alert onto a bulletin (pure) ---------------------------------

def priority_for(severity: str) -> BulletinPriority:
    """CAP severity → bulletin level.

    Cases: Extreme → emergency; Severe → priority; Moderate, Minor, Unknown,
    missing or misspelt → normal (a person still reads it before it airs).
    """
    level = severity.strip().lower()
    if level == "extreme":
        return BulletinPriority.emergency
    if level == "severe":
        return BulletinPriority.priority
    return BulletinPriority.normal


def pick_info(infos: Sequence[Info]) -> Info | None:
    """The info block to read: the first in Vietnamese (vi-VN, or vi), else the first."""
    for info in infos:
        if info.language.lower() in ("vi-vn", "vi"):
            return info
    return infos[0] if infos else None


def bulletin_text(info: Info) -> str:
    """What the loudspeakers read: the headline, the description, then the instruction."""
    return "\n\n".join(part for part in (info.headline, info.description, info.instruction)
                       if part)


def bulletin_title(info: Info) -> str:
    """The headline, else the event, cut to a title's length at a word."""
    title = info.headline or info.event or "Cảnh báo CAP"
    if len(title) <= MAX_TITLE:
        return title
    return title[: MAX_TITLE - 1].rsplit(" ", 1)[0] + "…"


# Words that name the level of a unit, not the unit: "Phường Thủy Nguyên" is "Thủy Nguyên".
_LEVEL_WORDS = ("thanh pho", "tinh", "quan", "huyen", "thi xa", "thi tran", "phuong", "xa",
                "dac khu")
_PREFIX = re.compile(rf"^(?:{'|'.join(_LEVEL_WORDS)})\s+")
_SEPARATORS = re.compile(r"[;,\n]|\s+và\s+|\s+-\s+")


def fold(name: str) -> str:
    """A name without diacritics, case and extra space: "Thuỷ Nguyên" and "Thủy nguyên" meet.

    Cases: the tone mark's place (thuỷ/thủy) does not matter; đ is d.
    """
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


def bare_name(name: str) -> str:
    """The folded name without its level word: "Thành phố Hải Phòng" → "hai phong"."""
    return _PREFIX.sub("", fold(name))


@dataclass(frozen=True)
class UnitName:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class AreaMatch:
    unit_ids: tuple[int, ...]
    by: str  # "geocode", "name" or "" (nothing matched)
    unmatched: tuple[str, ...]  # the areaDesc parts no single unit answered


def match_area(areas: Iterable[Area], units: Sequence[UnitName]) -> AreaMatch:
    """The units an alert's areas name: official codes first, then names.

    Cases: any geocode value equal to a unit's code decides alone (names are then
    not read); else each part of each ``areaDesc`` (split at ; , "và") is matched
    by its folded name with its level word ("Phường Thủy Nguyên"), then without it
    ("Thủy Nguyên"); a part that fits several units, or none, is left unmatched.
    """
    areas = list(areas)
    codes = {code for area in areas for code in area.geocodes}
    by_code = sorted({u.id for u in units if u.code in codes})
    if by_code:
        return AreaMatch(tuple(by_code), "geocode", ())
    full: dict[str, list[int]] = {}
    bare: dict[str, list[int]] = {}
    for u in units:
        full.setdefault(fold(u.name), []).append(u.id)
        bare.setdefault(bare_name(u.name), []).append(u.id)
    found: set[int] = set()
    unmatched: list[str] = []
    for area in areas:
        for part in (p.strip() for p in _SEPARATORS.split(area.desc)):
            if not part:
                continue
            hits = full.get(fold(part)) or bare.get(bare_name(part)) or []
            if len(hits) == 1:
                found.add(hits[0])
            else:
                unmatched.append(part)
    return AreaMatch(tuple(sorted(found)), "name" if found else "", tuple(unmatched))


def targets_for(matched: Iterable[int], owner_id: int, chain: set[int],
                subtree: set[int]) -> list[int]:
    """The owner's targets among the matched units.

    Cases: a matched unit at or above the owner (``chain``) covers the owner's
    whole area, so the owner itself is the target; otherwise the matched units
    inside its subtree; units elsewhere are not its to reach (an empty answer:
    the alert is not for this unit).
    """
    matched = set(matched)
    if matched & chain:
        return [owner_id]
    return sorted(matched & subtree)
