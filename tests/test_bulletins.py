"""Bulletins (issue 10): who may send what where, approval, the player endpoint and audio,
the signed plays in the station chains, and the command line."""

from __future__ import annotations

import base64
import hashlib
import json
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from sqlalchemy import event, select

import tests.helpers.bulletins
from loa.clock import FrozenClock
from loa.compliance import keylog
from loa.compliance.models import AiringLogEntry
from loa.compliance.verify import verify_chains
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.bulletin_delivery import delivery
from loa.playlists.bulletins import (
    approve_bulletin,
    cancel_bulletin,
    end_past_bulletins,
    get_bulletin,
    target_stations,
)
from loa.playlists.models import Bulletin, BulletinDelivery, BulletinStatus
from loa.scheduler.bulletin_slots import slot_placer
from loa.services import Services
from loa.stations.models import Player
from loa.stations.players import add_player
from loa.stations.service import add_station, get_station
from loa.stations.units import get_unit
from tests.attacker import attacker, rechain, station_entries
from tests.conftest import Loa
from tests.helpers.bulletins import STORM, _signed, auth, send

PLACE = slot_placer(timedelta(seconds=30))  # the default gap

tree = tests.helpers.bulletins.tree  # a shared fixture


def refused(services: Services, words: str, **kw: Any) -> None:
    with transaction(services.sessions) as s, pytest.raises(LoaError) as err:
        send(services, s, **kw)
    assert words in str(err.value)


def test_targets_stay_inside_the_owner_unit(services: Services, tree: dict) -> None:
    with transaction(services.sessions) as s:
        refused_station = get_station(s, "TH")
    refused(services, "outside the owner's subtree", unit="11560",
            station_targets=[refused_station])
    with transaction(services.sessions) as s:
        province = get_unit(s, "31")
    refused(services, "outside the owner's subtree", unit="11560", unit_targets=[province])
    with transaction(services.sessions) as s:
        whole = send(services, s)  # no target: the owner's whole subtree
        ward = send(services, s, unit_targets=[get_unit(s, "11560")])
        assert [st.code for st in target_stations(s, whole)] == ["TH", "TN"]
        assert [st.code for st in target_stations(s, ward)] == ["TN"]
        # a station added later is reached by a unit target (resolved when read)
        add_station(s, "TN2", "11560", "Đài TN 2")
        assert [st.code for st in target_stations(s, ward)] == ["TN", "TN2"]
        rows = s.scalars(select(BulletinDelivery).where(BulletinDelivery.bulletin_id == whole.id))
        assert sorted(r.player_id for r in rows) == sorted([tree["TN"][0], tree["TH"][0]])


def test_who_may_send_an_emergency(services: Services, tree: dict) -> None:
    refused(services, "may not send an emergency", role="operator", author="xa")
    refused(services, "writes no bulletins", role="auditor", author="kt", priority="normal")
    with transaction(services.sessions) as s:
        get_unit(s, "31").emergency_roles = "operator, leader"
    with transaction(services.sessions) as s:
        sent = send(services, s, role="operator", author="xa")
        assert sent.status is BulletinStatus.active and sent.approved_by is None
    refused(services, "may not send an emergency", role="admin", author="qt")


def test_an_operators_notice_waits_for_another_leader(services: Services, tree: dict) -> None:
    with transaction(services.sessions) as s:
        notice = send(services, s, priority="normal", role="operator", author="xa",
                      text="Họp tổ dân phố lúc 19h30 tối nay.")
        assert notice.status is BulletinStatus.pending and notice.sent_at is None
        assert not delivery(s, notice)
        with pytest.raises(LoaError, match="only a leader or admin"):
            approve_bulletin(s, notice, by="xa2", role="operator", clock=services.clock,
                             place_slots=PLACE)
        with pytest.raises(LoaError, match="approve your own"):
            approve_bulletin(s, notice, by="xa", role="leader", clock=services.clock,
                             place_slots=PLACE)
        approve_bulletin(s, notice, by="lanh-dao", role="leader", clock=services.clock,
                         place_slots=PLACE)
        assert notice.status is BulletinStatus.active and notice.approved_by == "lanh-dao"
        assert [d.code for d in delivery(s, notice)] == ["TH", "TN"]
        by_leader = send(services, s, priority="priority", role="leader", author="lanh-dao")
        assert by_leader.status is BulletinStatus.active


