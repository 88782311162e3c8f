"""Issue 7, findings 1, 2 and 9: impossible plays, late approvals, month close, report periods.

Each test plays a month as players and operators would: events through the player API,
approvals, plans and reports through the `loa` command (DESIGN §6).
"""

from __future__ import annotations

import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook
from sqlalchemy import select

from loa.clock import FrozenClock
from loa.compliance.audit import Reading, station_month_row
from loa.compliance.chain import chain_heads
from loa.compliance.close import Closing, close_month
from loa.compliance.models import AiringLogEntry, StationMonthSnapshot
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.assets import record_asset
from loa.playlists.campaigns import get_campaign
from loa.playlists.models import Airing, AiringStatus, Programme, ProgrammeStatus
from loa.scheduler.closing import close_job
from loa.services import Services
from loa.stations.units import get_unit
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.editor import post
from tests.helpers.factories import Month, enrolled_month, fake_sha, signed_completion
from tests.helpers.reports import pdf_text
from tests.helpers.web import csrf, login

pytestmark = pytest.mark.both_databases  # the database is the point here

VN_MIDNIGHT_1_JAN = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # December ends on the stations
CLOSES = VN_MIDNIGHT_1_JAN + timedelta(days=5)  # LOA_CLOSE_AFTER_DAYS default
JANUARY_3 = VN_MIDNIGHT_1_JAN + timedelta(days=2)


