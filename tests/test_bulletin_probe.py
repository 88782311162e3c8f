"""Acceptance probes of issue 10 (bulletins): what an operator types, a dishonest player
sends, and a weather text reads; each test shows a defect found and fixed."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from sqlalchemy import func, select

import tests.helpers.bulletins
from loa.audio.normalize import normalize_vi
from loa.clock import FrozenClock
from loa.compliance import keylog
from loa.compliance.models import AiringLogEntry
from loa.compliance.verify import verify_chains
from loa.db import transaction
from loa.playlists.bulletin_delivery import delivery
from loa.playlists.bulletins import get_bulletin
from loa.playlists.models import Bulletin
from loa.services import Services
from loa.stations.models import Player
from tests.conftest import Loa
from tests.helpers.bulletins import _signed, auth, send

tree = tests.helpers.bulletins.tree  # a shared fixture


def test_every_without_repeat_repeats_until_the_window_ends_and_repeat_needs_every(
    loa: Loa, services: Services, tree: dict
) -> None:
    """An emergency `--every 15` alone repeats until it is cancelled or its window ends
    (issue 10); `--repeat 3` without `--every` names what is missing."""
    base = ("bulletin", "send", "--unit", "31", "--priority", "emergency", "--text", "Bão số 3")
    missing = loa(*base, "--repeat", "3", ok=False)
    assert "--every" in missing and "Traceback" not in missing
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count(Bulletin.id))) == 0
    until = (services.clock.now() + timedelta(hours=3)).isoformat()
    bulletin_id = int(loa(*base, "--every", "15", "--until", until).split()[-1])
    with transaction(services.sessions) as s:
        bulletin = s.get_one(Bulletin, bulletin_id)
        assert bulletin.repeat_every_s == 900
        # every quarter hour of the three hours: 0:00, 0:15 … 2:45
        assert bulletin.repeat_count == 12


def test_a_temperature_range_with_the_unit_twice_reads_as_a_range() -> None:
    """"28°C-30°C" read "hai mươi tám độ xê, ba mươi độ xê": a listener hears two readings."""
    assert normalize_vi("Nhiệt độ 28°C-30°C.") == "Nhiệt độ hai mươi tám đến ba mươi độ xê."
    assert normalize_vi("từ 28°C - 30°C") == "từ hai mươi tám đến ba mươi độ xê"
    assert normalize_vi("thấp nhất -3°C") == "thấp nhất âm ba độ xê"


def test_a_completion_of_a_millisecond_or_a_day_is_logged_but_not_counted_as_a_play(
    services: Services, tree: dict, client: FlaskClient, clock: FrozenClock
) -> None:
    """A player that stops a bulletin after 1 ms, or claims a day of a 5 s bulletin, and
    reports it completed did not play it: the delivery table must not show the station as
    completed (airings: at least 95%, at most the length plus the tolerance)."""
    key = Ed25519PrivateKey.generate()
    tn_id, tn_token = tree["TN"]
    with transaction(services.sessions) as s:
        raw = base64.b64encode(key.public_key().public_bytes_raw()).decode()
        keylog.enrol(s, s.get_one(Player, tn_id), raw, clock.now())
        sent = send(services, s)
        bulletin_id, sha, sent_at, ms = (sent.id, sent.asset_sha256, sent.sent_at,
                                         sent.duration_ms)
    assert client.get(f"/api/v1/audio/{sha}", headers=auth(tn_token)).status_code == 200
    start = sent_at + timedelta(seconds=1)
    events = [
        _signed(key, type="bulletin.started", bulletin_id=bulletin_id, sha256=sha,
                at=start.isoformat()),
        _signed(key, type="bulletin.completed", bulletin_id=bulletin_id, sha256=sha,
                played_ms=1, at=(start + timedelta(milliseconds=1)).isoformat()),
        _signed(key, type="bulletin.completed", bulletin_id=bulletin_id, sha256=sha,
                played_ms=86_400_000, at=(start + timedelta(seconds=2)).isoformat()),
    ]
    answer = client.post("/api/v1/player/events", json={"events": events},
                         headers=auth(tn_token)).json
    assert answer["accepted"] == [e["id"] for e in events]  # the log keeps what was signed
    with transaction(services.sessions) as s:
        tn = next(r for r in delivery(s, get_bulletin(s, bulletin_id)) if r.code == "TN")
        assert tn.started_at == start and tn.plays == 0 and tn.completed_at is None
    full = _signed(key, type="bulletin.completed", bulletin_id=bulletin_id, sha256=sha,
                   played_ms=ms, at=(start + timedelta(milliseconds=ms)).isoformat())
    clock.set(start + timedelta(milliseconds=ms, seconds=1))  # reported once it could be over
    client.post("/api/v1/player/events", json={"events": [full]}, headers=auth(tn_token))
    with transaction(services.sessions) as s:
        tn = next(r for r in delivery(s, get_bulletin(s, bulletin_id)) if r.code == "TN")
        assert tn.plays == 1 and tn.completed_at == start + timedelta(milliseconds=ms)
        assert s.scalar(select(func.count(AiringLogEntry.id))
                        .where(AiringLogEntry.bulletin_id == bulletin_id)) == 4
        assert not verify_chains(s).problems


def test_the_command_line_cancels_only_for_a_role_that_may(
    loa: Loa, services: Services, tree: dict
) -> None:
    """`loa bulletin cancel ID --by kiemtra` let an auditor stop an emergency (the web refuses:
    writers cancel, an emergency only a role that may send one); `--by`'s role applies."""
    from loa.web.users import add_user

    with transaction(services.sessions) as s:
        add_user(s, "kiem-tra", "mat-khau-dai-123", "auditor", "31")
        add_user(s, "can-bo", "mat-khau-dai-123", "operator", "11560")
        add_user(s, "lanh-dao", "mat-khau-dai-123", "leader", "11560")
    storm = loa("bulletin", "send", "--unit", "11560", "--priority", "emergency", "--text",
                "Lũ quét, sơ tán ngay.").strip()
    for who in ("kiem-tra", "can-bo"):
        refused = loa("bulletin", "cancel", storm, "--by", who, ok=False)
        assert "may not cancel" in refused and "Traceback" not in refused
    assert f"{storm}\temergency\tactive" in loa("bulletin", "list")
    loa("bulletin", "cancel", storm, "--by", "lanh-dao")
    assert f"{storm}\temergency\tcancelled" in loa("bulletin", "list")


