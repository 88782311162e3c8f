"""A bulletin's delivery as the live page shows it: "đã phát N/M đài" and a row per station.

A station counts in the headline only on a counted completion; each row says its state
("đã phát", "đang phát", "bị ngắt", "lỗi phát" with its reason; playlists/delivery_states.py).

One function builds it for both the page and its JSON (polled every 2 s by
web/static/bulletins.js), so the first paint and every update read the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.clock import VN
from loa.compliance.bulletin_rules import FAILED_WITHOUT_REASON
from loa.playlists.bulletin_delivery import delivery
from loa.playlists.bulletins import target_stations
from loa.playlists.delivery_states import DeliveryState
from loa.playlists.models import Bulletin, BulletinStatus
from loa.stations.models import Station
from loa.web.context import services
from loa.web.i18n import bilingual, label

STEPS = ("pushed", "fetched", "started", "completed")
# The agent's own words for a play nobody heard (loa_player/on_air.py), said on the page.
AGENT_FAILURES = (
    ("all outputs failed", _l("mọi đầu ra âm thanh đều lỗi")),
    ("no real output played", _l("không đầu ra âm thanh thật nào phát được")),
)


def _clock(moment: datetime | None) -> str:
    return moment.astimezone(VN).strftime("%H:%M:%S") if moment else "—"


def seconds_text(ms: int | None) -> str:
    """A delay in the page's language: "1,2 giây" or "1.2 s"; none is "—"."""
    if ms is None:
        return "—"
    figure = f"{ms / 1000:.1f}"
    if str(get_locale()) != "en":
        figure = figure.replace(".", ",")
    return gettext("%(s)s giây", s=figure)


def reason_text(state: DeliveryState, reason: str | None) -> str:
    """A failure's or a cut's reason in the page's language ("" for none).

    Cases: a failure is the device's own words: the agent's English cause leads in
    words of the page, its details after it as sent, anything else as stored (never
    split at a bracket of the device's text); a cut's reason is the rule's
    "Vietnamese (English)", shown in the page's half, as is the server's own reason
    for a failure that gave none.
    """
    if not reason:
        return ""
    if state is DeliveryState.failed and reason != FAILED_WITHOUT_REASON:
        for cause, words in AGENT_FAILURES:
            if reason.startswith(cause):
                return f"{words}{reason[len(cause):]}"
        return reason
    vi, en = bilingual(reason)
    return en if str(get_locale()) == "en" else vi


def delivery_state(
    s: Session, bulletin: Bulletin, stations: set[int] | None = None
) -> dict[str, Any]:
    """JSON-ready: the headline counts, whether it is still live, and each station's steps
    and state.

    Cases: a pending bulletin lists the stations it will go to, nothing stamped; a target
    station that got no delivery row (no player when it was sent) is listed, counted as
    not played; ``stations`` (ids) keeps only those (a bulletin from a unit above); only a
    counted completion is "played" (the headline's count), and a station plays once every
    zone it reached did (each zone with the audio it was given, ``zones``).
    """
    now = services().clock.now()
    shown = {st.code: st for st in target_stations(s, bulletin)
             if stations is None or st.id in stations}
    allowed = None if stations is None else set(
        s.scalars(select(Station.code).where(Station.id.in_(stations))))
    rows = []
    for d in delivery(s, bulletin):
        if allowed is not None and d.code not in allowed:
            continue
        zones = [{"code": z.code, "name": z.name, "language": z.language, "sha256": z.sha256,
                  "players": len(z.rows), **_state_fields(*z.state(now))} for z in d.zones]
        rows.append({
            "code": d.code, "name": d.name, "players": d.players, "plays": d.plays,
            **{step: _clock(getattr(d, f"{step}_at")) for step in STEPS},
            "delay": seconds_text(d.delay_ms), **_state_fields(*d.state(now)),
            "zones": zones, "zones_text": _zones_text(zones, bulletin),
        })
    listed = {r["code"] for r in rows}
    rows += [
        {
            "code": st.code, "name": st.name, "plays": 0,
            "players": sum(not p.revoked for p in st.players),
            **dict.fromkeys(STEPS, "—"), "delay": "—",
            **_state_fields(DeliveryState.waiting, None), "zones": [], "zones_text": "",
        }
        for st in shown.values() if st.code not in listed
    ]
    rows.sort(key=lambda r: r["code"])
    played = sum(r["played"] for r in rows)
    return {
        "id": bulletin.id,
        "status": bulletin.status.value,
        "status_label": label(bulletin.status, "bulletin"),
        "live": bulletin.status is BulletinStatus.active,
        "played": played,
        "total": len(rows),
        "headline": gettext("Đã phát %(n)s/%(m)s đài", n=played, m=len(rows)),
        "stations": rows,
    }


def _zones_text(zones: list[dict[str, Any]], bulletin: Bulletin) -> str:
    """Each zone's state in a line, where a station's zones tell more than the station: two
    or more zones reached, or a zone given a language variant ("" otherwise)."""
    if len(zones) < 2 and all(z["sha256"] == bulletin.asset_sha256 for z in zones):
        return ""
    return " · ".join(f"{z['name']} ({z['language']}): {z['state_label']}" for z in zones)


def _state_fields(state: DeliveryState, reason: str | None) -> dict[str, Any]:
    return {
        "state": state.value, "state_label": label(state, "delivery"),
        "reason": reason_text(state, reason), "played": state is DeliveryState.completed,
        "failed": state is DeliveryState.failed,
    }
