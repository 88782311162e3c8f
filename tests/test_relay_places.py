"""The relay verdict where people look (issue 17 §3, §5): the month overview beside the
campaign count, set-based; the station's evidence page per required slot, in Vietnamese
and in English."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from sqlalchemy import event, select

from loa.clock import VN, FrozenClock
from loa.compliance import keylog
from loa.compliance.ingest import ingest_events
from loa.db import transaction
from loa.player.keys import public_key_b64
from loa.playlists.campaigns import add_campaign
from loa.scheduler.service import plan
from loa.services import Services
from loa.stations.models import Player
from loa.stations.service import add_station
from loa.stations.units import get_unit
from loa.web.glance import relay_shares
from loa.web.users import add_user
from tests.helpers.factories import city_relay, hai_phong_month, signed_relay, two_wards
from tests.helpers.reports import JANUARY
from tests.helpers.web import PASSWORD, login

HALF_HOUR = 1_800_000


@pytest.fixture
def december(services: Services, clock: FrozenClock) -> int:
    """Hải Phòng's December planned; VOV1 06:00-06:30 every day, required of every station
    of the city from 1 December 08:00 (and an 11:00 slot that is not): 30 mornings. TN
    relayed 29, each with a minute of fallback; TH none. Read on 1 January. Returns the
    required slot's id."""
    key = Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        add_user(s, "tinh", PASSWORD, "auditor", "31")
        add_user(s, "xa", PASSWORD, "operator", "11560")
        slot = city_relay(s, services, name="VOV1 Thời sự")
        city_relay(s, services, "11:00", required=False)
        plan(s, "2026-12", clock.now(), services.settings.airing_gap)
        tn = s.scalars(select(Player).where(Player.name == "Cụm loa TN")).one()
        keylog.enrol(s, tn, public_key_b64(key), clock.now())
        first = datetime(2026, 12, 1, 6, 0, tzinfo=VN)
        events = [signed_relay(key, slot.id, first + timedelta(days=d), HALF_HOUR - 60_000,
                               fallback_ms=60_000, dropouts=1) for d in range(1, 30)]
        assert len(ingest_events(s, tn, events, JANUARY).accepted) == 29
        slot_id = slot.id
    clock.set(JANUARY)
    return slot_id


def shares(page: str) -> dict[str, str]:
    """Each overview row's station code and its relay cell, as words."""
    rows = re.findall(r'<a href="/stations/(\w+)\?month=[^"]*">.*?'
                      r'<td class="relay-shares"[^>]*>(.*?)</td>', page, re.S)
    return {code: " ".join(re.sub(r"<[^>]+>", " ", cell).split()) for code, cell in rows}


def test_the_overview_shows_relay_share_beside_the_campaign_count(
    client: FlaskClient, december: int
) -> None:
    login(client, "tinh")
    page = client.get("/?month=2026-12").get_data(as_text=True)
    assert "<th>Tiếp sóng bắt buộc</th>" in page
    assert "đạt khi đài tiếp sóng ít nhất 90% thời lượng trong tháng" in page
    assert shares(page) == {"TH": "VOV1 0.0% Chưa đủ thời lượng", "TN": "VOV1 93.4% Đạt"}
    client.get("/lang/en?next=/")
    english = client.get("/?month=2026-12").get_data(as_text=True)
    assert "<th>Required relays</th>" in english
    assert shares(english) == {"TH": "VOV1 0.0% Short of the time", "TN": "VOV1 93.4% Compliant"}


def test_a_commune_sees_its_own_station_and_no_relay_no_column(
    client: FlaskClient, december: int
) -> None:
    login(client, "xa")
    assert shares(client.get("/?month=2026-12").get_data(as_text=True)) == {
        "TN": "VOV1 93.4% Đạt"}
    # November, before the slot was set: nothing required, no column.
    november = client.get("/?month=2026-11").get_data(as_text=True)
    assert "relay-shares" not in november and "Tiếp sóng bắt buộc" not in november


