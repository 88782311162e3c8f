"""Chromium pages: the seeded live server, overflow and label checks, the language switch."""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.services import Services
from loa.stations.service import add_station
from loa.stations.units import add_unit
from loa.web.users import add_user
from tests.helpers.web import PASSWORD

VIETNAMESE = re.compile(r"[đĐ\u0300-\u036f]")  # on NFD text: đ, or any accent mark


LABELS = "h2, h3, th, label, button, nav a, summary"  # not h1 or options: they name data


SCREENSHOTS = os.environ.get("LOA_SCREENSHOTS")  # a folder: save the 390-px screenshots there


def overflow(page: Any) -> int:
    """How far the page is wider than the window (0 when nothing scrolls sideways)."""
    # Measured before its stylesheet arrives (a busy machine), a page is as wide as its tables.
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


CATALOGUES = Path(__file__).parents[2] / "web" / "translations"
WORD = re.compile(r"[A-Za-z]{3,}")
# Words a Vietnamese page may show as they are: names, formats, the demo's usernames.
ALLOWED = {"loa", "rss", "csv", "xlsx", "pdf", "mp3", "sha", "url", "ubnd", "admin", "canbo",
           "lanhdao", "kiemtra", "cds", "vov", "podcast", "email", "mail", "webhook", "token"}
# Glosses and raw names leak these too, even where the catalogue has no such sentence.
COMMON_ENGLISH = {"the", "and", "not", "with", "for", "this", "that", "from", "has", "have",
                  "was", "were", "will", "your", "you", "programme", "station", "player", "error",
                  "missing", "invalid", "required", "created", "added", "removed", "saved",
                  "failed", "started", "completed", "interrupted", "heartbeat", "enrolled"}


@functools.cache
def english_only_words() -> frozenset[str]:
    """Words of the English catalogue that no Vietnamese text of Loa uses (so not "tin",
    "con" or "ban", which are Vietnamese words too)."""
    with (CATALOGUES / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    def words(texts: list[str]) -> set[str]:
        return {w.lower() for text in texts for w in WORD.findall(text)}
    texts = [m for m in catalogue if m.id]
    english = words([m.string for m in texts if isinstance(m.string, str)])
    vietnamese = words([m.id for m in texts if isinstance(m.id, str)])
    return frozenset((english | COMMON_ENGLISH) - vietnamese - ALLOWED)


def english_words(page: Any) -> list[str]:
    """English words the page shows as its own text (not inside code, a field or an option)."""
    text = page.evaluate(
        "() => { const b = document.body.cloneNode(true);"
        " b.querySelectorAll('code, pre, input, textarea, select, script, style')"
        ".forEach(e => e.remove()); return b.innerText; }"
    )
    found = english_only_words()
    return sorted({w for w in WORD.findall(text) if w.lower() in found})


def vietnamese_labels(page: Any) -> list[str]:
    texts = page.eval_on_selector_all(  # each element's own words, not its fields' values
        LABELS,
        "els => els.map(e => [...e.childNodes].filter(n => n.nodeType === 3)"
        ".map(n => n.textContent).join(' ').trim())",
    )
    return [t for t in texts if VIETNAMESE.search(unicodedata.normalize("NFD", t))]


def log_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    """A fresh login as ``username`` (any earlier session's cookies dropped)."""
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_selector("nav")


def switch_language(page: Any) -> None:
    page.click("#lang")
    page.wait_for_load_state()


@pytest.fixture
def base_url(live_url: str, services: Services) -> str:
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Thành phố Hải Phòng", "province")
        add_unit(s, "11560", "Phường Thủy Nguyên", "commune", "31")
        add_station(s, "TN", "11560", "Đài truyền thanh Thủy Nguyên")
        add_user(s, "canbo", "mat-khau-2026", "operator", "11560")
        # Short bounds so a browser test can render a programme of two sentences.
        add_campaign(
            s, services.store, "CDS", "Chuyển đổi số", "31", min_minutes=0.05, max_minutes=1
        )
    return live_url


PASSWORD = "mat-khau-2026"


@pytest.fixture
def admin_url(live_url: str, services: Services) -> str:
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Thành phố Hải Phòng", "province")
        add_unit(s, "11560", "Phường Thủy Nguyên", "commune", "31")
        add_station(s, "TN", "11560", "Đài truyền thanh Thủy Nguyên")
        add_user(s, "quantri", PASSWORD, "admin", "11560")
    return live_url
