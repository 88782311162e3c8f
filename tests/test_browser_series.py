"""The series field of the form and the series pages fit a 390-px phone, in both languages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import tests.helpers.bulletin_web
from loa.clock import VN, FrozenClock
from loa.db import transaction
from loa.playlists.bulletin_series import series_named
from loa.services import Services
from loa.stations.units import get_unit
from tests.helpers.browser import overflow, switch_language, vietnamese_labels
from tests.helpers.bulletins import send
from tests.helpers.web import PASSWORD

tree = tests.helpers.bulletin_web.tree  # a shared fixture

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_series_pages_fit_a_phone_in_both_languages(
        live_url: str, services: Services, clock: FrozenClock, tree: dict, page: Any) -> None:
    clock.set(datetime(2026, 12, 2, 0, 30, tzinfo=VN))
    for text in ("Bão số 3 cách bờ 300 km.", "Bão số 3 cách bờ 200 km, giật cấp 12."):
        with transaction(services.sessions) as s:
            series = series_named(s, get_unit(s, "11560"), "Bão số 3 năm 2026 (Yagi)",
                                  by="lanhdao", now=clock.now())
            send(services, s, "11560", priority="priority", text=text, series=series,
                 on_the_hour=True, night=True, repeat_count=None, repeat_every_s=7200)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "lanhdao")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav")
    page.goto(f"{live_url}/bulletins")
    page.click("#series-link")
    page.click("#series-list a")
    assert page.locator("#series-bulletins tbody tr").count() == 2
    paths = ["/bulletins/new", "/bulletins/series", page.url.removeprefix(live_url)]
    too_wide = []
    for language in ("vi", "en"):
        if language == "en":
            switch_language(page)
        for path in paths:
            page.goto(live_url + path)
            if overflow(page) > 0:
                too_wide.append((language, path, overflow(page)))
            if language == "en":
                assert vietnamese_labels(page) == [], path
    assert too_wide == []