def test_a_station_with_required_relays_and_no_campaign_still_shows_its_share(
    client: FlaskClient, services: Services, clock: FrozenClock
) -> None:
    """TN carries the city's required VOV1 but no campaign asks it for a programme (CDS is
    TH's ward's only): it has a row of its own with its relay share, not no row at all."""
    with transaction(services.sessions) as s:
        two_wards(s)
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "11557")
        add_user(s, "tinh", PASSWORD, "auditor", "31")
        add_user(s, "xa", PASSWORD, "operator", "11560")
        city_relay(s, services)
    clock.set(JANUARY)
    login(client, "tinh")
    page = client.get("/?month=2026-12").get_data(as_text=True)
    assert shares(page) == {"TH": "VOV1 0.0% Chưa đủ thời lượng",
                            "TN": "VOV1 0.0% Chưa đủ thời lượng"}
    row = page[page.index('id="relay-only-TN"'):]
    row = " ".join(re.sub(r"<[^>]+>", " ", row[:row.index("</tr>")]).split())
    assert row.endswith("Đài Thủy Nguyên TN Phường Thủy Nguyên Không có chiến dịch trong tháng — "
                        "VOV1 0.0% Chưa đủ thời lượng — — Xem tiếp sóng —")
    assert "Xem tiếp sóng" in row and 'href="/relays?month=2026-12#verdicts"' in page
    assert 'id="relay-only-TH"' not in page  # TH has its campaign's row
    # A commune with no campaign at all: its one row, not "no campaign or station".
    commune = client.application.test_client()
    login(commune, "xa")
    own = commune.get("/?month=2026-12").get_data(as_text=True)
    assert shares(own) == {"TN": "VOV1 0.0% Chưa đủ thời lượng"}
    assert "Chưa có chiến dịch hay đài nào" not in own
    commune.get("/lang/en?next=/")
    english = commune.get("/?month=2026-12").get_data(as_text=True)
    assert "No campaign this month" in english and "See the relays" in english
    assert shares(english) == {"TN": "VOV1 0.0% Short of the time"}


@pytest.mark.both_databases
def test_the_overview_reads_every_station_s_relays_in_the_same_queries(
    services: Services, december: int
) -> None:
    engine = services.sessions.kw["bind"]

    def statements() -> int:
        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            with services.sessions() as s:
                found = relay_shares(s, get_unit(s, "31"), "2026-12", JANUARY, 0.9)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(found) == len(stations)
        return len(seen)

    stations = ["TN", "TH"]
    two = statements()
    with transaction(services.sessions) as s:
        for n in range(6):
            add_station(s, f"TN{n}", "11560", f"Đài TN {n}")
            stations.append(f"TN{n}")
    assert statements() == two


def test_the_evidence_page_has_the_relay_verdict_per_required_slot(
    client: FlaskClient, december: int
) -> None:
    login(client, "tinh")
    page = client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    table = page[page.index('<table id="relays"'):]
    table = " ".join(re.sub(r"<[^>]+>", " ", table[:table.index("</table>")]).split())
    assert "Tiếp sóng bắt buộc trong tháng" in page
    assert ("VOV1 Thời sự hằng ngày, 06:00 · 30 phút 900 phút 841 phút 29 phút 29 93.4% Đạt"
            in table)
    assert "11:00" not in table  # the slot not required has no verdict
    other = client.get("/audit/TH/2026-12?campaign=CDS").get_data(as_text=True)
    assert "900 phút 0 phút 0 phút 0 0.0%" in " ".join(re.sub(r"<[^>]+>", " ", other).split())
    assert "Chưa đủ thời lượng" in other
    client.get("/lang/en?next=/")
    english = client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    words = " ".join(re.sub(r"<[^>]+>", " ", english).split())
    assert "Required relays this month" in words and "Dropouts" in words
    assert "VOV1 Thời sự every day, 06:00 · 30 min 900 min 841 min 29 min 29 93.4% Compliant" \
        in words
    assert "hằng ngày" not in english and "Tiếp sóng bắt buộc" not in english
