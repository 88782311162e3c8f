"""A leader sends a notice to one loudspeaker zone, with its H'Mông recording, on a phone
and on a desktop; the bulletin page names the audio of that zone (issue 17 §4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

import tests.helpers.bulletin_web
from loa.audio.stream_probe import StreamProbe
from loa.db import transaction
from loa.playlists.models import Bulletin
from loa.playlists.relays import add_source
from loa.services import Services
from loa.stations.players import add_player
from loa.stations.units import get_unit
from loa.stations.zones import add_zone
from tests.helpers.browser import log_in, overflow, switch_language, vietnamese_labels
from tests.helpers.editor import tone

tree = tests.helpers.bulletin_web.tree  # a shared fixture

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_a_notice_for_the_hmong_zone_with_its_recording(
    live_url: str, services: Services, tree: dict[str, int], page: Any, width: int,
    tmp_path: Path,
) -> None:
    with transaction(services.sessions) as s:
        add_zone(s, "TN", "na-hang", "Cụm thôn Nà Hang", "hmn")
        add_player(s, "TN", "Loa Nà Hang", zone_code="na-hang")
        add_source(s, unit=get_unit(s, "31"), code="VOV4", name="VOV4 dân tộc",
                   url="https://vov4.example/live.mp3", fallback=None, store=services.store,
                   clock=services.clock, probe=lambda _url: StreamProbe("mp3"))
    recording = tone(tmp_path / "ban-hmong.mp3", 2)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_url, "lanhdao")
    page.goto(f"{live_url}/bulletins/new")
    page.fill("input[name=title]", "Họp bản về phòng chống lũ")
    page.fill("textarea[name=text]", "Mời bà con thôn Nà Hang họp lúc 19 giờ tối nay.")
    page.check("input[name=priority][value=priority]")
    page.uncheck("input[name=unit][value='11560']")  # the ward's every station: not this time
    page.click("#zone-targets summary")
    page.check("input[name=zone][value='TN/na-hang']")
    page.set_input_files("input[name=variant_hmn]", str(recording))
    assert overflow(page) <= 0
    page.click("#send")
    expect(page.locator("#headline")).to_have_text("Đã phát 0/1 đài")
    with transaction(services.sessions) as s:
        sha = s.scalars(select(Bulletin)).one().variants[0].asset_sha256
    row = page.locator("#zone-audio tr[data-zone=na-hang]")
    expect(row).to_contain_text(sha)
    assert "bản ghi âm tiếng hmn" in row.inner_text()
    expect(page.locator("#variants li[data-language=hmn] audio")).to_be_visible()
    assert "Cụm thôn Nà Hang (hmn)" in page.inner_text("#delivery tr[data-station=TN]")
    assert overflow(page) <= 0
    switch_language(page)  # English, the longer: it fits, and no label is left
    for path in (page.url, f"{live_url}/bulletins/new"):
        page.goto(path)
        assert overflow(page) <= 0, path
        assert vietnamese_labels(page) == [], path
    log_in(page, live_url, "xa")  # an operator: the relay form, with the zones to choose
    page.goto(f"{live_url}/relays")
    zone = page.locator("#slot-zones input[value='TN/na-hang']")
    expect(zone).to_be_attached()
    assert overflow(page) <= 0
    switch_language(page)
    expect(zone).to_be_attached()
    assert overflow(page) <= 0 and vietnamese_labels(page) == []
