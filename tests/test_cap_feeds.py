"""CAP feeds (issue 16 §5): polled per unit by the scheduler's job on its clock, alerts from
a real HTTP server taken in once, network trouble written on the feed, and nothing airing
without a person unless the unit chose so for Extreme alerts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import tests.helpers.bulletins
from loa.clock import FrozenClock
from loa.db import transaction
from loa.playlists.cap_models import CapAlert, CapFeed
from loa.playlists.models import Bulletin, BulletinPriority, BulletinStatus
from loa.scheduler.cap_poll import cap_feeds_job
from loa.services import Services
from tests.conftest import Loa
from tests.helpers.cap import CapServer, atom_index, cap_server, document, official_names

pytestmark = pytest.mark.both_databases
tree = tests.helpers.bulletins.tree  # a shared fixture: Hải Phòng 31 (11560, 11557), Hà Nội


@pytest.fixture
def server() -> CapServer:
    with cap_server() as served:
        yield served  # type: ignore[misc]


def _feed(services: Services, feed_id: int) -> CapFeed:
    with transaction(services.sessions) as s:
        return s.get_one(CapFeed, feed_id)


def _bulletins(services: Services) -> list[Bulletin]:
    with transaction(services.sessions) as s:
        return list(s.scalars(select(Bulletin).order_by(Bulletin.id)))


def test_a_feed_is_polled_on_its_period_and_each_alert_taken_in_once(
    services: Services, clock: FrozenClock, tree: dict, loa: Loa, server: CapServer
) -> None:
    official_names(services)
    server.pages["/cap/index.atom"] = (200, atom_index(server.url, "/cap/storm-1.xml",
                                                       "/cap/flood-1.xml"))
    server.pages["/cap/storm-1.xml"] = (200, document("storm_alert"))
    server.pages["/cap/flood-1.xml"] = (200, document("hanoi_flood"))  # Hà Nội's, not 31's
    feed_id = int(loa("cap", "feed", "add", f"{server.url}/cap/index.atom", "--unit", "31",
                      "--every", "120"))

    cap_feeds_job(services)
    [draft] = _bulletins(services)
    assert draft.status is BulletinStatus.pending and draft.priority is BulletinPriority.priority
    feed = _feed(services, feed_id)
    assert feed.last_polled_at == clock.now() and feed.last_ok_at == clock.now()
    assert feed.last_error is None and feed.imported == 1
    with transaction(services.sessions) as s:  # the flood is recorded as not Hải Phòng's
        notes = {a.identifier: a.note for a in s.scalars(select(CapAlert))}
    assert "not this unit's" in notes["HN-PCTT-2026-0412"]

    hits = len(server.hits)
    clock.advance(seconds=119)
    cap_feeds_job(services)  # not due yet
    assert len(server.hits) == hits
    clock.advance(seconds=1)
    cap_feeds_job(services)  # due: read again, nothing imported twice
    assert len(server.hits) == hits + 3 and len(_bulletins(services)) == 1
    assert _feed(services, feed_id).imported == 1

    out = loa("cap", "feed", "list")
    assert f"{feed_id}\t31\t120s\tduyệt (approve)" in out and "index.atom" in out


def test_network_trouble_is_written_on_the_feed_and_the_next_poll_recovers(
    services: Services, clock: FrozenClock, tree: dict, loa: Loa, server: CapServer
) -> None:
    official_names(services)
    broken = int(loa("cap", "feed", "add", f"{server.url}/down.xml", "--unit", "31"))
    hostile = int(loa("cap", "feed", "add", f"{server.url}/lol.xml", "--unit", "31"))
    nobody = int(loa("cap", "feed", "add", "http://127.0.0.1:9/cap.xml", "--unit", "31"))
    big = int(loa("cap", "feed", "add", f"{server.url}/big.xml", "--unit", "31"))
    server.pages["/down.xml"] = (503, b"maintenance")
    server.pages["/lol.xml"] = (200, document("billion_laughs"))
    server.pages["/big.xml"] = (200, b"<feed>" + b" " * 3_000_000)  # read no further than 2 MB

    cap_feeds_job(services)  # never raises: each feed keeps its own trouble
    assert "503" in (_feed(services, broken).last_error or "")
    assert "unsafe XML refused" in (_feed(services, hostile).last_error or "")
    assert "cannot fetch" in (_feed(services, nobody).last_error or "")
    assert "larger than 2000 KB" in (_feed(services, big).last_error or "")
    assert all(_feed(services, f).last_ok_at is None for f in (broken, hostile, nobody))
    assert not _bulletins(services)
    assert "503" in loa("cap", "feed", "list")

    server.pages["/down.xml"] = (200, document("storm_alert"))
    clock.advance(seconds=300)
    cap_feeds_job(services)
    feed = _feed(services, broken)
    assert feed.last_error is None and feed.last_ok_at == clock.now()
    assert len(_bulletins(services)) == 1


def test_only_extreme_alerts_air_at_once_and_only_where_the_unit_opted_in(
    services: Services, clock: FrozenClock, tree: dict, loa: Loa, server: CapServer
) -> None:
    official_names(services)
    server.pages["/all.atom"] = (200, atom_index(server.url, "/a.xml", "/u.xml"))
    server.pages["/a.xml"] = (200, document("storm_alert"))  # Severe
    server.pages["/u.xml"] = (200, document("storm_update"))  # Extreme
    loa("cap", "feed", "add", f"{server.url}/all.atom", "--unit", "11560", "--auto-extreme")
    loa("cap", "feed", "add", f"{server.url}/all.atom", "--unit", "11557")
    cap_feeds_job(services)
    found = {(b.unit.code, b.priority): b.status for b in _with_units(services)}
    assert found == {
        ("11560", BulletinPriority.emergency): BulletinStatus.active,  # Extreme, opted in
        ("11557", BulletinPriority.emergency): BulletinStatus.pending,  # not opted in
        # the Severe alert's drafts, withdrawn by the Update that references them
        ("11560", BulletinPriority.priority): BulletinStatus.cancelled,
        ("11557", BulletinPriority.priority): BulletinStatus.cancelled,
    }
    # Severe alone, nobody's approval yet: it waits, even where Extreme ones go at once.
    server.pages["/all.atom"] = (200, atom_index(server.url, "/f.xml"))
    server.pages["/f.xml"] = (200, document("storm_alert").replace(b"BAO3-0001", b"BAO3-0003"))
    clock.advance(seconds=300)
    cap_feeds_job(services)
    latest = _with_units(services)[-2:]
    assert {(b.unit.code, b.priority, b.status) for b in latest} == {
        ("11560", BulletinPriority.priority, BulletinStatus.pending),
        ("11557", BulletinPriority.priority, BulletinStatus.pending)}
    out = loa("cap", "feed", "list")
    assert "\t11560\t300s\tauto-extreme\t" in out


def _with_units(services: Services) -> list[Bulletin]:
    with transaction(services.sessions) as s:
        found = list(s.scalars(select(Bulletin).order_by(Bulletin.id)))
        for b in found:
            _ = b.unit.code
        return found


def test_feed_commands_refuse_bad_input_and_remove_keeps_what_came(
    services: Services, tree: dict, loa: Loa, server: CapServer
) -> None:
    assert "http or https URL" in loa("cap", "feed", "add", "file:///etc/passwd", "--unit", "31",
                                      ok=False)
    assert "at most every 30 seconds" in loa("cap", "feed", "add", f"{server.url}/x",
                                             "--unit", "31", "--every", "5", ok=False)
    assert "unit not found" in loa("cap", "feed", "add", f"{server.url}/x", "--unit", "X",
                                   ok=False)
    official_names(services)
    server.pages["/x"] = (200, document("storm_alert"))
    feed_id = loa("cap", "feed", "add", f"{server.url}/x", "--unit", "31").strip()
    assert "already polls" in loa("cap", "feed", "add", f"{server.url}/x", "--unit", "31",
                                  ok=False)
    assert "drafted" in loa("cap", "feed", "poll", feed_id)
    loa("cap", "feed", "remove", feed_id)
    assert loa("cap", "feed", "list").strip() == ""
    assert len(_bulletins(services)) == 1
    with transaction(services.sessions) as s:
        assert s.scalars(select(CapAlert.feed_id)).all() == [None]
    assert "no such CAP feed" in loa("cap", "feed", "remove", feed_id, ok=False)


def test_import_cap_reads_a_url_and_its_linked_alerts(
    services: Services, tree: dict, loa: Loa, server: CapServer
) -> None:
    official_names(services)
    server.pages["/index.atom"] = (200, atom_index(server.url, "/storm.xml", "/gone.xml"))
    server.pages["/storm.xml"] = (200, document("storm_alert"))
    out = loa("bulletin", "import-cap", f"{server.url}/index.atom", "--unit", "31")
    assert "NCHMF-2026-BAO3-0001\tdrafted" in out
    assert "/gone.xml" in out and "404" in out  # a link that fails is named, not a stop
    assert len(_bulletins(services)) == 1
    out = loa("bulletin", "import-cap", f"{server.url}/nothing.xml", ok=False)
    assert "cannot fetch" in out and "404" in out
