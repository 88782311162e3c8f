"""Tampering with the airing log, as someone with write access to the database would,
and `loa audit verify` naming the station and seq of each rewrite (issue 7, finding 6)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import tests.helpers.chains
from loa import migrate
from loa.app import build_services
from loa.clock import VN, FrozenClock
from loa.compliance.anchors import checkpoint_file
from loa.compliance.chain import ChainWriter
from loa.compliance.event_checks import signed_body
from loa.compliance.marks import Mark, mark_of, save_marks
from loa.compliance.models import AiringLogEntry, ChainMark
from loa.compliance.verify import station_logs
from loa.db import make_engine, transaction
from loa.playlists.models import Airing
from loa.scheduler.checkpoint import checkpoint_job
from loa.scheduler.service import plan
from loa.settings import Settings
from loa.stations.models import Player, PlayerKey
from loa.stations.players import add_player, enroll_key, revoke_player
from loa.web.users import add_user
from tests.attacker import TRIGGER, attacker, rechain, station_entries
from tests.conftest import Loa
from tests.helpers.admin import post
from tests.helpers.chains import Chain, b64, real_master
from tests.helpers.factories import hai_phong_month, signed_completion
from tests.helpers.reports import pdf_text
from tests.helpers.verify import named, problems
from tests.helpers.web import PASSWORD, login

tn = tests.helpers.chains.tn  # a shared fixture

pytestmark = pytest.mark.both_databases  # the database is the point here


def swap(s: Session, entries: list[AiringLogEntry], one: int, other: int) -> None:
    """Swap the seq of two entries, leaving their hashes as they were."""
    first, second = entries[one].seq, entries[other].seq
    entries[one].seq = -1  # out of the way: (station, seq) is unique
    s.flush()
    entries[other].seq = first
    s.flush()
    entries[one].seq = second
    s.flush()


def test_an_untouched_chain_with_enrolments_revocations_rotations_verifies(
    tn: Chain, loa: Loa
) -> None:
    second = Ed25519PrivateKey.generate()
    tn.enrol(second)  # a new key (e.g. a replaced SD card); the old one still signs past events
    tn.enrol(second)  # enrolling again changes nothing
    tn.complete(5, key=second)
    loa("player", "revoke", str(tn.player_id))
    assert tn.client.post("/api/v1/player/events", json={"events": []},
                          headers=tn.auth).status_code == 401
    tn.token = loa("player", "rotate-token", str(tn.player_id)).split("token: ")[1].strip()
    tn.complete(6, key=second)
    tn.complete(7)
    loa("audit", "checkpoint")
    assert [e.event for e in tn.entries()] == (
        ["key.enrolled"] + ["airing.completed"] * 5 + ["key.enrolled", "airing.completed",
         "player.revoked", "player.token_rotated", "airing.completed", "airing.completed"]
    )
    assert tn.entries()[8].detail == {"by": "loa (dòng lệnh)"}
    out = loa("audit", "verify")
    assert "OK: 12 mục nhật ký, 1 mốc đối chiếu" in out


# Each column an attacker may edit, with an edit that would help a station (or hide a fault).
EDITS: dict[str, Any] = {
    "detail": lambda e, tn: {**e.detail, "ghi chú": "đã sửa"},
    "at": lambda e, tn: e.at + timedelta(minutes=1),
    "played_ms": lambda e, tn: e.played_ms + 1,
    "asset_sha256": lambda e, tn: "b" * 64,
    "airing_id": lambda e, tn: next(a.id for a in tn.airings if a.id != e.airing_id),
    "event": lambda e, tn: "airing.started",
}


def test_an_edited_column_is_named_even_after_rehashing(tn: Chain, loa: Loa) -> None:
    """Each of seq 2-6 gets one column edited (detail too), then the chain is re-hashed
    end to end, so it links again: the signed body gives every edit away."""
    tn.complete(5, 6)  # seq 7-8
    with attacker(tn.services.settings.database_url) as s:
        entries = station_entries(s, tn.station_id)
        for entry, (column, edit) in zip(entries[1:], EDITS.items(), strict=False):
            setattr(entry, column, edit(entry, tn))
        entries[7].event_id = str(uuid.uuid4())
        rechain(s, tn.station_id)
    lines = problems(loa)
    for seq, column in enumerate(EDITS, start=2):
        assert named(lines, seq, f"column {column} differs from the signed event"), (column, lines)
    assert named(lines, 8, "column event_id differs")
    assert len(lines) == 7, lines  # seq 1 (the key) is whole


def test_an_entry_moved_to_another_player_or_resigned_is_caught(tn: Chain, loa: Loa) -> None:
    with transaction(tn.services.sessions) as s:
        other, _ = add_player(s, "TN", "Cụm loa thứ hai")
        other_id = other.id
    with attacker(tn.services.settings.database_url) as s:
        entries = station_entries(s, tn.station_id)
        entries[1].player_id = other_id
        entries[2].signed_body = entries[2].signed_body.replace("720000", "720001")
        entries[3].sig = entries[4].sig
        rechain(s, tn.station_id)
    lines = problems(loa)
    assert [named(lines, seq, "signature does not verify") for seq in (2, 3, 4)] == [True] * 3
    assert len(lines) == 3, lines


def test_an_edit_without_rehashing_breaks_the_chain_there(tn: Chain, loa: Loa) -> None:
    with attacker(tn.services.settings.database_url) as s:
        s.execute(
            text("UPDATE airing_log_entry SET detail = :d WHERE seq = 4 AND station_id = :s"),
            {"d": '{"x": 1}', "s": tn.station_id},
        )
    lines = problems(loa)
    assert named(lines, 4, "hash does not match") and named(lines, 4, "column detail differs")


@pytest.mark.parametrize("renumber", [False, True], ids=["gap", "renumbered"])
def test_a_deleted_middle_entry_is_caught(tn: Chain, loa: Loa, renumber: bool) -> None:
    loa("audit", "checkpoint")  # anchors seq 6
    with attacker(tn.services.settings.database_url) as s:
        s.delete(station_entries(s, tn.station_id)[2])  # seq 3
        s.flush()
        if renumber:
            rechain(s, tn.station_id)
    lines = problems(loa)
    if renumber:  # the chain links again: only the anchor outside the database tells
        assert named(lines, 6, "chain ends at 5, anchored at 6")
    else:
        assert named(lines, 4, "seq 4, expected 3")


def test_a_reordering_is_caught(tn: Chain, loa: Loa) -> None:
    with attacker(tn.services.settings.database_url) as s:
        swap(s, station_entries(s, tn.station_id), 2, 3)
    assert named(problems(loa), 3, "prev_hash does not match")


def test_a_reordering_rehashed_is_caught_by_the_checkpoint(tn: Chain, loa: Loa) -> None:
    loa("audit", "checkpoint")
    with attacker(tn.services.settings.database_url) as s:
        swap(s, station_entries(s, tn.station_id), 2, 3)
        rechain(s, tn.station_id)
    assert named(problems(loa), 6, "hash differs from the anchored head")


def test_a_deleted_tail_after_a_checkpoint_is_caught(tn: Chain, loa: Loa) -> None:
    loa("audit", "checkpoint")  # seq 6
    tn.complete(5)  # seq 7, after the checkpoint
    loa("audit", "checkpoint")  # seq 7
    assert "2 mốc đối chiếu" in loa("audit", "verify")
    with attacker(tn.services.settings.database_url) as s:
        for entry in station_entries(s, tn.station_id)[4:]:
            s.delete(entry)  # seq 5-7: two counted completions and the newest
    lines = problems(loa)
    assert named(lines, 5, "chain ends at 4, anchored at 6")
    assert named(lines, 5, "chain ends at 4, anchored at 7")


def test_a_deleted_tail_is_caught_by_the_month_close_snapshot_without_a_checkpoint(
    tn: Chain, loa: Loa, clock: FrozenClock, env: dict[str, str]
) -> None:
    clock.set(datetime(2027, 1, 2, tzinfo=UTC))
    env["LOA_NOW"] = clock.now().isoformat()
    loa("audit", "close", "--month", "2026-12")  # the snapshot keeps TN's head, seq 6
    with attacker(tn.services.settings.database_url) as s:
        for entry in station_entries(s, tn.station_id)[4:]:
            s.delete(entry)  # seq 5-6, and no checkpoint file was ever written
    lines = problems(loa)
    assert named(lines, 5, "chain ends at 4, anchored at 6")
    assert any("month close 2026-12" in line for line in lines)


def logged(event: dict[str, Any], station_id: int, player_id: int,
           received_at: datetime) -> AiringLogEntry:
    """The log entry the API would have made of ``event`` (unhashed, unnumbered)."""
    return AiringLogEntry(
        station_id=station_id, player_id=player_id, event_id=event["id"],
        event=event["type"], airing_id=event["airing_id"],
        at=datetime.fromisoformat(event["at"]), received_at=received_at,
        asset_sha256=event["sha256"], played_ms=event["played_ms"], detail=event["detail"],
        sig=event["sig"], signed_body=signed_body(event), prev_hash="", hash="",
    )


def test_an_inserted_key_and_what_it_signed_are_caught(tn: Chain, loa: Loa) -> None:
    """A key row added behind the log's back signs nothing through the API (ingest takes
    keys from the chain); what it signed written straight into the log, the row and each
    such completion show in verify."""
    forged = Ed25519PrivateKey.generate()
    with attacker(tn.services.settings.database_url) as s:
        s.add(PlayerKey(player_id=tn.player_id, public_key=forged.public_key().public_bytes_raw(),
                        enrolled_at=tn.services.clock.now()))
    events = [signed_completion(forged, tn.airings[n], tn.sha256) for n in (2, 0)]
    answer = tn.client.post("/api/v1/player/events", json={"events": events}, headers=tn.auth)
    assert answer.json["accepted"] == [] and len(answer.json["rejected"]) == 2, answer.json
    with attacker(tn.services.settings.database_url) as s:
        writer = ChainWriter(s, tn.station_id)
        for event in events:  # seq 7, 8
            writer.append(logged(event, tn.station_id, tn.player_id, tn.services.clock.now()))
    lines = problems(loa)
    assert any(
        f"đài TN: khóa {b64(forged)}" in line and "key row without" in line
        for line in lines
    ), lines
    assert named(lines, 7, "signature does not verify") and named(lines, 8, "signature")
    assert len(lines) == 3, lines


def test_a_changed_key_row_is_caught(tn: Chain, loa: Loa) -> None:
    forged = Ed25519PrivateKey.generate()
    with attacker(tn.services.settings.database_url) as s:
        key = s.scalars(select(PlayerKey)).one()
        key.public_key = forged.public_key().public_bytes_raw()
    lines = problems(loa)
    assert any(b64(forged) in line and "key row without" in line for line in lines)
    assert named(lines, 1, "enrolled key row deleted")


def test_an_entry_of_a_revoked_player_is_caught(tn: Chain, loa: Loa) -> None:
    """A revoked (e.g. stolen) player's key still signs; an entry received after the
    revocation can only have been written behind the API's back."""
    loa("player", "revoke", str(tn.player_id))  # seq 7
    event = signed_completion(tn.key, tn.airings[2], tn.sha256)
    with attacker(tn.services.settings.database_url) as s:
        revoked = station_entries(s, tn.station_id)[-1]
        ChainWriter(s, tn.station_id).append(logged(
            event, tn.station_id, tn.player_id, revoked.received_at + timedelta(seconds=1)))
    assert named(problems(loa), 8, "player was revoked")


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_postgresql_refuses_update_and_delete_of_the_log(tn: Chain, loa: Loa) -> None:
    engine = make_engine(tn.services.settings.database_url)
    try:
        for statement in (
            "UPDATE airing_log_entry SET played_ms = 1",
            "DELETE FROM airing_log_entry WHERE seq = 6",
            "TRUNCATE airing_log_entry",
        ):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        assert len(tn.entries()) == 6
        assert "OK: 6 mục" in loa("audit", "verify")
        with engine.begin() as conn:  # a superuser turns the guard off for good
            conn.execute(text(f"ALTER TABLE airing_log_entry DISABLE TRIGGER {TRIGGER}"))
    finally:
        engine.dispose()
    assert "append-only trigger missing or disabled" in loa("audit", "verify", ok=False)


