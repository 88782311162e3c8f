"""One month of one campaign through every room, by the command line and the player API."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import subprocess
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook
from sqlalchemy import select, text

from loa.app import build_services, create_app
from loa.canonical import canonical_json
from loa.clock import VN, FrozenClock
from loa.db import transaction
from loa.playlists.models import Airing, AiringStatus
from loa.settings import load_settings
from loa.stations.models import Station
from loa.web.users import add_user
from tests.attacker import attacker
from tests.conftest import START, Loa
from tests.helpers.web import login

pytestmark = pytest.mark.both_databases  # the database is the point here


class Player:
    """A station's player speaking protocol v1, with its own signing key."""

    def __init__(self, client: Any, token: str) -> None:
        self.client, self.key = client, Ed25519PrivateKey.generate()
        self.headers = {"Authorization": f"Bearer {token}"}
        raw = self.key.public_key().public_bytes_raw()
        answer = client.post(
            "/api/v1/player/enroll",
            headers=self.headers,
            json={"public_key": base64.b64encode(raw).decode()},
        )
        assert answer.status_code in (200, 201), answer.get_json()

    def schedule(self) -> list[dict[str, Any]]:
        answer = self.client.get("/api/v1/player/schedule", headers=self.headers)
        assert answer.status_code == 200
        return answer.get_json()["airings"]

    def event(
        self, airing: dict[str, Any], kind: str = "airing.completed", **kw: Any
    ) -> dict[str, Any]:
        duration = timedelta(milliseconds=airing["programme"]["duration_ms"])
        ended = (datetime.fromisoformat(airing["starts_at"]) + duration).isoformat()
        event = {
            "id": str(uuid.uuid4()),
            "type": kind,
            "airing_id": airing["id"],
            "at": ended,
            "sha256": airing["audio"]["sha256"],
            "played_ms": airing["programme"]["duration_ms"],
            "detail": {},
        }
        event.update(kw)
        signature = self.key.sign(canonical_json(event).encode())
        return {**event, "sig": base64.b64encode(signature).decode()}

    def send(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        answer = self.client.post(
            "/api/v1/player/events", headers=self.headers, json={"events": events}
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()


def _jingle(folder: Path) -> Path:
    path = folder / "nhac-hieu.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=660:duration=1.5",
            path,
        ],
        check=True,
    )
    return path


def _programme(folder: Path, name: str, unit: str, title: str, text_: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'title = "{title}"\ncampaign = "CDS"\nunit = "{unit}"\nmonth = "2026-12"\n\n'
        '[[segments]]\njingle = "nhac-hieu.mp3"\n\n'
        f'[[segments]]\ntts = "{text_}"\n\n[[segments]]\nsilence = 1.5\n',
        encoding="utf-8",
    )
    return path


def _seed(loa: Loa, folder: Path) -> dict[str, str]:
    loa("init")
    loa("unit", "add", "31", "Thành phố Hải Phòng", "--level", "province")
    loa("unit", "add", "31-TN", "Thủy Nguyên", "--level", "district", "--parent", "31")
    loa("unit", "add", "11560", "Phường Thủy Nguyên", "--level", "commune", "--parent", "31-TN")
    loa("unit", "add", "11557", "Phường Thiên Hương", "--level", "commune", "--parent", "31-TN")
    loa("unit", "add", "11311", "Xã An Hưng", "--level", "commune", "--parent", "31")
    tokens = {}
    for code, unit in (("TN", "11560"), ("TH", "11557"), ("AH", "11311")):
        loa("station", "add", code, "--unit", unit, "--name", f"Đài {code}")
        out = loa("player", "add", code, "--name", f"Cụm loa {code}")
        tokens[code] = out.split("token: ")[1].split()[0]
    # Short bounds keep the test fast; the 10-15 minute default is the rule's own test.
    loa(
        "campaign",
        "add",
        "CDS",
        "--title",
        "Chuyển đổi số",
        "--unit",
        "31",
        "--min-minutes",
        "0.05",
        "--max-minutes",
        "1",
    )
    loa(
        "campaign",
        "add",
        "ATGT",
        "--title",
        "An toàn giao thông",
        "--unit",
        "31-TN",
        "--min-minutes",
        "0.05",
        "--max-minutes",
        "1",
    )
    _jingle(folder)
    return tokens


def _render_and_approve(loa: Loa, toml: Path) -> int:
    programme_id = int(loa("programme", "import", str(toml)).strip().splitlines()[-1])
    out = loa("programme", "render", str(programme_id))
    assert "sha256: " in out
    loa("programme", "approve", str(programme_id))
    return programme_id