def test_windows_and_repeats_are_checked(services: Services, tree: dict,
                                         clock: FrozenClock) -> None:
    now = clock.now()
    refused(services, "at least a minute apart", repeat_count=3, repeat_every_s=30)
    refused(services, "until must be later", valid_until=now - timedelta(minutes=1))
    refused(services, "run past the validity window", repeat_count=5, repeat_every_s=3600,
            valid_until=now + timedelta(hours=2))
    refused(services, "plays at once", valid_from=now + timedelta(hours=1))
    refused(services, "text or a file", text=None)
    with transaction(services.sessions) as s:
        later = send(services, s, priority="normal", valid_from=now + timedelta(days=2),
                     repeat_count=3, repeat_every_s=86400)
        assert later.valid_until == later.valid_from + timedelta(days=2, hours=1)
    clock.advance(days=5)
    with transaction(services.sessions) as s:
        assert end_past_bulletins(s, clock.now()) == [later.id]
        with pytest.raises(LoaError, match="already over"):
            cancel_bulletin(s, get_bulletin(s, later.id), by=None, role=None, clock=clock)


def test_the_player_endpoint_answers_304_until_something_changes(
    services: Services, tree: dict, client: FlaskClient, clock: FrozenClock
) -> None:
    tn_token, hn_token = tree["TN"][1], tree["HN"][1]
    empty = client.get("/api/v1/player/bulletins", headers=auth(tn_token))
    assert empty.status_code == 200 and empty.json["bulletins"] == []
    assert client.get("/api/v1/player/bulletins",
                      headers=auth(tn_token, empty.get_etag()[0])).status_code == 304
    with transaction(services.sessions) as s:
        sent = send(services, s, repeat_count=3, repeat_every_s=600)
        sha = sent.asset_sha256
    clock.advance(seconds=2)
    first = client.get("/api/v1/player/bulletins", headers=auth(tn_token, empty.get_etag()[0]))
    assert first.status_code == 200
    [listed] = first.json["bulletins"]
    assert listed["id"] == sent.id and listed["status"] == "active"
    assert listed["repeat_every_s"] == 600 and listed["audio"]["sha256"] == sha
    etag = first.get_etag()[0]
    again = client.get("/api/v1/player/bulletins", headers=auth(tn_token, etag))
    assert again.status_code == 304 and again.data == b""
    fetched = select(BulletinDelivery.fetched_at, BulletinDelivery.pushed_at).where(
        BulletinDelivery.player_id == tree["TN"][0])
    with transaction(services.sessions) as s:
        assert s.execute(fetched).one() == (None, None)  # listed is not fetched; no broker
    clock.advance(seconds=1)
    audio = client.get(listed["audio"]["url"], headers=auth(tn_token))
    assert audio.status_code == 200 and hashlib.sha256(audio.data).hexdigest() == sha
    with transaction(services.sessions) as s:
        assert s.execute(fetched).one() == (clock.now(), None)
    # Hà Nội's player is no target: nothing listed, and the audio is not there for it.
    assert client.get("/api/v1/player/bulletins", headers=auth(hn_token)).json["bulletins"] == []
    assert client.get(listed["audio"]["url"], headers=auth(hn_token)).status_code == 404
    with transaction(services.sessions) as s:
        cancel_bulletin(s, get_bulletin(s, sent.id), by="lanh-dao", role="leader", clock=clock)
    cancelled = client.get("/api/v1/player/bulletins", headers=auth(tn_token, etag))
    assert cancelled.status_code == 200
    assert cancelled.json["bulletins"][0]["status"] == "cancelled"
    clock.advance(hours=25)
    assert client.get("/api/v1/player/bulletins",
                      headers=auth(tn_token)).json["bulletins"] == []