BROKEN_LABEL = "Nhật ký bị sửa đổi (evidence broken), seq 3"


def test_reports_mark_a_tampered_station_evidence_broken_naming_the_seq(
    tn: Chain, loa: Loa, tmp_path: Path
) -> None:
    """TN aired its three airings and reads compliant, until one entry's detail is edited."""

    def tn_row() -> dict[str, Any]:
        report = json.loads(loa("audit", "report", "--unit", "31", "--month", "2026-12"))
        return next(r for r in report if r["station"] == "TN")

    assert (tn_row()["status"], tn_row()["broken_seq"]) == ("compliant", None)
    with attacker(tn.services.settings.database_url) as s:
        entry = station_entries(s, tn.station_id)[2]
        entry.detail = {"ghi chú": "đã sửa"}
        rechain(s, tn.station_id)
    row = tn_row()
    assert (row["status"], row["broken_seq"], row["counted"]) == ("evidence_broken", 3, 3)
    rows = csv.DictReader(io.StringIO(loa("audit", "report", "--unit", "31", "--month",
                                           "2026-12", "--format", "csv")))
    assert {(r["station"], r["status"], r["broken_seq"]) for r in rows} == {
        ("TN", "evidence_broken", "3"), ("TH", "in_progress", "")}
    book, pdf = tmp_path / "bao-cao.xlsx", tmp_path / "bao-cao.pdf"
    for fmt, path in (("xlsx", book), ("pdf", pdf)):
        loa("audit", "report", "--unit", "31", "--month", "2026-12", "--format", fmt,
            "--output", str(path))
    detail = list(load_workbook(book)["Chi tiết"].iter_rows(min_row=2, values_only=True))
    assert any(r[0] == "TN" and BROKEN_LABEL in r for r in detail)
    assert "Đài TN (TN) 12/2026 CDS 3 3 12:00 " + BROKEN_LABEL in pdf_text(pdf.read_bytes())

    with transaction(tn.services.sessions) as s:
        add_user(s, "tinh", PASSWORD, "auditor", "31")
    login(tn.client, "tinh")
    on_page = "Nhật ký bị sửa đổi, seq 3"  # pages are Vietnamese only (English on the switch)
    assert on_page in tn.client.get("/?month=2026-12").get_data(as_text=True)
    evidence = tn.client.get("/audit/TN/2026-12?campaign=CDS").get_data(as_text=True)
    assert on_page in evidence


