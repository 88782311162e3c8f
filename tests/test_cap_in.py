"""CAP 1.2 in (issue 16 §5): the mapping rules, `loa bulletin import-cap` on the national
centre's storm alerts, once only, Update and Cancel, and hostile XML refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import tests.helpers.bulletins
from loa.db import transaction
from loa.playlists.cap import (
    Area,
    CapError,
    Info,
    UnitName,
    bulletin_text,
    fold,
    match_area,
    pick_info,
    priority_for,
    read_document,
    targets_for,
)
from loa.playlists.cap_models import CapAlert
from loa.playlists.models import (
    Bulletin,
    BulletinDelivery,
    BulletinPriority,
    BulletinStatus,
    BulletinTarget,
)
from loa.services import Services
from loa.stations.models import AdminUnit
from tests.conftest import Loa
from tests.helpers.cap import CAP_DATA, document, official_names

tree = tests.helpers.bulletins.tree  # a shared fixture: Hải Phòng 31 (11560, 11557), Hà Nội


@pytest.mark.parametrize(("severity", "level"), [
    ("Extreme", BulletinPriority.emergency),
    ("Severe", BulletinPriority.priority),
    ("Moderate", BulletinPriority.normal),
    ("Minor", BulletinPriority.normal),
    ("Unknown", BulletinPriority.normal),
    ("", BulletinPriority.normal),
    (" extreme ", BulletinPriority.emergency),  # a sloppy sender still means it
    ("Extremely", BulletinPriority.normal),  # not a CAP value: a person reads it first
])
def test_severity_maps_to_the_bulletin_level(severity: str, level: BulletinPriority) -> None:
    assert priority_for(severity) is level


def _info(language: str, headline: str = "h", **kw: object) -> Info:
    fields: dict = {"event": "Bão", "severity": "Severe", "urgency": "Expected",
                    "certainty": "Likely", "description": "", "instruction": "",
                    "expires": None, "areas": ()}
    return Info(language=language, headline=headline, **(fields | kw))


@pytest.mark.parametrize(("languages", "chosen"), [
    (["en-US", "vi-VN"], 1),
    (["vi-VN", "en-US"], 0),
    (["en-US", "vi"], 1),
    (["en-US", "VI-vn"], 1),
    (["en-US", "fr-FR"], 0),  # no Vietnamese: the first
])
def test_the_vietnamese_info_is_read(languages: list[str], chosen: int) -> None:
    infos = [_info(lang, headline=str(i)) for i, lang in enumerate(languages)]
    assert pick_info(infos) is infos[chosen]
    assert pick_info([]) is None


def test_the_text_reads_headline_description_instruction_in_order() -> None:
    info = _info("vi-VN", headline="Tin bão số 3", description="Gió cấp 10.",
                 instruction="Không ra khơi.")
    assert bulletin_text(info) == "Tin bão số 3\n\nGió cấp 10.\n\nKhông ra khơi."
    assert bulletin_text(_info("vi-VN", headline="Chỉ tiêu đề")) == "Chỉ tiêu đề"


UNITS = [UnitName(1, "31", "Thành phố Hải Phòng"), UnitName(2, "11560", "Phường Thuỷ Nguyên"),
         UnitName(3, "11557", "Phường Thiên Hương"), UnitName(4, "01", "Thành phố Hà Nội"),
         UnitName(5, "00004", "Phường Ba Đình"), UnitName(6, "99001", "Xã Tân Tiến"),
         UnitName(7, "99002", "Xã Tân Tiến")]


@pytest.mark.parametrize(("areas", "ids", "by"), [
    # official codes first: the name is not read when a code matches
    ([Area("Hà Nội", ("31",))], (1,), "geocode"),
    ([Area("x", ("11560", "11557", "77777"))], (2, 3), "geocode"),
    # names, diacritics and the tone mark's place aside (Thủy / Thuỷ), level word or not
    ([Area("Phường Thủy Nguyên", ())], (2,), "name"),
    ([Area("PHUONG THUY NGUYEN", ())], (2,), "name"),
    ([Area("Thủy Nguyên; phường Thiên Hương", ())], (2, 3), "name"),
    ([Area("Hải Phòng và Hà Nội", ())], (1, 4), "name"),
    ([Area("Thành phố Hà Nội", ()), Area("Phường Ba Đình", ())], (4, 5), "name"),
    # a name two units share is no match; nor is an unknown one
    ([Area("Xã Tân Tiến", ())], (), ""),
    ([Area("Quận Hoàn Kiếm", ())], (), ""),
    ([], (), ""),
])
def test_areas_match_units_by_code_then_name(areas: list[Area], ids: tuple, by: str) -> None:
    found = match_area(areas, UNITS)
    assert (found.unit_ids, found.by) == (ids, by)


def test_unmatched_area_parts_are_named() -> None:
    found = match_area([Area("Phường Thủy Nguyên, Xã Tân Tiến, Xã Không Có", ())], UNITS)
    assert found.unit_ids == (2,) and found.unmatched == ("Xã Tân Tiến", "Xã Không Có")
    assert fold("Đồng Hới") == "dong hoi" and fold("Thuỷ") == fold("Thủy") == "thuy"


@pytest.mark.parametrize(("matched", "targets"), [
    ({1}, [10]),  # the province above the commune owner: the owner's whole area
    ({10}, [10]),  # the owner itself
    ({11, 12}, [11, 12]),  # units below it
    ({11, 99}, [11]),  # a unit elsewhere is not its to reach
    ({99}, []),  # not for this unit
    (set(), []),
])
def test_targets_stay_in_the_owner_area(matched: set[int], targets: list[int]) -> None:
    assert targets_for(matched, 10, chain={10, 1}, subtree={10, 11, 12}) == targets


def test_documents_are_read_as_data() -> None:
    alert = read_document(document("storm_alert")).alerts[0]
    assert (alert.identifier, alert.sender, alert.msg_type) == (
        "NCHMF-2026-BAO3-0001", "canhbao@nchmf.gov.vn", "Alert")
    assert alert.sent == datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    cancel = read_document(document("storm_cancel")).alerts[0]
    assert [(r.identifier, r.sent) for r in cancel.references] == [
        ("NCHMF-2026-BAO3-0001", datetime(2026, 12, 1, 0, 30, tzinfo=UTC))]


@pytest.mark.parametrize(("name", "words"), [
    ("billion_laughs", "không an toàn"),
    ("external_entity", "không an toàn"),
])
def test_hostile_documents_are_refused_before_anything_expands(name: str, words: str) -> None:
    with pytest.raises(CapError) as err:
        read_document(document(name))
    assert words in str(err.value) and "unsafe XML refused" in str(err.value)


@pytest.mark.parametrize(("data", "words"), [
    (b"<alert><oops></alert>", "malformed XML"),
    (b"<html><body>502 Bad Gateway</body></html>", "not a CAP 1.2 alert"),
    (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>',
     "lacks identifier"),
    (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier>'
     b"<sender>s</sender><sent>2026-12-01T07:30:00</sent><msgType>Alert</msgType></alert>",
     "no time-zone offset"),
])
def test_documents_that_are_not_cap_are_refused_in_words(data: bytes, words: str) -> None:
    with pytest.raises(CapError) as err:
        read_document(data)
    assert words in str(err.value)


# --- the command, on both databases ------------------------------------------------------

def _bulletins(services: Services) -> list[Bulletin]:
    with transaction(services.sessions) as s:
        found = s.scalars(select(Bulletin).order_by(Bulletin.id)).all()
        for b in found:
            _ = [t.unit_id for t in b.targets]
        return list(found)


def _target_codes(services: Services, bulletin_id: int) -> list[str]:
    with transaction(services.sessions) as s:
        return sorted(s.scalars(select(AdminUnit.code).join(
            BulletinTarget, BulletinTarget.unit_id == AdminUnit.id).where(
            BulletinTarget.bulletin_id == bulletin_id)))


def _import(loa: Loa, name: str, *args: str, ok: bool = True) -> list[list[str]]:
    out = loa("bulletin", "import-cap", str(CAP_DATA / f"{name}.xml"), *args, ok=ok)
    return [line.split("\t") for line in out.strip().splitlines()]


@pytest.mark.both_databases
def test_a_storm_alert_becomes_one_draft_that_waits_for_a_person(
    services: Services, tree: dict, loa: Loa
) -> None:
    official_names(services)
    [[identifier, action, bulletin_id, message]] = _import(loa, "storm_alert", "--unit", "31")
    assert (identifier, action) == ("NCHMF-2026-BAO3-0001", "drafted") and "chờ duyệt" in message
    [draft] = _bulletins(services)
    assert str(draft.id) == bulletin_id
    assert draft.status is BulletinStatus.pending and draft.priority is BulletinPriority.priority
    assert draft.title == "Tin bão gần Biển Đông: cơn bão số 3"
    assert draft.text is not None and draft.text.startswith("Tin bão gần Biển Đông")
    assert "cấp 10, giật cấp 12" in draft.text and "Bà con không ra khơi" in draft.text
    assert "Typhoon" not in draft.text  # the English info is not what communes read
    assert draft.valid_until == datetime(2026, 12, 2, 0, 30, tzinfo=UTC)  # its expires
    assert _target_codes(services, draft.id) == ["31"]
    with transaction(services.sessions) as s:  # nothing reached a player yet
        assert s.scalar(select(func.count()).select_from(BulletinDelivery)) == 0

    # Seen again (a second run, a feed repeating it): imported once.
    [[_, again, same, _]] = _import(loa, "storm_alert", "--unit", "31")
    assert (again, same) == ("duplicate", bulletin_id)
    assert len(_bulletins(services)) == 1

    # A person approves it: only then is it sent to the stations.
    loa("bulletin", "approve", bulletin_id)
    [sent] = _bulletins(services)
    assert sent.status is BulletinStatus.active
    with transaction(services.sessions) as s:
        assert s.scalar(select(func.count()).select_from(BulletinDelivery)) == 2  # TN, TH


@pytest.mark.both_databases
def test_update_links_its_predecessor_and_cancel_stops_the_cancelled_alert(
    services: Services, tree: dict, loa: Loa
) -> None:
    official_names(services)
    [[_, _, first, _]] = _import(loa, "storm_alert")  # the area names Hải Phòng: owner 31
    loa("bulletin", "approve", first)  # the first alert went out
    [[_, action, update, _]] = _import(loa, "storm_update")
    assert action == "drafted"
    by_id = {str(b.id): b for b in _bulletins(services)}
    # Extreme: an emergency, still held for a person; its area named the wards by name
    assert by_id[update].priority is BulletinPriority.emergency
    assert by_id[update].status is BulletinStatus.pending
    assert by_id[update].unit_id == by_id[first].unit_id
    assert _target_codes(services, int(update)) == ["11557", "11560"]
    with transaction(services.sessions) as s:
        record = s.scalar(select(CapAlert).where(CapAlert.bulletin_id == int(update)))
        assert record is not None and record.references_bulletin_id == int(first)
        assert record.msg_type == "Update" and record.severity == "Extreme"
    assert by_id[first].status is BulletinStatus.active  # on air until the newer one is sent
    assert by_id[update].series_id is not None
    assert by_id[update].series_id == by_id[first].series_id  # one storm, one series

    [[_, cancelled, which, message]] = _import(loa, "storm_cancel")
    assert (cancelled, which) == ("cancelled", first) and f"Đã hủy thông báo {first}" in message
    by_id = {str(b.id): b for b in _bulletins(services)}
    assert by_id[first].status is BulletinStatus.cancelled
    assert by_id[update].status is BulletinStatus.pending  # the newer one is not touched
    [[_, again, _, _]] = _import(loa, "storm_cancel")
    assert again == "duplicate"


def test_an_alert_outside_the_unit_makes_nothing_and_an_unknown_area_asks_for_a_unit(
    services: Services, tree: dict, loa: Loa, tmp_path: Path
) -> None:
    official_names(services)
    [[_, action, bulletin, message]] = _import(loa, "hanoi_flood", "--unit", "31")
    assert (action, bulletin) == ("skipped", "-") and "not this unit's" in message
    assert not _bulletins(services)
    [[_, action, _, _]] = _import(loa, "hanoi_flood")  # by its geocode: Ba Đình owns it
    [draft] = _bulletins(services)
    assert action == "drafted" and draft.priority is BulletinPriority.normal
    with transaction(services.sessions) as s:
        assert s.get_one(AdminUnit, draft.unit_id).code == "00004"

    nowhere = document("hanoi_flood").replace(b"<value>00004</value>", b"<value>0</value>")
    nowhere = nowhere.replace(b"HN-PCTT-2026-0412", b"HN-PCTT-2026-0413").replace(
        "Phường Ba Đình, Thành phố Hà Nội".encode(), "Quận Hoàn Kiếm".encode())
    (tmp_path / "nowhere.xml").write_bytes(nowhere)
    out = loa("bulletin", "import-cap", str(tmp_path / "nowhere.xml"))
    assert "skipped" in out and "give --unit" in out


def test_exercises_and_tests_never_become_bulletins(
    services: Services, tree: dict, loa: Loa, tmp_path: Path
) -> None:
    drill = document("storm_alert").replace(b"<status>Actual</status>",
                                            b"<status>Exercise</status>")
    (tmp_path / "drill.xml").write_bytes(drill)
    out = loa("bulletin", "import-cap", str(tmp_path / "drill.xml"), "--unit", "31")
    assert "skipped" in out and "only Actual" in out and not _bulletins(services)


@pytest.mark.parametrize("name", ["billion_laughs", "external_entity"])
def test_the_command_refuses_hostile_xml_with_a_message(
    services: Services, tree: dict, loa: Loa, name: str
) -> None:
    out = loa("bulletin", "import-cap", str(CAP_DATA / f"{name}.xml"), "--unit", "31", ok=False)
    assert "Lỗi: Từ chối tài liệu XML không an toàn" in out and "root:" not in out
    assert not _bulletins(services)


def test_bad_sources_and_units_are_refused_in_words(tree: dict, loa: Loa) -> None:
    assert "no such file" in loa("bulletin", "import-cap", "/nonexistent.xml", ok=False)
    out = loa("bulletin", "import-cap", str(CAP_DATA / "storm_alert.xml"), "--unit", "X",
              ok=False)
    assert "unit not found" in out


def test_a_held_emergency_is_approved_only_by_a_role_that_may_send_one(
    services: Services, tree: dict, loa: Loa
) -> None:
    from loa.playlists.bulletins import approval_refused, set_emergency_roles

    official_names(services)
    [[_, _, held, _]] = _import(loa, "storm_update", "--unit", "31")
    with transaction(services.sessions) as s:
        bulletin = s.get_one(Bulletin, int(held))
        assert bulletin.priority is BulletinPriority.emergency
        set_emergency_roles(bulletin.unit, ["admin"])
        assert "may not send an emergency" in (approval_refused(bulletin, "ld", "leader") or "")
        assert approval_refused(bulletin, "qt", "admin") is None
        assert "only a leader or admin" in (approval_refused(bulletin, "xa", "operator") or "")


def test_the_leader_sees_where_a_draft_came_from_and_approves_it_on_the_page(
    services: Services, tree: dict, loa: Loa, client: Any
) -> None:
    from loa.web.users import add_user
    from tests.helpers.web import PASSWORD, csrf, login

    official_names(services)
    with transaction(services.sessions) as s:
        add_user(s, "lanhdao", PASSWORD, "leader", "31")
    [[_, _, draft, _]] = _import(loa, "storm_alert", "--unit", "31")
    login(client, "lanhdao")
    page = client.get(f"/bulletins/{draft}").get_data(as_text=True)
    assert "Từ cảnh báo CAP" in page and "canhbao@nchmf.gov.vn · NCHMF-2026-BAO3-0001" in page
    assert 'id="approve"' in page
    done = client.post(f"/bulletins/{draft}/approve", data={"csrf_token": csrf(page.encode())},
                       follow_redirects=True).get_data(as_text=True)
    assert "Đã duyệt và gửi thông báo" in done
    with transaction(services.sessions) as s:
        approved = s.get_one(Bulletin, int(draft))
        assert (approved.status, approved.approved_by) == (BulletinStatus.active, "lanhdao")


def test_indexes_give_their_alerts_or_their_links() -> None:
    rss = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
           "<title>Tin cảnh báo</title><item><title>Tin bão số 3</title>"
           "<link>https://canhbao.example.vn/cap/bao3.xml</link></item>"
           "<item><title>Không có liên kết</title></item></channel></rss>").encode()
    assert read_document(rss).links == ("https://canhbao.example.vn/cap/bao3.xml",)
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>a</title>'
            b'<link rel="alternate" type="text/html" href="https://x.vn/a.html"/>'
            b'<link rel="alternate" type="application/cap+xml" href="https://x.vn/a.xml"/>'
            b"</entry><entry><title>b</title><content type=\"application/cap+xml\">")
    atom += document("hanoi_flood").split(b"?>", 1)[1] + b"</content></entry></feed>"
    found = read_document(atom)
    assert found.links == ("https://x.vn/a.xml",)  # the CAP link, not the page
    assert [a.identifier for a in found.alerts] == ["HN-PCTT-2026-0412"]


def test_a_file_too_large_is_refused_unread(tree: dict, loa: Loa, tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as out:
        out.truncate(3_000_000)  # sparse: nothing to read, only its size
    out = loa("bulletin", "import-cap", str(huge), "--unit", "31", ok=False)
    assert "XML document larger than 2000 KB" in out


def test_an_update_withdraws_the_draft_nobody_approved_yet(
    services: Services, tree: dict, loa: Loa
) -> None:
    official_names(services)
    [[_, _, first, _]] = _import(loa, "storm_alert", "--unit", "11560")
    [[_, action, update, message]] = _import(loa, "storm_update", "--unit", "11560")
    assert action == "drafted" and f"replaces draft {first}" in message
    by_id = {str(b.id): b for b in _bulletins(services)}
    assert by_id[first].status is BulletinStatus.cancelled  # the queue holds the latest only
    assert by_id[update].status is BulletinStatus.pending
    assert _target_codes(services, int(update)) == ["11560"]  # its ward alone, by name


@pytest.mark.both_databases
def test_sending_the_update_supersedes_the_alert_on_air(
    services: Services, tree: dict, loa: Loa
) -> None:
    """The latest warning replaces the last: approving the Update ends the first alert."""
    official_names(services)
    [[_, _, first, _]] = _import(loa, "storm_alert", "--unit", "31")
    loa("bulletin", "approve", first)
    [[_, _, update, _]] = _import(loa, "storm_update", "--unit", "31")
    loa("bulletin", "approve", update)
    by_id = {str(b.id): b for b in _bulletins(services)}
    assert by_id[update].status is BulletinStatus.active
    assert by_id[first].status is BulletinStatus.cancelled
    assert by_id[first].superseded_by_id == int(update)