def test_bulletin_plays_are_signed_chained_and_counted(
    services: Services, tree: dict, client: FlaskClient, clock: FrozenClock
) -> None:
    key = Ed25519PrivateKey.generate()
    tn_id, tn_token = tree["TN"]
    with transaction(services.sessions) as s:
        raw = base64.b64encode(key.public_key().public_bytes_raw()).decode()
        keylog.enrol(s, s.get_one(Player, tn_id), raw, clock.now())
        sent = send(services, s, repeat_count=2, repeat_every_s=600)
        elsewhere = send(services, s, unit="01")
        bulletin_id, sha, sent_at = sent.id, sent.asset_sha256, sent.sent_at
    assert client.get(f"/api/v1/audio/{sha}", headers=auth(tn_token)).status_code == 200
    start = sent_at + timedelta(milliseconds=800)
    clock.set(start + timedelta(seconds=10))  # the play has ended when its report comes
    events = [
        _signed(key, type="airing.interrupted", airing_id=None, at=start.isoformat(),
                detail={"reason": "emergency", "bulletin_id": bulletin_id}),
        _signed(key, type="bulletin.started", bulletin_id=bulletin_id, sha256=sha,
                at=start.isoformat()),
        _signed(key, type="bulletin.completed", bulletin_id=bulletin_id, sha256=sha,
                played_ms=9000, at=(start + timedelta(seconds=9)).isoformat()),
        _signed(key, type="bulletin.started", bulletin_id=elsewhere.id, sha256=sha,
                at=start.isoformat()),
        _signed(key, type="bulletin.started", bulletin_id=bulletin_id, sha256="0" * 64,
                at=start.isoformat()),
        _signed(key, type="bulletin.started", bulletin_id=bulletin_id, airing_id=7, sha256=sha,
                at=start.isoformat()),
    ]
    answer = client.post("/api/v1/player/events", json={"events": events},
                         headers=auth(tn_token)).json
    reasons = [r["reason"] for r in answer["rejected"]]
    assert answer["accepted"] == [e["id"] for e in events[1:3]]
    assert "airing_id must be a positive whole number" in reasons[0]
    assert "bulletin not sent to this station" in reasons[1]
    assert "not the bulletin's audio" in reasons[2]
    assert "bulletin events have no airing" in reasons[3]
    with transaction(services.sessions) as s:
        tn = next(r for r in delivery(s, get_bulletin(s, bulletin_id)) if r.code == "TN")
        assert (tn.started_at, tn.plays, tn.delay_ms) == (start, 1, 800)
        logged = s.scalars(select(AiringLogEntry).where(AiringLogEntry.bulletin_id.is_not(None)))
        assert [e.event for e in logged] == ["bulletin.started", "bulletin.completed"]
        assert not verify_chains(s).problems
    with attacker(services.settings.database_url) as s:
        entries = station_entries(s, get_station(s, "TN").id)
        entries[-1].bulletin_id = elsewhere.id
        rechain(s, entries[-1].station_id)
    with transaction(services.sessions) as s:
        # The chain was re-hashed: the mark the first verify left shows it too.
        edited, rewritten = verify_chains(s).problems
        assert edited.station == "TN" and "bulletin_id differs" in edited.reason
        assert rewritten.station == "TN" and "verified mark" in rewritten.reason


def test_an_emergency_cut_is_logged_with_its_reason(
    services: Services, tree: dict, client: FlaskClient, clock: FrozenClock
) -> None:
    """airing.interrupted with reason emergency is stored as the player signed it."""
    from loa.playlists.campaigns import add_campaign
    from loa.playlists.models import Airing
    from tests.helpers.factories import approved_programme

    key = Ed25519PrivateKey.generate()
    tn_id, tn_token = tree["TN"]
    with transaction(services.sessions) as s:
        keylog.enrol(s, s.get_one(Player, tn_id),
                     base64.b64encode(key.public_key().public_bytes_raw()).decode(), clock.now())
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31")
        programme = approved_programme(s, "31", "2026-12", 720_000, clock.now())
        airing = Airing(programme=programme, station=get_station(s, "TN"),
                        starts_at=clock.now())
        s.add(airing)
        s.flush()
        airing_id = airing.id
    cut = _signed(key, type="airing.interrupted", airing_id=airing_id, played_ms=61_000,
                  at=clock.now().isoformat(),
                  detail={"reason": "emergency", "bulletin_id": 1, "clock_offset_ms": 0})
    answer = client.post("/api/v1/player/events", json={"events": [cut]},
                         headers=auth(tn_token)).json
    assert answer["accepted"] == [cut["id"]]
    with transaction(services.sessions) as s:
        entry = s.scalar(select(AiringLogEntry).where(AiringLogEntry.event_id == cut["id"]))
        assert entry.detail["reason"] == "emergency" and entry.airing_id == airing_id