def test_checkpoints_come_from_the_daily_job_and_a_damaged_file_shows(
    tn: Chain, loa: Loa
) -> None:
    checkpoint_job(tn.services)  # its trigger, 00:30 daily, is checked in test_runtime
    path = checkpoint_file(tn.services.settings.home)
    line = json.loads(path.read_text(encoding="utf-8"))
    today = tn.services.clock.now().astimezone(VN).date()
    assert line["date"] == today.isoformat()  # the scheduler's day in Vietnam
    assert [(s["station"], s["seq"]) for s in line["stations"]] == [("TN", 6)]
    assert line["stations"][0]["hash"] == tn.entries()[-1].hash
    assert "1 mốc đối chiếu" in loa("audit", "verify")
    with path.open("a", encoding="utf-8") as out:
        out.write('{"date": "2026-12-3\n')  # a line cut short, e.g. a disk filled up
    assert any("checkpoint line 2 is unreadable" in line for line in problems(loa))


def test_keys_and_revocations_before_the_migration_are_backfilled_into_the_chains(
    settings: Settings, clock: FrozenClock, loa: Loa, tmp_path: Path
) -> None:
    """A deployment upgraded with keys and logged events: each key becomes a backfilled
    key.enrolled at its chain's end, valid for what it signed before, and verify passes."""
    config = migrate.alembic_config(settings.database_url)
    before = ScriptDirectory.from_config(config).get_revision("0005_tamper").down_revision
    # Seeded with today's models (later revisions add columns), with keys and revocations
    # written the old way, without chain entries; then taken back to before the revision.
    migrate.upgrade(settings.database_url)
    services = build_services(settings, clock=clock)
    key = Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        month = hai_phong_month(services, s)
        sha256 = real_master(services, s, month.programme_id, tmp_path)
        plan(s, "2026-12", clock.now(), services.settings.airing_gap)
        player = s.get_one(Player, month.players["TN"][0])
        enroll_key(s, player, b64(key), clock.now())  # before this revision: no chain entry
        airing = s.scalars(select(Airing).where(Airing.station_id == player.station_id)).first()
        event = signed_completion(key, airing, sha256)  # taken as the code before it did
        ChainWriter(s, player.station_id).append(
            logged(event, player.station_id, player.id, clock.now()))
        revoke_player(s, month.players["TH"][0])
    services.sessions.kw["bind"].dispose()
    command.downgrade(config, str(before))
    migrate.upgrade(settings.database_url)
    with transaction(services.sessions) as s:
        log = s.scalars(select(AiringLogEntry).order_by(AiringLogEntry.id)).all()
        tn_id, th_id = month.players["TN"][0], month.players["TH"][0]
        assert [(e.player_id, e.seq, e.event, e.detail.get("backfilled")) for e in log] == [
            (tn_id, 1, "airing.completed", None),
            (tn_id, 2, "key.enrolled", True),
            (th_id, 1, "player.revoked", True),
        ]
    assert "OK: 3 mục nhật ký" in loa("audit", "verify")
    services.sessions.kw["bind"].dispose()


