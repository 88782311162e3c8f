"""A programme's H'Mông recording added and heard on its page (issue 17 §4: a programme may
carry recorded variants per language), by its unit's operators only."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from loa.db import transaction
from loa.playlists.variants import variants_of
from loa.services import Services
from loa.stations.zones import add_zone
from loa.web.users import add_user
from tests.helpers.editor import tone
from tests.helpers.factories import enrolled_month
from tests.helpers.web import PASSWORD, csrf, login

HMONG_S = 660  # 11 minutes, within the campaign's 10-15


@pytest.fixture(scope="module")
def hmong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone(tmp_path_factory.mktemp("variant") / "hmong.mp3", HMONG_S)


@pytest.fixture
def programme(services: Services) -> int:
    """The city's December programme, planned; TN has a Nà Hang (H'Mông) zone. Users: "tp"
    writes the city's programmes, "xa" TN's ward's, "tinh" audits the city."""
    with transaction(services.sessions) as s:
        month, _player, _airings = enrolled_month(services, s, Ed25519PrivateKey.generate())
        add_zone(s, "TN", "na-hang", "Cụm thôn Nà Hang", "hmn")
        add_user(s, "tp", PASSWORD, "operator", "31")
        add_user(s, "xa", PASSWORD, "operator", "11560")
        add_user(s, "tinh", PASSWORD, "auditor", "31")
        return month.programme_id


def upload(client: FlaskClient, programme_id: int, file: Path | bytes, language: str = "hmn",
           token: str | None = None) -> Any:
    page = client.get(f"/programmes/{programme_id}").data
    data = file.read_bytes() if isinstance(file, Path) else file
    return client.post(f"/programmes/{programme_id}/variants", data={
        "language": language, "file": (io.BytesIO(data), "ban hmong.mp3"),
        "csrf_token": csrf(page) if token is None else token},
        content_type="multipart/form-data", follow_redirects=True)


def variants(services: Services, programme_id: int) -> list[str]:
    with services.sessions() as s:
        return sorted(variants_of(s, [programme_id]).get(programme_id, {}))


def test_an_operator_adds_the_hmong_recording_and_everyone_hears_it(
        client: FlaskClient, services: Services, programme: int, hmong: Path) -> None:
    login(client, "tp")
    page = client.get(f"/programmes/{programme}").get_data(as_text=True)
    assert 'id="add-variant"' in page and '<option value="hmn">Tiếng hmn</option>' in page
    answer = upload(client, programme, hmong).get_data(as_text=True)
    assert "Đã thêm bản tiếng hmn, dài 11:00" in answer and "Đã dời" not in answer
    section = answer[answer.index('id="variants"'):]
    words = " ".join(re.sub(r"<[^>]+>", " ", section[:section.index("</section>")]).split())
    assert "Tiếng hmn, 11:00, phát ở các cụm loa dùng tiếng này" in words
    assert 'id="add-variant"' not in section  # hmn is the only language its zones speak
    heard = client.get(f"/programmes/{programme}/variants/hmn.mp3")
    assert heard.status_code == 200 and heard.data == hmong.read_bytes()
    assert client.get(f"/programmes/{programme}/variants/km.mp3").status_code == 404
    assert variants(services, programme) == ["hmn"]
    # The ward's operator hears it on the city's programme but may not add to it.
    ward = client.application.test_client()
    login(ward, "xa")
    seen = ward.get(f"/programmes/{programme}").get_data(as_text=True)
    assert f"/programmes/{programme}/variants/hmn.mp3" in seen and "add-variant" not in seen
    assert upload(ward, programme, hmong, "km").status_code == 404
    auditor = client.application.test_client()
    login(auditor, "tinh")
    audited = auditor.get(f"/programmes/{programme}").get_data(as_text=True)
    with services.sessions() as s:
        sha = variants_of(s, [programme])[programme]["hmn"].asset_sha256
    assert f"sha256 {sha}" in audited
    assert upload(auditor, programme, hmong, "km").status_code == 403
    client.get("/lang/en?next=/")
    english = client.get(f"/programmes/{programme}").get_data(as_text=True)
    assert "Recordings by language" in english and "Tiếng hmn" not in english


def test_a_bad_recording_or_a_form_without_its_token_keeps_nothing(
        client: FlaskClient, services: Services, programme: int) -> None:
    login(client, "tp")
    refused = upload(client, programme, b"not audio at all").get_data(as_text=True)
    assert 'class="flash error"' in refused
    assert upload(client, programme, b"x", token="").status_code == 400
    assert variants(services, programme) == []