def test_the_command_line_sends_shows_and_cancels(loa: Loa, services: Services,
                                                   tree: dict) -> None:
    with transaction(services.sessions) as s:
        from loa.web.users import add_user

        add_user(s, "xa", "mat-khau-dai-123", "operator", "11560")
        add_user(s, "lanh-dao", "mat-khau-dai-123", "leader", "31")
    bulletin_id = int(loa("bulletin", "send", "--unit", "31", "--station", "TN",
                          "--priority", "emergency", "--text", STORM, "--title", "Bão số 3",
                          "--repeat", "3", "--every", "10").strip())
    shown = json.loads(loa("bulletin", "show", str(bulletin_id), "--format", "json"))
    assert shown["title"] == "Bão số 3" and shown["repeat_every_s"] == 600
    assert shown["sent_at"] and [d["station"] for d in shown["delivery"]] == ["TN"]
    assert shown["delivery"][0]["started_at"] is None
    assert "Đã phát 0/1 đài" in loa("bulletin", "show", str(bulletin_id))
    notice = loa("bulletin", "send", "--unit", "11560", "--priority", "normal", "--text",
                 "Họp tổ dân phố.", "--by", "xa").strip()
    assert f"{notice}\tnormal\tpending" in loa("bulletin", "list", "--unit", "11560")
    assert "không được gửi thông báo khẩn cấp" in loa(
        "bulletin", "send", "--unit", "11560", "--priority", "emergency", "--text", STORM,
        "--by", "xa", ok=False)
    assert "only a leader or admin" in loa("bulletin", "approve", notice, "--by", "xa", ok=False)
    loa("bulletin", "approve", notice, "--by", "lanh-dao")
    loa("bulletin", "cancel", str(bulletin_id))
    assert "already over" in loa("bulletin", "cancel", str(bulletin_id), ok=False)
    listed = loa("bulletin", "list")
    assert f"{bulletin_id}\temergency\tcancelled" in listed
    assert f"{notice}\tnormal\tactive" in listed


def _statements(services: Services, request: Any) -> tuple[int, list[str]]:
    """The status of ``request()`` (a test client call) and the SQL it ran."""
    statements: list[str] = []
    engine = services.sessions.kw["bind"]

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.lstrip().split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        status = request().status_code
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return status, statements


def test_an_unchanged_poll_costs_two_small_queries(
    services: Services, tree: dict, client: FlaskClient
) -> None:
    """The 304 of /player/bulletins: the token look-up and the list, nothing written."""
    with transaction(services.sessions) as s:
        send(services, s)
    token = tree["TN"][1]
    etag = client.get("/api/v1/player/bulletins", headers=auth(token)).get_etag()[0]
    status, ran = _statements(services, lambda: client.get("/api/v1/player/bulletins",
                                                           headers=auth(token, etag)))
    assert status == 304 and ran == ["SELECT", "SELECT"]


def test_an_emergencys_audio_is_looked_up_first_and_a_programmes_writes_nothing(
    services: Services, tree: dict, client: FlaskClient, clock: FrozenClock, tmp_path: Path
) -> None:
    """Every player of an emergency fetches its audio at once, waiting to play it: the token,
    the bulletin's audio and the fetch stamp, no look-up of airings, relays or variants. A
    programme's file (fetched days ahead) is served as before, and stamps nothing."""
    from loa.playlists.assets import record_asset
    from loa.playlists.campaigns import add_campaign
    from loa.playlists.models import Airing
    from tests.helpers.factories import approved_programme

    master = tmp_path / "chuong-trinh.mp3"
    master.write_bytes(b"ID3" + bytes(range(256)) * 8)
    stored = services.store.put_file(master)
    with transaction(services.sessions) as s:
        sha = send(services, s).asset_sha256
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31")
        programme = approved_programme(s, "31", "2026-12", 720_000, clock.now())
        record_asset(s, stored.sha256, stored.bytes, 720_000, "mp3")
        programme.master_sha256 = stored.sha256  # a file the store holds
        s.add(Airing(programme=programme, station=get_station(s, "TN"),
                     starts_at=clock.now() + timedelta(days=2)))
    token = tree["TN"][1]
    status, ran = _statements(services, lambda: client.get(f"/api/v1/audio/{sha}",
                                                           headers=auth(token)))
    assert status == 200 and ran == ["SELECT", "SELECT", "UPDATE"]
    with transaction(services.sessions) as s:
        assert s.scalar(select(BulletinDelivery.fetched_at).where(
            BulletinDelivery.player_id == tree["TN"][0])) is not None
    status, ran = _statements(services, lambda: client.get(f"/api/v1/audio/{stored.sha256}",
                                                           headers=auth(token)))
    assert status == 200 and set(ran) == {"SELECT"}