def test_a_non_canonical_event_id_plants_no_false_alarm(tn: Chain, loa: Loa) -> None:
    """A player signs an id in upper case or as urn:uuid:; whether the server takes it
    (stored normalised) or refuses it, the genuine entry must not read as tampered."""
    for form in (str.upper, lambda i: f"urn:uuid:{i}"):
        event = signed_completion(tn.key, tn.airings[0], tn.sha256, form(str(uuid.uuid4())))
        answer = tn.client.post("/api/v1/player/events", json={"events": [event]},
                                headers=tn.auth)
        assert answer.status_code in (200, 400), answer.json
    assert "OK:" in loa("audit", "verify")


def test_revoke_and_rotate_on_the_admin_pages_are_chain_entries(tn: Chain, loa: Loa) -> None:
    with transaction(tn.services.sessions) as s:
        add_user(s, "quantri", PASSWORD, "admin", "31")
    login(tn.client, "quantri")
    post(tn.client, f"/admin/players/{tn.player_id}/revoke")
    post(tn.client, f"/admin/players/{tn.player_id}/revoke")  # again: nothing new to log
    post(tn.client, f"/admin/players/{tn.player_id}/rotate")
    assert [(e.seq, e.event, e.detail) for e in tn.entries()[6:]] == [
        (7, "player.revoked", {"by": "quantri"}),
        (8, "player.token_rotated", {"by": "quantri"}),
    ]
    assert "OK: 8 mục" in loa("audit", "verify")