def test_the_installed_server_renders_its_pages_from_any_directory(
    services: Services, env: dict[str, str], tmp_path: Path
) -> None:
    """`loa serve` (the console script: no source folder on sys.path) answered every page
    with a 500, TemplateNotFound: Flask("web") looked for templates in the working folder."""
    code = ("from loa.app import create_app\n"
            "c = create_app().test_client()\n"
            "print(c.get('/login').status_code, c.get('/no-such-page').status_code)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split()[-2:] == ["200", "404"], done.stderr[-2000:]


def test_a_units_signal_is_set_or_inherited_not_both(
    loa: Loa, services: Services, tree: dict, tmp_path: Path
) -> None:
    """`--attention F --inherit-attention` set the file and ignored the other: now refused."""
    import shutil

    chime = tmp_path / "chuong.mp3"
    subprocess.run([shutil.which("ffmpeg") or "ffmpeg", "-loglevel", "error", "-f", "lavfi",
                    "-i", "sine=f=660:d=1", str(chime)], check=True, timeout=60)
    both = loa("bulletin", "settings", "--unit", "11560", "--attention", str(chime),
               "--inherit-attention", ok=False)
    assert "not both" in both and "Traceback" not in both
    with transaction(services.sessions) as s:
        from loa.stations.units import get_unit

        assert get_unit(s, "11560").attention_sha256 is None


def test_a_range_of_days_reads_both_as_days_of_the_month() -> None:
    """"từ 18-20/7" read "từ mười tám đến ngày hai mươi tháng bảy": the first day sounded
    like a bare number and "ngày" landed in the middle."""
    assert normalize_vi("Mưa lớn từ 18-20/7.") == (
        "Mưa lớn từ ngày mười tám đến ngày hai mươi tháng bảy.")
    assert normalize_vi("ngày 18-20/7") == "ngày mười tám đến ngày hai mươi tháng bảy"
    assert normalize_vi("mưa 20-25 mm") == "mưa hai mươi đến hai mươi lăm mi-li-mét"


def test_the_command_line_adds_the_leader_who_approves_and_sends(
    loa: Loa, services: Services, tree: dict
) -> None:
    """`loa user add --role leader` was refused, so a deployment without the web admin had
    nobody to approve an operator's notice or to send an emergency (`--by`)."""
    loa("user", "add", "lanh-dao", "--role", "leader", "--unit", "11560",
        "--password", "mat-khau-dai-123")
    loa("user", "add", "can-bo", "--role", "operator", "--unit", "11560",
        "--password", "mat-khau-dai-123")
    notice = loa("bulletin", "send", "--unit", "11560", "--priority", "normal", "--text",
                 "Họp tổ dân phố lúc 19h30.", "--by", "can-bo").strip()
    loa("bulletin", "approve", notice, "--by", "lanh-dao")
    storm = loa("bulletin", "send", "--unit", "11560", "--priority", "emergency", "--text",
                "Lũ quét, sơ tán ngay.", "--by", "lanh-dao").strip()
    listed = loa("bulletin", "list")
    assert f"{notice}\tnormal\tactive" in listed and f"{storm}\temergency\tactive" in listed