class December:
    """TN's player, enrolled, with December 2026 planned: three relayed airings on TN."""

    def __init__(self, services: Services, client: Any, clock: FrozenClock) -> None:
        self.services, self.client, self.clock = services, client, clock
        self.key = Ed25519PrivateKey.generate()
        with transaction(services.sessions) as s:
            month, _, airings = enrolled_month(services, s, self.key)
            self.month: Month = month
            self.airings = [(a.id, a.starts_at) for a in airings]
            add_user(s, "xa", "mat-khau-xa-2026", "operator", "11560")
            add_user(s, "lanh-dao", "mat-khau-lanh-dao", "leader", "11560")
            add_user(s, "tinh", "mat-khau-tinh-2026", "auditor", "31")

    def completion(self, index: int, **fields: Any) -> dict[str, Any]:
        with self.services.sessions() as s:
            airing = s.get_one(Airing, self.airings[index][0])
            sha256 = fields.pop("sha256", self.month.sha256)
            return signed_completion(self.key, airing, sha256, **fields)

    def send(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        token = self.month.players["TN"][1]
        answer = self.client.post(
            "/api/v1/player/events",
            headers={"Authorization": f"Bearer {token}"},
            json={"events": events},
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    def air_all(self) -> None:
        """Each airing plays in full on time, and is reported a minute after it ends."""
        for index, (_, starts_at) in enumerate(self.airings):
            self.clock.set(starts_at + timedelta(minutes=13))
            assert len(self.send([self.completion(index)])["accepted"]) == 1

    def rendered_commune_programme(self) -> int:
        """Thủy Nguyên's own December programme, rendered and waiting for approval."""
        with transaction(self.services.sessions) as s:
            sha = fake_sha("11560-own")
            record_asset(s, sha, 1000, 660_000, "mp3")
            own = Programme(
                campaign=get_campaign(s, "CDS"),
                unit=get_unit(s, "11560"),
                month="2026-12",
                title="Chuyển đổi số ở Thủy Nguyên",
                status=ProgrammeStatus.rendered,
                master_sha256=sha,
                duration_ms=660_000,
            )
            s.add(own)
            s.flush()
            return own.id


@pytest.fixture
def december(services: Services, client: Any, clock: FrozenClock) -> December:
    return December(services, client, clock)


def at(env: dict[str, str], now: datetime) -> Loa:
    """The `loa` command run at ``now``."""
    return Loa({**env, "LOA_NOW": now.isoformat()})


def report(loa: Loa, *period: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows = json.loads(loa("audit", "report", "--unit", "31", *(period or ("--month", "2026-12"))))
    return {(r["station"], r["month"]): r for r in rows}


def test_completions_posted_before_their_airings_do_not_count(
    december: December, env: dict[str, str], client: Any, clock: FrozenClock
) -> None:
    """Finding 1: three completions at 00:10 on the 1st for airings scheduled later."""
    clock.set(datetime(2026, 11, 30, 17, 10, tzinfo=UTC))  # 00:10 on 1 December in Vietnam
    stamped_now = [december.completion(i, at=clock.now().isoformat()) for i in range(3)]
    stamped_later = [december.completion(i) for i in range(3)]  # a device lying about `at`
    assert len(december.send(stamped_now + stamped_later)["accepted"]) == 6
    tn = report(at(env, JANUARY_3))[("TN", "2026-12")]
    assert (tn["counted"], tn["status"]) == (0, "short")

    login(client, "tinh", "mat-khau-tinh-2026")
    clock.set(JANUARY_3)
    page = client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    assert page.count("lệch quá 5 phút") == 3 and "start off schedule" not in page
    assert page.count("máy chủ nhận trước khi lượt phát có thể kết thúc") == 3
    assert "✓ Có" not in page


def test_plays_off_schedule_wrong_audio_or_cancelled_do_not_count(
    december: December, env: dict[str, str], services: Services
) -> None:
    first, _, third = december.airings
    december.clock.set(third[1] + timedelta(hours=1))
    events = [
        december.completion(0, at=(first[1] + timedelta(minutes=18, seconds=1)).isoformat()),
        december.completion(1, sha256=fake_sha("other audio")),
        december.completion(2, played_ms=683_280),  # 94.9% of 12 minutes
    ]
    assert len(december.send(events)["accepted"]) == 3
    tn = report(at(env, JANUARY_3))[("TN", "2026-12")]
    assert tn["counted"] == 0
    with transaction(services.sessions) as s:  # an airing cancelled before it started
        s.get_one(Airing, first[0]).status = AiringStatus.cancelled
    december.send([december.completion(0)])
    assert report(at(env, JANUARY_3))[("TN", "2026-12")]["counted"] == 0
    on_time = [december.completion(1), december.completion(2)]
    december.send(on_time)
    assert report(at(env, JANUARY_3))[("TN", "2026-12")]["counted"] == 2


def test_a_late_approval_does_not_rewrite_a_past_month(
    december: December, env: dict[str, str]
) -> None:
    """Finding 2: compliant on three relayed airings; the commune then approves its own."""
    december.air_all()
    before = report(at(env, JANUARY_3))[("TN", "2026-12")]
    assert (before["counted"], before["status"]) == (3, "compliant")
    own = december.rendered_commune_programme()
    loa = at(env, JANUARY_3)
    assert "Đã duyệt" in loa("programme", "approve", str(own))
    after = report(loa)[("TN", "2026-12")]
    assert (after["counted"], after["status"]) == (3, "compliant")
    assert after["programme_id"] == own  # what applies now is named; what aired still counts


def test_approving_mid_month_cancels_only_airings_not_yet_started(
    december: December, env: dict[str, str], services: Services
) -> None:
    first, second, _ = december.airings
    december.clock.set(first[1] + timedelta(minutes=13))
    december.send([december.completion(0)])
    own = december.rendered_commune_programme()
    loa = at(env, second[1] - timedelta(hours=1))
    loa("programme", "approve", str(own))
    loa("plan", "--month", "2026-12")
    with services.sessions() as s:
        tn = s.scalars(
            select(Airing).where(Airing.station_id == s.get_one(Airing, first[0]).station_id)
        ).all()
    kept = {a.id for a in tn if a.status is not AiringStatus.cancelled}
    assert first[0] in kept and second[0] not in kept
    assert sum(a.programme_id == own for a in tn) == 2  # 1 relayed aired + 2 of its own
    assert report(loa)[("TN", "2026-12")]["counted"] == 1


def test_the_month_closes_after_the_grace_days_and_its_snapshot_is_final(
    december: December, env: dict[str, str], services: Services, client: Any
) -> None:
    december.air_all()
    december.clock.set(CLOSES - timedelta(seconds=1))
    close_job(services)
    assert report(at(env, CLOSES))[("TN", "2026-12")]["closed"] is False
    december.clock.set(CLOSES)
    close_job(services)
    closed = report(at(env, CLOSES))
    tn, th = closed[("TN", "2026-12")], closed[("TH", "2026-12")]
    # The chain head: the key enrolment (seq 1) and three completions.
    assert tn["closed"] and (tn["counted"], tn["status"], tn["chain_seq"]) == (3, "compliant", 4)
    assert (th["counted"], th["status"]) == (0, "short")
    assert "already closed" in at(env, CLOSES)("audit", "close", "--month", "2026-12")

    # A report that arrives late is stored, shown late, and changes nothing.
    december.clock.set(CLOSES + timedelta(hours=1))
    late = december.completion(0, detail={"ghi chú": "gửi muộn"})
    assert december.send([late])["accepted"] == [late["id"]]
    with services.sessions() as s:
        assert s.scalar(select(AiringLogEntry).where(AiringLogEntry.event_id == late["id"]))
    again = report(at(env, CLOSES + timedelta(days=1)))
    assert again[("TN", "2026-12")] == tn
    login(client, "tinh", "mat-khau-tinh-2026")
    page = client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    assert "Tháng đã khóa sổ" in page and page.count("Đến muộn") == 1
    assert "đến sau khi tháng đã khóa sổ" in page and page.count("✓ Có") == 3


def test_after_close_approve_render_variant_and_plan_are_refused(
    december: December, env: dict[str, str], client: Any, tmp_path: Path
) -> None:
    own = december.rendered_commune_programme()
    recording = tmp_path / "ban-hmong.mp3"
    recording.write_bytes(b"ID3")  # never read: the closed month is refused first
    loa = at(env, JANUARY_3)
    assert "chưa kết thúc" in at(env, VN_MIDNIGHT_1_JAN - timedelta(seconds=1))(
        "audit", "close", "--month", "2026-12", ok=False
    )
    assert "Đã khóa sổ tháng 2026-12" in loa("audit", "close", "--month", "2026-12")
    for args in (("programme", "approve", str(own)), ("programme", "render", str(own)),
                 ("programme", "variant", "add", str(own), str(recording), "--language", "hmn")):
        refused = loa(*args, ok=False)
        assert "Lỗi: Tháng 2026-12 đã khóa sổ" in refused and "(month closed)" in refused
    assert "đã khóa sổ" in loa("plan", "--month", "2026-12", ok=False)
    assert "+" in loa("plan", "--month", "2027-01")  # the next month plans as before

    december.clock.set(JANUARY_3)
    leader = csrf(login(client, "lanh-dao", "mat-khau-lanh-dao").data)
    assert "đã khóa sổ" in post(client, f"/programmes/{own}/approve", leader)
    token = csrf(login(client, "xa", "mat-khau-xa-2026").data)
    page = post(client, f"/programmes/{own}/render", token)
    assert "đã khóa sổ" in page
    with december.services.sessions() as s:
        assert s.get_one(Programme, own).status is ProgrammeStatus.rendered


def test_a_month_not_over_is_in_progress_with_what_is_still_planned(
    december: December, env: dict[str, str]
) -> None:
    first, second, _ = december.airings
    december.clock.set(first[1] + timedelta(minutes=13))
    december.send([december.completion(0)])
    tn = report(at(env, second[1] - timedelta(minutes=1)))[("TN", "2026-12")]
    assert (tn["status"], tn["counted"], tn["still_planned"]) == ("in_progress", 1, 2)
    th = report(at(env, second[1]))[("TH", "2026-12")]
    assert th["status"] == "in_progress"


def test_periods_skip_months_before_the_campaign_and_take_any_range(
    december: December, env: dict[str, str]
) -> None:
    december.air_all()
    loa = at(env, JANUARY_3)
    h2 = report(loa, "--period", "2026-H2")
    assert sorted(h2) == [("TH", "2026-12"), ("TN", "2026-12")]  # began with its December programme
    ranged = report(loa, "--from", "2026-10", "--to", "2027-01")
    assert sorted(month for _, month in ranged) == ["2026-12", "2026-12", "2027-01", "2027-01"]
    assert ranged[("TN", "2027-01")]["status"] == "in_progress"
    assert ranged[("TN", "2026-12")]["status"] == "compliant"
    assert "--to before --from" in loa(
        "audit", "report", "--unit", "31", "--from", "2026-12", "--to", "2026-01", ok=False
    )
    assert "give both --from and --to" in loa(
        "audit", "report", "--unit", "31", "--from", "2026-12", ok=False
    )
    assert "--month, --period or --from/--to" in loa(
        "audit",
        "report",
        "--unit",
        "31",
        "--month",
        "2026-12",
        "--from",
        "2026-12",
        "--to",
        "2026-12",
        ok=False,
    )


def test_web_report_for_a_range_of_months(
    december: December, client: Any, env: dict[str, str]
) -> None:
    december.air_all()
    december.clock.set(JANUARY_3)
    login(client, "tinh", "mat-khau-tinh-2026")
    answer = client.get("/audit.pdf?from=2026-07&to=2026-12")
    assert answer.status_code == 200
    assert "loa-31-2026-07..2026-12.pdf" in answer.headers["Content-Disposition"]
    text = pdf_text(answer.data)
    assert "Kỳ báo cáo: từ tháng 07/2026 đến tháng 12/2026" in text and "khóa sổ" not in text
    at_close = Loa({**env, "LOA_NOW": CLOSES.isoformat()})
    at_close("audit", "close", "--month", "2026-12")
    closed = pdf_text(client.get("/audit.pdf?from=2026-07&to=2026-12").data)
    assert "Đạt (đã khóa sổ)" in closed
    book = load_workbook(io.BytesIO(client.get("/audit.xlsx?from=2026-07&to=2026-12").data))
    header, *rows = book["Chi tiết"].iter_rows(values_only=True)
    verdict = header.index("Kết quả")
    assert sorted((r[0], r[4], r[verdict]) for r in rows) == [
        ("TH", "2026-12", "Chưa đủ lượt phát"), ("TN", "2026-12", "Đạt")]
    assert client.get("/audit.xlsx?from=2026-12&to=2026-07").status_code == 400
    assert client.get("/audit.xlsx?from=2026-12").status_code == 400
    dashboard = client.get("/?month=2026-12").get_data(as_text=True)
    assert 'href="/reports?period=2026-01..2026-12"' in dashboard


def test_two_closes_at_once_write_one_snapshot(december: December, services: Services) -> None:
    december.air_all()
    reading = Reading.of(services.settings, CLOSES)
    start = threading.Barrier(2)

    def close() -> Closing | str:
        start.wait(timeout=10)
        try:
            with transaction(services.sessions) as s:
                return close_month(s, "2026-12", reading)
        except LoaError as err:
            return str(err)

    with ThreadPoolExecutor(2) as pool:
        outcomes = [f.result(timeout=60) for f in [pool.submit(close), pool.submit(close)]]
    closed = [o for o in outcomes if isinstance(o, Closing) and not o.already]
    assert len(closed) == 1 and closed[0].station_months == 2
    for other in outcomes:  # the other waited, then found it closed (either way, no duplicate)
        assert other is closed[0] or "closed" in str(other)
    with transaction(services.sessions) as s:
        assert len(s.scalars(select(StationMonthSnapshot)).all()) == 2
        assert close_month(s, "2026-12", reading) == Closing("2026-12", CLOSES, 2, already=True)


def test_a_verdict_counts_exactly_the_entries_up_to_the_chain_head_it_names(
    december: December,
) -> None:
    """A snapshot names the chain head it was computed from; a completion appended while
    it was being computed (after that head was read) is late, so it must not be counted."""
    december.air_all()  # seq 1: the key; seq 2-4: the three completions
    reading = Reading.of(december.services.settings, JANUARY_3)
    with december.services.sessions() as s:
        station = s.get_one(Airing, december.airings[0][0]).station
        campaign = get_campaign(s, "CDS")
        (seq, head), = chain_heads(s, [station.id]).values()
        assert seq == 4
        older = s.scalar(select(AiringLogEntry.hash).where(
            AiringLogEntry.station_id == station.id, AiringLogEntry.seq == 3))
        whole = station_month_row(s, station, campaign, "2026-12", (seq, head), reading)
        before = station_month_row(s, station, campaign, "2026-12", (3, older), reading)
    assert (whole.counted, whole.status) == (3, "compliant")
    assert (before.counted, before.status, before.chain_seq) == (2, "short", 3)