def test_one_month_end_to_end(tmp_path: Path, env: dict[str, str]) -> None:
    loa = Loa(env)
    tokens = _seed(loa, tmp_path)
    province = _programme(
        tmp_path,
        "tinh",
        "31",
        "Chuyển đổi số tháng 12",
        "Kế hoạch số 29/KH-UBND ngày 09/02/2022: phát lại 03 lần/tháng.",
    )
    commune = _programme(
        tmp_path,
        "xa",
        "11311",
        "Chuyển đổi số ở An Hưng",
        "Xã An Hưng tự sản xuất chương trình chuyển đổi số của xã.",
    )
    province_id = _render_and_approve(loa, province)
    commune_id = _render_and_approve(loa, commune)

    plan_out = loa("plan", "--month", "2026-12")
    assert "ATGT" in plan_out and "chưa có chương trình" in plan_out
    assert loa("plan", "--month", "2026-12").count("+0") == plan_out.count("\n")  # idempotent

    clock = FrozenClock(START)
    services = build_services(load_settings(env), clock=clock)
    with services.sessions() as s:
        # Approving planned the month: the commune's approval cancelled AH's relayed airings.
        airings = s.execute(
            select(Station.code, Airing.programme_id, Airing.starts_at)
            .join(Station)
            .where(Airing.status != AiringStatus.cancelled)
        ).all()
    by_station: dict[str, list[Any]] = {}
    for code, programme_id, starts_at in airings:
        by_station.setdefault(code, []).append((programme_id, starts_at))
    assert {c: len(v) for c, v in by_station.items()} == {"TN": 3, "TH": 3, "AH": 3}
    assert {p for p, _ in by_station["AH"]} == {commune_id}  # the commune's own replaces
    assert {p for p, _ in by_station["TN"]} == {province_id}  # the province's is relayed
    for _, _, starts_at in airings:
        local = starts_at.astimezone(VN)
        assert local.strftime("%Y-%m") == "2026-12"
        assert local.strftime("%H:%M") >= "05:30"

    client = create_app(services, {"TESTING": True}).test_client()
    tn, th, ah = (Player(client, tokens[c]) for c in ("TN", "TH", "AH"))
    tn_air, th_air, ah_air = tn.schedule(), th.schedule(), ah.schedule()
    assert len(tn_air) == len(th_air) == len(ah_air) == 3
    audio = client.get(tn_air[0]["audio"]["url"], headers=tn.headers)
    assert hashlib.sha256(audio.data).hexdigest() == tn_air[0]["audio"]["sha256"]

    clock.set(datetime(2027, 1, 1, 1, 0, tzinfo=VN))  # the month is over; players report
    loa = Loa({**env, "LOA_NOW": clock.now().isoformat()})
    # TN: three full airings, then the same batch again (a retry after a lost answer).
    batch = [tn.event(a) for a in tn_air]
    assert len(tn.send(batch)["accepted"]) == 3
    assert len(tn.send(batch)["accepted"]) == 3
    # TH: two full, one partial, one with other audio: only two count.
    partial = th.event(th_air[2], played_ms=th_air[2]["programme"]["duration_ms"] // 2)
    wrong = th.event(th_air[2], sha256="0" * 64)
    th.send([th.event(th_air[0]), th.event(th_air[1]), partial, wrong])
    # AH: its own three, and one claiming TN's airing, which is refused.
    answer = ah.send([ah.event(a) for a in ah_air] + [ah.event(tn_air[0])])
    assert len(answer["accepted"]) == 3 and len(answer["rejected"]) == 1

    report = json.loads(loa("audit", "report", "--unit", "31", "--month", "2026-12"))
    got = {
        (r["station"], r["campaign"]): (r["required"], r["counted"], r["status"]) for r in report
    }
    assert got == {
        ("TN", "CDS"): (3, 3, "compliant"),
        ("TH", "CDS"): (3, 2, "short"),
        ("AH", "CDS"): (3, 3, "compliant"),
        ("TN", "ATGT"): (3, 0, "no_programme"),
        ("TH", "ATGT"): (3, 0, "no_programme"),
    }
    tn_row = next(r for r in report if r["station"] == "TN" and r["campaign"] == "CDS")
    assert tn_row["programme_sha256"] == tn_air[0]["audio"]["sha256"]
    assert 3 <= tn_row["programme_duration_s"] <= 60
    rows = list(
        csv.DictReader(
            io.StringIO(
                loa("audit", "report", "--unit", "11557", "--month", "2026-12", "--format", "csv")
            )
        )
    )
    assert [(r["station"], r["counted"], r["status"]) for r in rows] == [
        ("TH", "0", "no_programme"),  # ATGT: its district made no programme
        ("TH", "2", "short"),
    ]

    workbook = tmp_path / "bao-cao-6-thang.xlsx"
    loa(
        "audit",
        "report",
        "--unit",
        "31",
        "--period",
        "2026-H2",
        "--format",
        "xlsx",
        "--output",
        str(workbook),
    )
    summary = list(load_workbook(workbook)["Tổng hợp"].iter_rows(min_row=3, values_only=True))
    # December only: the campaign began then (its first programme), so July-November are absent.
    assert ("TN", "Đài TN", "CDS", 1, 1) in summary
    assert ("TH", "Đài TH", "CDS", 0, 1) in summary
    assert "--output" in loa(
        "audit", "report", "--unit", "31", "--period", "2026", "--format", "xlsx", ok=False
    )

    _auditor_sees_the_evidence(services, client)

    assert "OK" in loa("audit", "verify")
    with attacker(env["LOA_DATABASE_URL"]) as conn:
        conn.execute(
            text(
                "UPDATE airing_log_entry SET played_ms = 1 WHERE seq = 2 AND "
                "station_id = (SELECT id FROM station WHERE code = 'TN')"
            )
        )
    services.sessions.kw["bind"].dispose()
    broken = loa("audit", "verify", ok=False)
    assert "TN" in broken and "seq=2" in broken


def test_bad_input_gets_a_clear_message_and_exit_1(tmp_path: Path, env: dict[str, str]) -> None:
    loa = Loa(env)
    loa("init")
    assert "Không tìm thấy đơn vị" in loa(
        "station", "add", "X", "--unit", "NOPE", "--name", "X", ok=False
    )
    loa("unit", "add", "31", "Hải Phòng", "--level", "province")
    assert "cần --parent" in loa("unit", "add", "1", "Xã", "--level", "commune", ok=False)
    assert "đã tồn tại" in loa("unit", "add", "31", "Hải Phòng", "--level", "province", ok=False)
    loa("unit", "add", "11560", "Phường Thủy Nguyên", "--level", "commune", "--parent", "31")
    assert "Khung giờ" in loa(
        "station",
        "add",
        "S",
        "--unit",
        "11560",
        "--name",
        "S",
        "--windows",
        "18:00-17:00",
        ok=False,
    )
    assert "YYYY-MM" in loa("plan", "--month", "2026-13", ok=False)
    broken = tmp_path / "hong.toml"
    broken.write_text('title = "x"\ncampaign = ', encoding="utf-8")
    assert "Không đọc được" in loa("programme", "import", str(broken), ok=False)


def test_too_short_programme_cannot_be_approved(tmp_path: Path, env: dict[str, str]) -> None:
    loa = Loa(env)
    loa("init")
    loa("unit", "add", "31", "Hải Phòng", "--level", "province")
    loa("campaign", "add", "CDS", "--title", "Chuyển đổi số", "--unit", "31")  # 10-15 minutes
    _jingle(tmp_path)
    programme_id = int(
        loa(
            "programme", "import", str(_programme(tmp_path, "ngan", "31", "Quá ngắn", "Một câu."))
        ).strip()
    )
    rendered = loa("programme", "render", str(programme_id))
    assert "ngắn hơn mức tối thiểu" in rendered
    refused = loa("programme", "approve", str(programme_id), ok=False)
    assert "Không thể duyệt" in refused and "phút" in refused


def _auditor_sees_the_evidence(services: Any, client: Any) -> None:
    """The district auditor opens TH's month and reads why each completion counts or not."""
    with transaction(services.sessions) as s:
        add_user(s, "huyen", "mat-khau-huyen", "auditor", "31-TN")
    login(client, "huyen", "mat-khau-huyen")
    page = client.get("/audit/TH/2026-12?campaign=CDS").get_data(as_text=True)
    assert "Chưa đủ lượt phát" in page and "đã phát 2/3 lượt" in page
    assert page.count("✓ Có") == 2
    assert "chỉ phát 50.0%, cần 95%" in page and "âm thanh khác với lượt phát" in page
    assert client.get("/audit/AH/2026-12?campaign=CDS").status_code == 404  # not the district's
