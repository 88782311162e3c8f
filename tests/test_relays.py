"""Relay sources and relay slots (issue 17 §1): the CLI, busy air for every planner, the
schedule the player gets. Sources are probed against a real Icecast server."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from loa.clock import VN
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.campaigns import get_campaign
from loa.playlists.models import HOLDING, Airing, Programme
from loa.scheduler.bulletin_air import slot_busy
from loa.scheduler.edits import add_airing
from loa.scheduler.service import plan
from loa.services import Services
from loa.simulate import make_sine
from loa.stations.service import get_station
from tests.conftest import Loa
from tests.helpers.factories import hai_phong_month
from tests.helpers.icecast import Icecast


@pytest.fixture(scope="module")
def icecast() -> Iterator[Icecast]:
    server = Icecast().start()
    server.feed("vov1.mp3")
    yield server
    server.stop()


@pytest.fixture
def month(services: Services) -> dict[str, tuple[int, str]]:
    with transaction(services.sessions) as s:
        return hai_phong_month(services, s).players


def relay_spans(services: Services, station: str) -> list[tuple[datetime, datetime]]:
    with services.sessions() as s:
        sid = get_station(s, station).id
        busy = slot_busy(s, datetime(2026, 11, 30, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC),
                         [sid])
    return [(b.start, b.end) for b in busy.get(sid, [])]


def test_a_source_is_probed_and_what_it_carries_is_shown(
    loa: Loa, month: dict, icecast: Icecast, tmp_path: Path
) -> None:
    fallback = make_sine(tmp_path / "nhac-cho.mp3", seconds=3.0)
    said = loa("relay", "source", "add", "VOV1", "--unit", "31", "--name", "VOV1 Thời sự",
               "--url", icecast.url("vov1.mp3"), "--fallback", str(fallback))
    assert "mp3" in said and "22050 Hz" in said and "Cảnh báo" not in said
    said = loa("relay", "source", "add", "TINH", "--unit", "31", "--name", "Đài tỉnh",
               "--url", icecast.url("off-air.mp3"))
    assert "Cảnh báo" in said and "404" in said  # kept, with why the probe failed
    listed = loa("relay", "source", "list", "--unit", "11560")  # usable below the province
    assert "VOV1\t31\tVOV1 Thời sự\tmp3" in listed and "TINH" in listed and "404" in listed
    said = loa("relay", "source", "add", "X", "--unit", "31", "--name", "X",
               "--url", "file:///etc/passwd", ok=False)
    assert "http:// hoặc https://" in said


def test_relay_slots_on_a_unit_reach_every_station_below(loa: Loa, month: dict,
                                                         services: Services) -> None:
    loa("relay", "source", "add", "VOV1", "--unit", "31", "--name", "VOV1",
        "--url", "http://127.0.0.1:9/vov1.mp3")
    slot_id = int(loa("relay", "add", "--source", "VOV1", "--unit", "31", "--days", "T2-T7",
                      "--at", "05:30", "--minutes", "20", "--required").split()[0])
    assert f"{slot_id}\tunit:31\tVOV1\tT2-T7\t05:30\t20\trequired" in loa(
        "relay", "list", "--station", "TH")
    spans = relay_spans(services, "TN")
    assert spans and all(s.astimezone(VN).strftime("%H:%M") == "05:30" for s, _e in spans)
    assert all(s.astimezone(VN).weekday() < 6 and e - s == timedelta(minutes=20)
               for s, e in spans)  # no Sunday
    # A second relay overlapping it on a station it reaches is refused, in words.
    said = loa("relay", "add", "--source", "VOV1", "--station", "TN", "--at", "05:40",
               "--minutes", "30", ok=False)
    assert f"chồng lên khung {slot_id}" in said
    said = loa("relay", "add", "--source", "VOV1", "--station", "TN", "--at", "23:30",
               "--minutes", "60", ok=False)
    assert "nửa đêm" in said
    said = loa("relay", "add", "--source", "NONE", "--station", "TN", "--at", "07:00",
               "--minutes", "30", ok=False)
    assert "Không tìm thấy nguồn tiếp sóng" in said
    loa("relay", "remove", str(slot_id))
    assert loa("relay", "list") == "" and relay_spans(services, "TN") == []


def test_a_communes_own_source_is_not_usable_by_its_neighbour(loa: Loa, month: dict) -> None:
    loa("relay", "source", "add", "TN-FM", "--unit", "11560", "--name", "FM Thủy Nguyên",
        "--url", "http://127.0.0.1:9/tn.mp3")
    loa("relay", "add", "--source", "TN-FM", "--station", "TN", "--at", "07:00",
        "--minutes", "15")
    said = loa("relay", "add", "--source", "TN-FM", "--station", "TH", "--at", "07:00",
               "--minutes", "15", ok=False)
    assert "không dùng được" in said


def test_relays_are_busy_air_for_the_planner_and_the_operators_edits(
    loa: Loa, month: dict, services: Services
) -> None:
    loa("relay", "source", "add", "VOV1", "--unit", "31", "--name", "VOV1",
        "--url", "http://127.0.0.1:9/vov1.mp3")
    # The whole morning window is relayed every day, most of the evening one too.
    loa("relay", "add", "--source", "VOV1", "--unit", "31", "--at", "05:30", "--minutes", "60")
    loa("relay", "add", "--source", "VOV1", "--station", "TN", "--at", "17:00",
        "--minutes", "40")
    gap = services.settings.airing_gap
    with transaction(services.sessions) as s:
        plan(s, "2026-12", services.clock.now(), gap)
    spans = relay_spans(services, "TN")
    with services.sessions() as s:
        rows = s.execute(select(Airing.starts_at, Programme.duration_ms).join(Programme).where(
            Airing.station_id == get_station(s, "TN").id, Airing.status.in_(HOLDING))).all()
    assert len(rows) == 3  # the count still fits, in what the relays leave free
    for start, duration_ms in rows:
        end = start + timedelta(milliseconds=duration_ms)
        assert start.astimezone(VN).strftime("%H:%M") >= "17:40"
        assert not any(start < e + gap and s < end + gap for s, e in spans)
    with transaction(services.sessions) as s, pytest.raises(LoaError, match="trùng"):
        add_airing(s, get_station(s, "TN"), get_campaign(s, "CDS"),
                   datetime(2026, 12, 20, 5, 35, tzinfo=VN), services.clock.now(), gap)


def test_a_new_relay_moves_the_airings_it_covers(loa: Loa, month: dict,
                                                 services: Services) -> None:
    with transaction(services.sessions) as s:
        plan(s, "2026-12", services.clock.now(), services.settings.airing_gap)
        before = s.scalars(select(Airing.starts_at).where(
            Airing.station_id == get_station(s, "TH").id)).all()
    assert any(a.astimezone(VN).strftime("%H:%M") < "17:30" for a in before)
    loa("relay", "source", "add", "VOV1", "--unit", "31", "--name", "VOV1",
        "--url", "http://127.0.0.1:9/vov1.mp3")
    loa("relay", "add", "--source", "VOV1", "--unit", "31", "--at", "05:30", "--minutes", "60")
    loa("relay", "add", "--source", "VOV1", "--unit", "31", "--at", "17:00", "--minutes", "30")
    spans = relay_spans(services, "TH")
    with services.sessions() as s:
        held = s.execute(select(Airing.starts_at).where(
            Airing.station_id == get_station(s, "TH").id, Airing.status.in_(HOLDING))).all()
    assert len(held) == 3
    assert all(not s <= start < e for (start,) in held for s, e in spans)


def test_the_player_gets_its_relays_with_the_schedule(
    loa: Loa, month: dict, client: FlaskClient, tmp_path: Path
) -> None:
    fallback = make_sine(tmp_path / "cho.mp3", seconds=2.0)
    loa("relay", "source", "add", "VOV1", "--unit", "31", "--name", "VOV1 Thời sự",
        "--url", "http://127.0.0.1:9/vov1.mp3", "--fallback", str(fallback))
    slot_id = int(loa("relay", "add", "--source", "VOV1", "--station", "TN", "--at", "06:00",
                      "--minutes", "30", "--required").split()[0])
    token_tn, token_th = month["TN"][1], month["TH"][1]
    body = client.get("/api/v1/player/schedule",
                      headers={"Authorization": f"Bearer {token_tn}"}).json
    relays = body["relays"]
    assert len(relays) == 35  # every day of the 35-day window
    first = relays[0]
    assert first["slot_id"] == slot_id and first["required"] is True
    assert first["starts_at"].endswith("T06:00:00+07:00")
    assert first["ends_at"].endswith("T06:30:00+07:00")
    assert first["source"]["url"] == "http://127.0.0.1:9/vov1.mp3"
    audio = client.get(first["fallback"]["url"], headers={"Authorization": f"Bearer {token_tn}"})
    assert audio.status_code == 200 and audio.data == fallback.read_bytes()
    # The other ward carries no relay, and may not fetch the file.
    other = client.get("/api/v1/player/schedule",
                       headers={"Authorization": f"Bearer {token_th}"}).json
    assert other["relays"] == []
    assert client.get(first["fallback"]["url"],
                      headers={"Authorization": f"Bearer {token_th}"}).status_code == 404


@pytest.fixture
def hls(tmp_path: Path) -> Iterator[str]:
    """An HLS stream (AAC in MPEG-TS segments, a .m3u8 playlist) served over HTTP."""
    import functools
    import http.server
    import subprocess
    import threading

    folder = tmp_path / "hls"
    folder.mkdir()
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=880:duration=12", "-ac", "1", "-c:a", "aac", "-b:a", "64k",
                    "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
                    str(folder / "tinh.m3u8")], check=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *_a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tinh.m3u8"
    server.shutdown()
    server.server_close()


def test_an_hls_source_is_probed_and_relayed(hls: str) -> None:
    """HLS (.m3u8) goes through the same probe and the same decoding as Icecast."""
    from loa.audio.stream_probe import probe_stream
    from loa.player.relay_feed import BYTES_PER_S, RelayFeed, dbfs

    assert probe_stream(hls).codec == "aac"

    class Heard:
        name = "test"
        pcm = bytearray()

        def write(self, pcm: bytes) -> None:
            self.pcm += pcm

        def failed(self) -> str | None:
            return None

        def close(self) -> None:
            pass

    sink = Heard()
    feed = RelayFeed(hls, lambda: None, lambda: datetime.now(UTC)).start()
    feed.attach(sink)
    deadline = time.monotonic() + 20
    while len(sink.pcm) < 3 * BYTES_PER_S and time.monotonic() < deadline:
        time.sleep(0.1)  # the feed's thread decodes; the deadline bounds the wait
    totals = feed.stop()
    assert len(sink.pcm) >= 3 * BYTES_PER_S and totals.relayed >= 3 * BYTES_PER_S
    assert dbfs(bytes(sink.pcm[:BYTES_PER_S])) > -30 and not totals.dropouts  # sound, not dead air


def test_a_priority_bulletin_never_shifts_a_relay_and_goes_after_it() -> None:
    """The placement rule: a relay is fixed air; a priority bulletin takes the window's
    first free place after it, and the airing it overlaps shifts, never into the relay."""
    from loa.scheduler.bulletin_placement import Kind, OnAir, Request, place_bulletin
    from loa.stations.windows import parse_windows

    day = datetime(2026, 12, 3, tzinfo=VN)
    at = lambda h, m: day.replace(hour=h, minute=m).astimezone(UTC)  # noqa: E731
    relay = OnAir(("relay", 1), Kind.relay, at(17, 0), at(17, 30))
    airing = OnAir(("airing", 9), Kind.airing, at(17, 31), at(17, 43))
    gap = timedelta(seconds=30)
    request = Request(Kind.priority, timedelta(minutes=2), at(16, 0), at(23, 0))
    placement, air = place_bulletin(request, parse_windows("17:00-18:00"), VN,
                                    [relay, airing], at(16, 0), gap=gap)
    assert placement.starts == [at(17, 30) + gap]  # after the relay, not over it
    assert ("relay", 1) not in placement.moved and relay in air
    assert placement.moved[("airing", 9)] == at(17, 32) + 2 * gap
    ordered = sorted(air, key=lambda i: i.start)
    assert all(a.end + gap <= b.start for a, b in itertools.pairwise(ordered))


def test_bulletin_placement_reads_relays_as_air(loa: Loa, month: dict,
                                                services: Services) -> None:
    from loa.scheduler.bulletin_air import station_air
    from loa.scheduler.bulletin_placement import Kind

    loa("relay", "source", "add", "VOV1", "--unit", "31", "--name", "VOV1",
        "--url", "http://127.0.0.1:9/vov1.mp3")
    slot_id = int(loa("relay", "add", "--source", "VOV1", "--station", "TN", "--at", "17:00",
                      "--minutes", "20").split()[0])
    with services.sessions() as s:
        tn = get_station(s, "TN").id
        air = station_air(s, [tn], datetime(2026, 12, 3, tzinfo=VN),
                          datetime(2026, 12, 4, tzinfo=VN))[tn]
    relays = [i for i in air if i.kind is Kind.relay]
    assert [(i.ref, i.start.astimezone(VN).strftime("%H:%M")) for i in relays] == [
        (("relay", slot_id), "17:00")]
