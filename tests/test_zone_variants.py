"""A programme recorded in H'Mông: the Nà Hang zone's players fetch and play it, and it counts
there (design §4 "Loudspeaker zones", §5, §6)."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loa import migrate
from loa.app import build_services
from loa.clock import FrozenClock
from loa.compliance import keylog
from loa.compliance.ingest import ingest_events
from loa.db import transaction
from loa.playlists.variants import add_variant
from loa.services import Services
from loa.settings import Settings
from loa.stations.models import Player
from loa.stations.players import add_player
from loa.stations.zones import add_zone
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.editor import tone
from tests.helpers.factories import enrolled_month, signed_completion
from tests.helpers.publishers import RecordingPublisher
from tests.helpers.reports import JANUARY
from tests.helpers.web import PASSWORD, login

HMONG_S = 660  # 11 minutes, within the campaign's 10-15


@pytest.fixture(scope="module")
def hmong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone(tmp_path_factory.mktemp("variant") / "hmong.mp3", HMONG_S)


@pytest.fixture
def station(services: Services) -> dict[str, Any]:
    return two_zone_station(services)


def two_zone_station(services: Services) -> dict[str, Any]:
    """TN's December planned; its centre player (zone chung, enrolled) and a Nà Hang
    (H'Mông) player, enrolled, with its token."""
    centre, far_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        month, player, airings = enrolled_month(services, s, centre)
        add_zone(s, "TN", "na-hang", "Cụm thôn Nà Hang", "hmn")
        far, token = add_player(s, "TN", "Loa Nà Hang", zone_code="na-hang")
        raw = base64.b64encode(far_key.public_key().public_bytes_raw()).decode()
        keylog.enrol(s, far, raw, services.clock.now())
        centre_token = month.players["TN"][1]
        return {"programme": month.programme_id, "master": month.sha256, "airings": airings,
                "keys": (centre, far_key), "players": (player.id, far.id),
                "tokens": (centre_token, token)}


def add_hmong(env: dict[str, str], programme_id: int, file: Path) -> str:
    said = Loa(env)("programme", "variant", "add", str(programme_id), str(file),
                    "--language", "hmn")
    return said.rsplit("sha256 ", 1)[1].strip()


def schedule(client: Any, token: str) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/player/schedule",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return answer.get_json()["airings"]


def test_the_hmong_zone_fetches_the_variant_and_the_centre_the_master(
        client: Any, env: dict[str, str], station: dict[str, Any], hmong: Path) -> None:
    variant = add_hmong(env, station["programme"], hmong)
    centre, far = (schedule(client, t) for t in station["tokens"])
    assert centre and {a["audio"]["sha256"] for a in centre} == {station["master"]}
    assert {a["audio"]["sha256"] for a in far} == {variant}
    assert {a["programme"]["duration_ms"] for a in far} == {HMONG_S * 1000}
    assert {a["audio"]["url"] for a in far} == {f"/api/v1/audio/{variant}"}
    got = client.get(f"/api/v1/audio/{variant}",
                     headers={"Authorization": f"Bearer {station['tokens'][1]}"})
    assert got.status_code == 200 and got.data == hmong.read_bytes()
    # the Vietnamese zone has no business with it
    refused = client.get(f"/api/v1/audio/{variant}",
                         headers={"Authorization": f"Bearer {station['tokens'][0]}"})
    assert refused.status_code == 404


def completed(key: Ed25519PrivateKey, airing: Any, sha: str, played_ms: int) -> dict[str, Any]:
    at = (airing.starts_at + timedelta(milliseconds=played_ms)).isoformat()
    return signed_completion(key, airing, sha, at=at, played_ms=played_ms)


def test_the_variant_counts_in_its_zone_only(
        services: Services, env: dict[str, str], station: dict[str, Any], hmong: Path) -> None:
    variant = add_hmong(env, station["programme"], hmong)
    airings = station["airings"][:3]
    centre_key, far_key = station["keys"]
    with transaction(services.sessions) as s:
        centre, far = (s.get_one(Player, i) for i in station["players"])
        # the centre plays the master, but also once the H'Mông audio (not its language)
        played = [completed(centre_key, a, station["master"], 720_000) for a in airings[:2]]
        played.append(completed(centre_key, airings[2], variant, HMONG_S * 1000))
        assert len(ingest_events(s, centre, played, JANUARY).accepted) == 3
        heard = [completed(far_key, a, variant, HMONG_S * 1000) for a in airings]
        assert len(ingest_events(s, far, heard, JANUARY).accepted) == 3
    rows = json.loads(Loa(env | {"LOA_NOW": JANUARY.isoformat()})(
        "audit", "report", "--unit", "31", "--month", "2026-12", "--format", "json"))
    row = next(r for r in rows if r["station"] == "TN")
    assert [(z["code"], z["counted"]) for z in row["zones"]] == [("chung", 2), ("na-hang", 3)]
    assert (row["status"], row["counted"]) == ("short", 2)


@pytest.mark.parametrize(
    "language,seconds,message",
    [
        ("vi", HMONG_S, "other than vi"),
        ("H'Mông", HMONG_S, "ISO 639"),
        ("km", 5, "out of bounds"),
    ],
)
def test_a_variant_is_refused_in_vietnamese_too_short_or_twice(
        env: dict[str, str], station: dict[str, Any], hmong: Path, tmp_path: Path,
        language: str, seconds: int, message: str) -> None:
    file = hmong if seconds == HMONG_S else tone(tmp_path / "short.mp3", seconds)
    said = Loa(env)("programme", "variant", "add", str(station["programme"]), str(file),
                    "--language", language, ok=False)
    assert message in said


def test_one_variant_per_language(
        env: dict[str, str], station: dict[str, Any], hmong: Path) -> None:
    add_hmong(env, station["programme"], hmong)
    said = Loa(env)("programme", "variant", "add", str(station["programme"]), str(hmong),
                    "--language", "hmn", ok=False)
    assert "variant exists" in said


def test_the_hmong_players_are_told_their_schedule_changed_after_commit(
        settings: Settings, clock: FrozenClock, hmong: Path) -> None:
    """Only the zone of that language hears of it (the centre's schedule is unchanged)."""
    publisher = RecordingPublisher()
    migrate.upgrade(settings.database_url)
    built = build_services(settings, clock=clock, publisher=publisher)
    publisher.services = built
    try:
        found = two_zone_station(built)
        publisher.changed.clear()  # planning the month told both players
        with transaction(built.sessions) as s:
            add_variant(s, built.store, found["programme"], "hmn", hmong, clock.now())
            assert publisher.changed == []  # not before the commit
        assert publisher.changed == [found["players"][1]]
    finally:
        built.sessions.kw["bind"].dispose()


def test_the_evidence_page_names_the_recording_each_play_named(
        services: Services, env: dict[str, str], station: dict[str, Any], hmong: Path,
        client: Any) -> None:
    """The auditor reads which audio each completion played: the master, the H'Mông variant
    (its sha256 in full beside the master's), or neither."""
    variant = add_hmong(env, station["programme"], hmong)
    first = station["airings"][0]
    centre_key, far_key = station["keys"]
    with transaction(services.sessions) as s:
        centre, far = (s.get_one(Player, i) for i in station["players"])
        stray = "ab" * 32
        played = [completed(centre_key, first, station["master"], 720_000),
                  completed(centre_key, station["airings"][1], stray, 720_000)]
        assert len(ingest_events(s, centre, played, JANUARY).accepted) == 2
        heard = [completed(far_key, first, variant, HMONG_S * 1000)]
        assert len(ingest_events(s, far, heard, JANUARY).accepted) == 1
        add_user(s, "tinh", PASSWORD, "auditor", "31")
    login(client, "tinh")
    page = client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    head = " ".join(re.sub(r"<[^>]+>", " ", page[page.index('<p class="hash">'):]
                           .split("</p>")[0]).split())
    assert f"Chương trình (sha256) {station['master']} · Bản tiếng hmn (sha256) {variant}" in head
    log = page[page.index('<table id="log"'):]
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in log[:log.index("</tbody>")].split("<tr")[2:]]
    rows = [row for row in rows if "Phát xong" in row]  # not the keys' enrolment
    assert len(rows) == 3  # by seq: the centre's two, then Nà Hang's
    assert all(f"{sha[:12]}… {said}" in row for row, (sha, said) in zip(rows, [
        (station["master"], "bản chính"), (stray, "âm thanh khác"),
        (variant, "bản ghi âm tiếng hmn")], strict=True))
    assert f'title="{variant}"' in log
    client.get("/lang/en?next=/")
    english = client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    assert "master" in english and "recording in hmn" in english and "other audio" in english
    assert "Recording in hmn (sha256)" in english