def test_a_recording_is_checked_and_follows_the_attention_signal(
    services: Services, tree: dict, tmp_path: Path
) -> None:
    from loa.audio.bulletin import default_attention_signal

    rate = 22050
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * rate) / rate) * 32767).astype("<i2")
    recording = tmp_path / "loa-phuong.wav"
    with wave.open(str(recording), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(tone.tobytes())
    broken = tmp_path / "hong.mp3"
    broken.write_bytes(b"ID3" + b"\0" * 4000)
    with transaction(services.sessions) as s, pytest.raises(LoaError, match="not usable audio"):
        send(services, s, text=None, audio=broken)
    with transaction(services.sessions) as s:
        assert s.scalar(select(Bulletin.id)) is None
        sent = send(services, s, text=None, audio=recording, priority="normal")
        chime_ms = len(default_attention_signal()) * 8 // 64  # 64 kbps
        assert sent.title == "loa-phuong" and sent.text is None
        assert 3000 + chime_ms * 0.8 < sent.duration_ms < 3000 + chime_ms * 1.5 + 1000
        assert services.store.exists(sent.asset_sha256)


def test_a_units_settings_choose_senders_and_its_signal(
    loa: Loa, services: Services, tree: dict, tmp_path: Path
) -> None:
    chime = tmp_path / "keng.wav"
    rate = 22050
    with wave.open(str(chime), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((0.3 * np.sin(np.arange(rate) / 4) * 32767).astype("<i2").tobytes())
    assert "roles must be" in loa("bulletin", "settings", "--unit", "31",
                                  "--emergency-roles", "auditor", ok=False)
    said = loa("bulletin", "settings", "--unit", "31", "--emergency-roles", "operator,leader",
               "--attention", str(chime))
    assert "leader,operator" in said
    with transaction(services.sessions) as s:
        province = get_unit(s, "31")
        own = province.attention_sha256
        from loa.playlists.bulletin_audio import attention_signal

        # the ward inherits the province's signal; Hà Nội keeps the default
        assert attention_signal(get_unit(s, "11560"), services.store) == chime.read_bytes()
        assert attention_signal(get_unit(s, "01"), services.store) != chime.read_bytes()
        assert own is not None
    loa("bulletin", "settings", "--unit", "31", "--inherit-attention")
    with transaction(services.sessions) as s:
        assert get_unit(s, "31").attention_sha256 is None


def test_a_player_added_during_an_emergency_gets_it_when_it_enrols(
    services: Services, tree: dict, client: FlaskClient
) -> None:
    with transaction(services.sessions) as s:
        sent = send(services, s, unit_targets=[get_unit(s, "11560")])
        pending = send(services, s, priority="normal", role="operator", author="xa",
                       text="Họp tổ dân phố.")
        player, token = add_player(s, "TN", "Loa TN mới")
        bulletin_id, new_id = sent.id, player.id
        assert pending.status is BulletinStatus.pending
    assert client.get("/api/v1/player/bulletins", headers=auth(token)).json["bulletins"] == []
    key = Ed25519PrivateKey.generate()
    raw = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    for _ in range(2):  # every agent start enrols again
        assert client.post("/api/v1/player/enroll", json={"public_key": raw},
                           headers=auth(token)).status_code == 201
    listed = client.get("/api/v1/player/bulletins", headers=auth(token)).json["bulletins"]
    assert [b["id"] for b in listed] == [bulletin_id]
    with transaction(services.sessions) as s:
        rows = s.scalars(select(BulletinDelivery.bulletin_id)
                         .where(BulletinDelivery.player_id == new_id)).all()
        assert rows == [bulletin_id]  # not the pending one, and once however often it enrols