def tn_report(loa: Loa) -> tuple[str, int | None]:
    """TN's (status, broken_seq) in the December report of Hải Phòng."""
    report = json.loads(loa("audit", "report", "--unit", "31", "--month", "2026-12"))
    row = next(r for r in report if r["station"] == "TN")
    return row["status"], row["broken_seq"]


def tn_mark(tn: Chain) -> tuple[int, str] | None:
    with tn.services.sessions() as s:
        mark = s.get(ChainMark, tn.station_id)
        return (mark.seq, mark.hash) if mark else None


@pytest.mark.parametrize("rehash", [False, True], ids=["edited", "rehashed"])
def test_a_report_marks_the_chain_and_still_catches_an_entry_edited_after_the_mark(
    tn: Chain, loa: Loa, rehash: bool
) -> None:
    assert tn_mark(tn) is None
    assert tn_report(loa) == ("compliant", None)
    assert tn_mark(tn) == (6, tn.entries()[-1].hash)  # verified once, up to the head
    tn.complete(0, 1)  # seq 7-8, past the mark
    with attacker(tn.services.settings.database_url) as s:
        station_entries(s, tn.station_id)[7].played_ms = 720_001
        if rehash:
            rechain(s, tn.station_id)
    assert tn_report(loa) == ("evidence_broken", 8)
    assert tn_mark(tn) == (6, tn.entries()[5].hash)  # a broken chain is not marked further


