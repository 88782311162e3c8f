"""A campaign's TTS engine, and what the operator sees when the online engine is out of reach."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gtts.tts
import pytest
import requests
from sqlalchemy import select

from loa.db import transaction
from loa.playlists.models import Campaign, Programme
from tests.conftest import Loa


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The network edge only: gTTS's real client, with no route to the internet."""

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        raise requests.exceptions.ConnectionError("no route to host")

    monkeypatch.setattr(gtts.tts.requests.Session, "send", send)


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_gtts_campaign_offline_falls_back_and_says_so(
    loa: Loa, tmp_path: Path, services: Any
) -> None:
    loa("unit", "add", "31", "Hải Phòng", "--level", "province")
    assert "gtts" in loa(
        "campaign", "add", "X", "--title", "X", "--unit", "31", "--tts-engine", "khong-co", ok=False
    )
    loa(
        "campaign",
        "add",
        "CDS",
        "--title",
        "Chuyển đổi số",
        "--unit",
        "31",
        "--tts-engine",
        "gtts",
        "--min-minutes",
        "0.01",
        "--max-minutes",
        "1",
    )
    toml = tmp_path / "p.toml"
    toml.write_text(
        'title = "T"\ncampaign = "CDS"\nunit = "31"\nmonth = "2026-12"\n\n'
        '[[segments]]\ntts = "Xin chào bà con, ngày 09/02/2022."\n',
        encoding="utf-8",
    )
    programme_id = loa("programme", "import", str(toml)).strip()
    rendered = loa("programme", "render", programme_id)
    assert "Đoạn 1: gtts lỗi" in rendered and "dùng espeak-ng" in rendered  # told on the console
    with transaction(services.sessions) as s:
        assert s.scalar(select(Campaign.tts_engine)) == "gtts"
        segment = s.scalar(select(Programme)).segments[0]
        assert segment.engine_used == "espeak-ng"
        assert segment.render_note and "mất mạng" in segment.render_note  # shown in the editor
