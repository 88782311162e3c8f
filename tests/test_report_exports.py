"""The report a district signs and sends: assessment, shortcomings from the evidence, its
recommendations, and every copy kept and shown again (issue 18 §4)."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import select

import tests.helpers.reports
from loa.compliance import keylog
from loa.compliance.ingest import ingest_events
from loa.db import transaction
from loa.playlists.models import Airing, Programme
from loa.scheduler.settle import settle_airings
from loa.services import Services
from loa.stations.models import Player, Station
from tests.conftest import Loa
from tests.helpers.accounts import logged_in
from tests.helpers.factories import signed_completion
from tests.helpers.reports import JANUARY, pdf_text
from tests.helpers.web import csrf

december = tests.helpers.reports.december  # a shared fixture
pytestmark = pytest.mark.both_databases
WISH = "Đề nghị Ủy ban nhân dân thành phố hỗ trợ thay bộ giải mã cho Đài TH."


@pytest.fixture
def settled(services: Services, december: dict[str, str]) -> None:
    """TH's player played its first airing for one minute only, then nothing; December is
    settled in January (TH: one failed, two missed)."""
    key = Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        player = s.scalars(select(Player).join(Station).where(Station.code == "TH")).one()
        keylog.enrol(s, player, base64.b64encode(key.public_key().public_bytes_raw()).decode(),
                     JANUARY)
        first = s.scalars(select(Airing).where(Airing.station_id == player.station_id)
                          .order_by(Airing.starts_at)).first()
        assert first is not None
        sha = s.get_one(Programme, first.programme_id).master_sha256
        event = signed_completion(key, first, sha or "", played_ms=60_000)
        assert len(ingest_events(s, player, [event], JANUARY).accepted) == 1
        player.last_seen = JANUARY - timedelta(days=3)
        settle_airings(s, JANUARY + timedelta(hours=7), timedelta(minutes=5))


def made_report(browser: Any, **form: str) -> Any:
    token = csrf(browser.get("/reports?period=2026-H2").data)
    return browser.post("/reports", data={"csrf_token": token, **form})


def test_the_leader_reads_why_a_station_failed_and_signs_with_recommendations(
    app: Flask, services: Services, clock: Any, settled: None
) -> None:
    clock.set(JANUARY + timedelta(hours=8))
    tinh = logged_in(app, "tinh")
    assert made_report(tinh, period="2026-H2", number="12", recommendations=WISH
                       ).status_code == 302
    page = tinh.get("/reports").get_data(as_text=True)
    assert "12/BC-UBND" in page and "2026-H2" in page and "tinh" in page
    link = re.search(r'href="(/reports/\d+\.pdf)"', page)
    assert link is not None
    copy = tinh.get(link.group(1))
    assert copy.status_code == 200 and copy.mimetype == "application/pdf"
    assert hashlib.sha256(copy.data).hexdigest()[:12] in page  # the listed copy is this one
    text = pdf_text(copy.data)
    assert "Số: 12/BC-UBND" in text
    assert ("Đài TH (TH), tháng 12/2026, CDS: Chưa đủ lượt phát. Chỉ 0/3 lượt phát đạt yêu "
            "cầu; thiết bị phát mất liên lạc 3 ngày") in text
    assert "2 lượt phát không có báo cáo" in text
    assert "1 lượt không được tính: " in text  # the rule that refused the one-minute play
    assert f"IV. Kiến nghị {WISH}" in text
    assert text.index(WISH) < text.index("TM. ỦY BAN NHÂN DÂN") < text.index("PHỤ LỤC")
    # Shown again later, the copy is the same bytes, whatever happened since.
    assert tinh.get(link.group(1)).data == copy.data
    # A ward's operator neither sees the province's copy nor fetches it.
    xa = logged_in(app, "xa")
    assert "12/BC-UBND" not in xa.get("/reports").get_data(as_text=True)
    assert xa.get(link.group(1)).status_code == 404


def test_a_bad_number_or_a_forged_form_keeps_nothing(app: Flask, december: dict[str, str]) -> None:
    tinh = logged_in(app, "tinh")
    refused = made_report(tinh, period="2026-H2", number="12a", recommendations=WISH)
    assert refused.status_code == 400
    answer = refused.get_data(as_text=True)
    assert "Số văn bản là 1 đến 6 chữ số" in answer and WISH in answer  # the text is not lost
    forged = tinh.post("/reports", data={"period": "2026-H2", "number": "1"})
    assert forged.status_code == 400
    assert "Chưa lập báo cáo nào" in tinh.get("/reports").get_data(as_text=True)


def test_a_month_still_running_reads_in_progress_never_a_failure(
    app: Flask, services: Services, december: dict[str, str]
) -> None:
    """Read on 1 December (START), December has just begun."""
    text = pdf_text(logged_in(app, "tinh").get("/audit.pdf?period=2026-12").data)
    assert "0/0" not in text and "đang thực hiện" in text
    assert "Không có đài nào không đạt yêu cầu trong kỳ." in text


def test_the_command_line_keeps_its_copy_too(
    env: dict[str, str], december: dict[str, str], tmp_path: Path
) -> None:
    loa = Loa({**env, "LOA_NOW": JANUARY.isoformat()})
    sent = tmp_path / "bao-cao.pdf"
    loa("audit", "report", "--unit", "31", "--period", "2026-H2", "--format", "pdf",
        "--number", "7", "--recommendations", WISH, "--by", "tinh", "--output", str(sent))
    listed = loa("audit", "exports", "--unit", "31")
    export_id, period, number, by = listed.split("\t")[:4]
    assert (period, number, by) == ("2026-H2", "số 7", "tinh")
    assert hashlib.sha256(sent.read_bytes()).hexdigest() in listed
    again = tmp_path / "ban-luu.pdf"
    loa("audit", "exports", "--unit", "31", "--id", export_id, "--output", str(again))
    assert again.read_bytes() == sent.read_bytes()
    assert "không có bản báo cáo" in loa("audit", "exports", "--unit", "11557", "--id",
                                          export_id, "--output", str(again), ok=False)
