"""Behind nginx (LOA_ACCEL_REDIRECT=/_audio/): the app checks access, nginx sends the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tests.helpers.chains
from loa.db import transaction
from loa.services import Services
from loa.web.users import add_user
from tests.helpers.chains import Chain
from tests.helpers.web import PASSWORD, login

tn = tests.helpers.chains.tn  # a shared fixture


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "LOA_ACCEL_REDIRECT": "/_audio/"}


def internal(services: Services, answer: Any) -> Path:
    """The store file the redirect names (nginx's alias of /_audio/ is the audio store)."""
    location = answer.headers["X-Accel-Redirect"]
    assert location.startswith("/_audio/") and answer.data == b""
    return services.settings.audio_dir / location.removeprefix("/_audio/")


def test_player_audio_and_listen_are_handed_to_nginx(
    tn: Chain, client: Any, services: Services
) -> None:
    answer = client.get(f"/api/v1/audio/{tn.sha256}", headers=tn.auth)
    assert answer.status_code == 200 and answer.mimetype == "audio/mpeg"
    assert internal(services, answer).read_bytes() == services.store.path(tn.sha256).read_bytes()
    assert answer.headers["ETag"] == f'"{tn.sha256}"'
    # Another station's audio is still refused by the app: nginx never sees the request.
    other = client.get(f"/api/v1/audio/{'0' * 64}", headers=tn.auth)
    assert other.status_code == 404 and "X-Accel-Redirect" not in other.headers

    with transaction(services.sessions) as s:
        add_user(s, "tinh", PASSWORD, "auditor", "31")
    login(client, "tinh")
    with transaction(services.sessions) as s:
        from loa.playlists.models import Programme

        programme_id = s.query(Programme.id).filter_by(master_sha256=tn.sha256).scalar()
    listen = client.get(f"/programmes/{programme_id}/audio")
    assert listen.status_code == 200
    assert internal(services, listen) == services.store.path(tn.sha256)


def test_without_the_setting_flask_sends_the_file(
    tn: Chain, client: Any, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    monkeypatch.setattr(services, "settings", replace(services.settings, accel_redirect=None))
    answer = client.get(f"/api/v1/audio/{tn.sha256}", headers=tn.auth)
    assert "X-Accel-Redirect" not in answer.headers
    assert answer.data == services.store.path(tn.sha256).read_bytes()


def test_the_internal_location_must_be_a_path() -> None:
    from loa.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="/_audio/"):
        load_settings({"LOA_ACCEL_REDIRECT": "_audio"})
    assert load_settings({"LOA_ACCEL_REDIRECT": "/_audio/"}).accel_redirect == "/_audio/"
