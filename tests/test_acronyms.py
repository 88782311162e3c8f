"""The operators' acronym dictionary and the TTS commands that read it."""

from __future__ import annotations

from typing import Any

import pytest

import tests.helpers.web
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.lexicon import operator_acronyms, remove_acronym, set_acronym
from loa.services import Services
from tests.conftest import Loa
from tests.helpers.web import csrf, login

tree = tests.helpers.web.tree  # a shared fixture

SAMPLE = "Đài TPHP phát tin"


def test_set_change_and_remove(services: Services) -> None:
    with transaction(services.sessions) as s:
        set_acronym(s, "TPHP", "thành phố  Hải Phòng ")
        set_acronym(s, "TT&TT", "Thông tin - Truyền thông")
        assert operator_acronyms(s) == {
            "TPHP": "thành phố Hải Phòng",
            "TT&TT": "Thông tin - Truyền thông",
        }
        set_acronym(s, "TPHP", "Hải Phòng")
        remove_acronym(s, "TT&TT")
        assert operator_acronyms(s) == {"TPHP": "Hải Phòng"}


@pytest.mark.parametrize("word,spoken", [("A B", "x"), ("", "x"), ("X" * 33, "x"), ("TPHP", " ")])
def test_bad_entries_are_refused_in_vietnamese(services: Services, word: str, spoken: str) -> None:
    with (
        transaction(services.sessions) as s,
        pytest.raises(LoaError, match=r"không hợp lệ|Cách đọc"),
    ):
        set_acronym(s, word, spoken)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cli_dictionary_changes_what_normalize_prints(loa: Loa) -> None:
    assert "tê pê hát pê" in loa("tts", "normalize", SAMPLE)  # no database yet: spelled
    loa("init")
    loa("acronym", "add", "TPHP", "thành phố Hải Phòng")
    assert loa("tts", "normalize", SAMPLE).strip() == "Đài thành phố Hải Phòng phát tin"
    assert "TPHP\tthành phố Hải Phòng" in loa("acronym", "list")


@pytest.mark.usefixtures("tree")
def test_operator_adds_one_in_the_ui_and_the_preview_reads_it(client: Any) -> None:
    page = login(client, "xa").data
    client.post(
        "/acronyms",
        data={"word": "TPHP", "spoken": "thành phố Hải Phòng", "csrf_token": csrf(page)},
    )
    shown = client.get(f"/acronyms?thu={SAMPLE}").get_data(as_text=True)
    assert "Đài thành phố Hải Phòng phát tin" in shown


@pytest.mark.usefixtures("tree")
def test_auditor_cannot_change_the_dictionary(client: Any) -> None:
    page = login(client, "tinh").data
    answer = client.post("/acronyms", data={"word": "X", "spoken": "y", "csrf_token": csrf(page)})
    assert answer.status_code == 403


def test_prune_cache_command_reports_what_it_freed(loa: Loa) -> None:
    loa("init")
    assert "Đã xóa 0 tệp" in loa("tts", "prune-cache", "--days", "30")
