"""The pages' Vietnamese reads as a person writes it: no word twice in a row, no raw names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from loa.compliance.event_checks import EVENT_TYPES
from loa.web.editor import KIND_VI, added_message
from loa.web.i18n import LABELS

CATALOGUE = Path(__file__).parents[1] / "web" / "translations" / "en" / "LC_MESSAGES"
# A word, then the same word again (any case): "đoạn đoạn". Placeholders do not count.
DOUBLED = re.compile(r"(?<![\w%{])(\w+)\s+\1(?!\w)", re.IGNORECASE)


def doubled(text: str) -> list[str]:
    return [m.group(0) for m in DOUBLED.finditer(text)]


def vietnamese_msgids() -> list[str]:
    with (CATALOGUE / "messages.po").open("rb") as po:  # the msgids are the Vietnamese text
        catalogue = read_po(po)
    ids = [m.id for m in catalogue if m.id]
    return [t for i in ids for t in (i if isinstance(i, tuple) else (i,))]


def test_the_scan_finds_a_doubled_word() -> None:
    assert doubled("Đã thêm đoạn đoạn ghi âm") == ["đoạn đoạn"]
    assert doubled("Đoạn đoạn") == ["Đoạn đoạn"]
    assert doubled("Đã thêm đoạn ghi âm, đoạn lặng") == []
    assert doubled("%(n)s n ký tự") == []  # a placeholder is no word


def test_no_vietnamese_text_of_the_pages_repeats_a_word() -> None:
    texts = vietnamese_msgids()
    assert len(texts) > 400  # the whole catalogue was read
    assert [(t, doubled(t)) for t in texts if doubled(t)] == []


@pytest.mark.parametrize("kind", sorted(KIND_VI))
def test_the_message_after_adding_a_segment_names_it_once(kind: str) -> None:
    message = added_message(kind)
    assert message.startswith("Đã thêm ") and doubled(message) == []


def test_every_event_of_the_log_has_words() -> None:
    # the evidence page shows events through the `label` filter: none as its raw name
    assert set(LABELS["event"]) >= EVENT_TYPES