@pytest.mark.parametrize("attack", ["edited", "rehashed", "mark rewritten"])
def test_an_entry_edited_before_the_mark_is_caught_and_named(
    tn: Chain, loa: Loa, attack: str
) -> None:
    """The mark vouches for seq 1-6 only while they hold what was verified: an edit
    without re-hashing breaks the chain; re-hashed, the chain no longer reaches the
    mark's hash; with the mark rewritten too, its tag no longer verifies (the key is
    derived from the server's secret, not in the database). Either way the station is
    verified whole again and the edited seq named."""
    assert tn_report(loa) == ("compliant", None)
    with attacker(tn.services.settings.database_url) as s:
        station_entries(s, tn.station_id)[2].detail = {"ghi chú": "đã sửa"}
        if attack != "edited":
            rechain(s, tn.station_id)
        if attack == "mark rewritten":
            forged = mark_of(station_logs(s, [tn.station_id])[tn.station_id])
            s.execute(
                update(ChainMark).where(ChainMark.station_id == tn.station_id)
                .values(seq=forged.seq, hash=forged.hash, digest=forged.digest)
            )
    assert tn_report(loa) == ("evidence_broken", 3)
    assert named(problems(loa), 3, "column detail differs")


def test_a_mark_made_with_the_servers_secret_is_trusted_by_reports_not_by_verify(
    tn: Chain, loa: Loa
) -> None:
    """What a mark vouches for is not checked again by reports, so the mark is only as
    safe as the secret: whoever holds it can mark a forged entry. `loa audit verify`
    checks every entry whatever the marks say, and still names it."""
    with attacker(tn.services.settings.database_url) as s:
        entries = station_entries(s, tn.station_id)
        entries[2].sig = entries[3].sig
        rechain(s, tn.station_id)
    with transaction(tn.services.sessions) as s:  # the server's sessions hold the key
        save_marks(s, {tn.station_id: mark_of(station_logs(s, [tn.station_id])[tn.station_id])})
    assert tn_report(loa) == ("compliant", None)
    assert named(problems(loa), 3, "signature does not verify")


def test_a_mark_that_no_longer_matches_an_intact_chain_is_made_again(
    tn: Chain, loa: Loa
) -> None:
    """E.g. the log restored onto the other database, whose driver gives the same entries
    back in another form: the station is verified whole, and marked anew."""
    head = tn.entries()[-1]
    with transaction(tn.services.sessions) as s:
        save_marks(s, {tn.station_id: Mark(head.seq, head.hash, "0" * 64)})
    assert tn_report(loa) == ("compliant", None)
    with tn.services.sessions() as s:
        made = s.get_one(ChainMark, tn.station_id)
        current = mark_of(station_logs(s, [tn.station_id])[tn.station_id])
        assert (made.seq, made.digest) == (6, current.digest) != (6, "0" * 64)
