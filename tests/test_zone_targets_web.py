"""Zones and language recordings on the pages: the bulletin form offers a station's zones and
a recording per zone language, the bulletin page names each zone's audio, the relay form
names zones (issue 17 §4). Refusals are in Vietnamese and keep what was typed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import tests.helpers.bulletin_web
from loa.db import transaction
from loa.playlists.models import Bulletin, BulletinDelivery
from loa.playlists.relay_models import RelaySlot
from loa.services import Services
from loa.stations.players import add_player
from loa.stations.zones import add_zone
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.editor import tone
from tests.helpers.web import PASSWORD, csrf, login

tree = tests.helpers.bulletin_web.tree  # a shared fixture


@pytest.fixture(scope="module")
def hmong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone(tmp_path_factory.mktemp("hmong-web") / "ban-hmong.mp3", 3)


@pytest.fixture
def zoned(services: Services, tree: dict[str, int]) -> int:
    """TN's Nà Hang zone (H'Mông) with its own player; its id."""
    with transaction(services.sessions) as s:
        add_zone(s, "TN", "na-hang", "Cụm thôn Nà Hang", "hmn")
        return add_player(s, "TN", "Loa Nà Hang", zone_code="na-hang")[0].id


def sending(client: Any, recording: bytes | None, **fields: Any) -> Any:
    page = client.get("/bulletins/new").get_data(as_text=True)
    data: dict[str, Any] = {
        "csrf_token": csrf(page.encode()), "action": "send", "source": "text",
        "title": "Cảnh báo lũ quét", "text": "Lũ quét ở thôn Nà Hang, bà con lên chỗ cao.",
        "priority": "emergency", "repeat_count": "1", "repeat_every_min": "0",
        "valid_until": "2026-12-02T08:00", "zone": "TN/na-hang", **fields,
    }
    if recording is not None:
        data["variant_hmn"] = (io.BytesIO(recording), "ban-hmong.mp3")
    return client.post("/bulletins/new", data=data, content_type="multipart/form-data")


def test_the_form_sends_to_a_zone_with_its_recording_and_the_page_names_its_audio(
        client: Any, services: Services, zoned: int, hmong: Path) -> None:
    login(client, "lanhdao")
    page = client.get("/bulletins/new").get_data(as_text=True)
    assert 'name="zone" value="TN/na-hang"' in page and 'name="zone" value="TN/chung"' in page
    assert 'name="variant_hmn"' in page and "Bản tiếng hmn" in page
    sent = sending(client, hmong.read_bytes())
    assert sent.status_code == 302, sent.get_data(as_text=True)
    with transaction(services.sessions) as s:
        bulletin = s.scalars(select(Bulletin)).one()
        (variant,) = bulletin.variants
        rows = s.scalars(select(BulletinDelivery)).all()
        assert [(r.player_id, r.asset_sha256) for r in rows] == [(zoned, variant.asset_sha256)]
        bulletin_id, sha = bulletin.id, variant.asset_sha256
    shown = client.get(f"/bulletins/{bulletin_id}").get_data(as_text=True)
    assert "Âm thanh theo cụm loa" in shown and sha in shown
    assert 'data-zone="na-hang"' in shown and "bản ghi âm tiếng hmn" in shown
    assert "Đã phát 0/1 đài" in shown  # only TN, only its Nà Hang zone
    audio = client.get(f"/bulletins/{bulletin_id}/variants/hmn.mp3")
    assert audio.status_code == 200
    assert audio.data == services.store.path(sha).read_bytes()
    assert client.get(f"/bulletins/{bulletin_id}/variants/km.mp3").status_code == 404
    live = client.get(f"/bulletins/{bulletin_id}/delivery.json").json
    (tn,) = live["stations"]
    assert [(z["code"], z["sha256"]) for z in tn["zones"]] == [("na-hang", sha)]
    assert "Cụm thôn Nà Hang (hmn)" in tn["zones_text"]


@pytest.mark.parametrize(
    ("recording", "fields", "said", "english"),
    [
        (b"ID3 not audio" * 40, {}, "Bản tiếng hmn:", "not usable audio"),
        (None, {"zone": "TN/khong-co"}, "Nơi nhận ngoài phạm vi: TN/khong-co", "out of scope"),
        ("hmong", {"zone": [], "station": "TH"},
         "Không cụm loa nào trong nơi nhận dùng tiếng hmn", "no targeted zone"),
    ],
)
def test_a_bad_recording_or_zone_is_refused_in_vietnamese_and_keeps_the_form(
        client: Any, services: Services, zoned: int, hmong: Path,
        recording: bytes | str | None, fields: dict[str, Any], said: str,
        english: str) -> None:
    login(client, "tp")  # the city's leader: TN and TH are both in reach
    data = hmong.read_bytes() if recording == "hmong" else recording
    answer = sending(client, data, priority="priority", **fields)  # type: ignore[arg-type]
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and said in page and english not in page
    assert 'value="Cảnh báo lũ quét"' in page and "Lũ quét ở thôn Nà Hang" in page
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count(Bulletin.id))) == 0


def test_the_relay_form_names_zones_of_its_station_only(
        client: Any, services: Services, zoned: int, env: dict[str, str]) -> None:
    with transaction(services.sessions) as s:
        add_user(s, "tinh-op", PASSWORD, "operator", "31")
        add_zone(s, "TH", "ban-khmer", "Cụm Khmer", "km")
    Loa(env)("relay", "source", "add", "VOV4", "--unit", "31", "--name", "VOV4",
             "--url", "http://127.0.0.1:9/vov4.mp3")
    login(client, "tinh-op")
    page = client.get("/relays").get_data(as_text=True)
    assert 'value="TN/na-hang"' in page and 'value="TH/ban-khmer"' in page
    form = {"csrf_token": csrf(page.encode()), "source": "VOV4", "days": "T2-CN",
            "at": "06:00", "minutes": "30"}
    wrong = client.post("/relays", data=form | {"target": "TN", "zone": "TH/ban-khmer"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Cụm loa ban-khmer không thuộc đài TN" in wrong
    whole = client.post("/relays", data=form | {"target": "unit", "zone": "TN/na-hang"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Cụm loa chỉ chọn được khi tiếp sóng ở một đài" in whole
    done = client.post("/relays", data=form | {"target": "TN", "zone": "TN/na-hang"},
                       follow_redirects=True).get_data(as_text=True)
    assert "chỉ cụm loa: Cụm thôn Nà Hang" in done
    with transaction(services.sessions) as s:
        (slot,) = s.scalars(select(RelaySlot)).all()
        assert [z.code for z in slot.zones] == ["na-hang"]
