"""Bulletins on the web: the wards, their users and players, a signed start; the new-bulletin
form as the page fills it, and the bulletin sent last."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from loa.canonical import canonical_json
from loa.clock import FrozenClock
from loa.compliance import keylog
from loa.compliance.ingest import ingest_events
from loa.db import transaction
from loa.playlists.bulletin_delivery import mark_fetched
from loa.playlists.bulletin_templates import TEMPLATES, UNIT_BLANK
from loa.playlists.models import Bulletin
from loa.services import Services
from loa.stations.models import Player
from loa.stations.players import add_player
from loa.web.users import add_user
from tests.helpers.factories import two_wards
from tests.helpers.web import PASSWORD, csrf

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def tree(services: Services) -> dict[str, int]:
    """Hải Phòng, wards 11560 (TN, two players) and 11557 (TH, one); users by role and ward.

    Ward 11560 lets operators send emergencies too; the sibling ward keeps the default.
    Returns player ids by name.
    """
    with transaction(services.sessions) as s:
        two_wards(s)
        players = {
            "tn1": add_player(s, "TN", "Cụm loa chợ")[0],
            "tn2": add_player(s, "TN", "Cụm loa đình")[0],
            "th": add_player(s, "TH", "Cụm loa Thiên Hương")[0],
        }
        for name, role, unit in (
            ("xa", "operator", "11560"), ("lanhdao", "leader", "11560"),
            ("xa2", "operator", "11557"), ("lanhdao2", "leader", "11557"),
            ("tinh", "auditor", "31"), ("tp", "leader", "31"),
        ):
            add_user(s, name, PASSWORD, role, unit)
        keylog.enrol(s, players["tn1"], base64.b64encode(
            KEY.public_key().public_bytes_raw()).decode(), services.clock.now())
        return {name: p.id for name, p in players.items()}


def started(services: Services, player_id: int, bulletin: Bulletin, seconds: float) -> None:
    """TN's player fetches ``bulletin``'s audio and reports it started ``seconds`` after
    it was sent (signed)."""
    assert bulletin.sent_at is not None
    with transaction(services.sessions) as s:
        mark_fetched(s, player_id, str(bulletin.asset_sha256), bulletin.sent_at)
    report(services, player_id, bulletin, "bulletin.started",
           bulletin.sent_at + timedelta(seconds=seconds), 0)


def report(services: Services, player_id: int, bulletin: Bulletin, kind: str, at: datetime,
           played_ms: int | None, **detail: object) -> None:
    """TN's first player reports a bulletin event (signed), received at the clock's now."""
    event = {
        "id": str(uuid.uuid4()), "type": kind, "airing_id": None,
        "bulletin_id": bulletin.id, "at": at.isoformat(), "sha256": bulletin.asset_sha256,
        "played_ms": played_ms, "detail": {"repeat": 0, **detail},
    }
    event["sig"] = base64.b64encode(KEY.sign(canonical_json(event).encode())).decode()
    with transaction(services.sessions) as s:
        result = ingest_events(s, s.get_one(Player, player_id), [event], services.clock.now())
        assert result.rejected == [], result.rejected


def typed_blanks(template: str, **values: str) -> dict[str, str]:
    """The form fields of a person who typed every blank of ``template`` (but the unit's
    name, which the page fills): ``values`` by key, else the example typed out. An
    example typed is the author's choice and may go; one left as a placeholder may not."""
    return {f"blank_{b.key}": values.get(b.key, b.example)
            for b in TEMPLATES[template].blanks if b.key != UNIT_BLANK}


# A real storm as a commune types it (Yagi, September 2024): no value is a template example.
STORM_FIELDS = {
    "ten": "bão số 5 (Yagi)", "gio": "13h00 ngày 6/9",
    "vi_tri": "20,1 độ Vĩ Bắc; 108,4 độ Kinh Đông", "gio_manh": "cấp 12, giật cấp 15",
    "huong": "Tây", "toc_do": "15 km", "anh_huong": "đêm ngày 6/9",
    "luong_mua": "200-300 mm", "so_tan": "bãi sông Cấm", "han_so_tan": "18h00 ngày 6/9",
    "duong_day_nong": "0225 3 842 112",
}


def completed(services: Services, player_id: int, bulletin: Bulletin, seconds: float) -> None:
    """After ``started`` with the same ``seconds``: the clock moves to the play's end and
    the player reports it played through (a completion the rule counts)."""
    assert bulletin.sent_at is not None and bulletin.duration_ms
    ends = bulletin.sent_at + timedelta(seconds=seconds, milliseconds=bulletin.duration_ms)
    assert isinstance(services.clock, FrozenClock)
    services.clock.set(max(services.clock.now(), ends + timedelta(seconds=1)))
    report(services, player_id, bulletin, "bulletin.completed", ends, bulletin.duration_ms,
           output="aplay")


def form_of(page: str, **fields: Any) -> dict[str, Any]:
    """The new-bulletin form as the page fills it (text inputs, checked boxes), then ``fields``."""
    data: dict[str, Any] = {"csrf_token": csrf(page.encode())}
    for name, value in re.findall(r'<input type="(?:text|hidden|number|datetime-local)" '
                                  r'name="(\w+)"[^>]*?value="([^"]*)"', page):
        data[name] = _unescape(value)
    for name, value in re.findall(r'name="(\w+)" value="([^"]*)"[^>]*? checked', page):
        data.setdefault(name, [])
        if isinstance(data[name], list):
            data[name].append(value)
        else:
            data[name] = value
    text = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page, re.S)
    data["text"] = _unescape(text.group(1)) if text else ""
    for name in ("priority", "source"):
        if isinstance(data.get(name), list):
            data[name] = data[name][0]
    data.update(fields)
    return data


def _unescape(value: str) -> str:
    return (value.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&"))


def only_bulletin(services: Services) -> Bulletin:
    """The bulletin sent last."""
    with transaction(services.sessions) as s:
        found = s.scalars(select(Bulletin).order_by(Bulletin.id.desc())).first()
        assert found is not None
        s.expunge(found)
        return found
