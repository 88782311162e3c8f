"""The programme editor through HTTP: an operator, a programme, its segments and renders."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.playlists.models import Programme, ProgrammeStatus
from loa.playlists.render_worker import RenderWorker
from loa.services import Services
from loa.stations.service import add_station
from loa.stations.units import add_unit
from loa.web.editor import KICK_KEY
from loa.web.users import add_user
from tests.helpers.web import PASSWORD, csrf, login


def tone(path: Path, seconds: float = 1.5) -> Path:
    """A short sine tone, as a recorded clip or jingle would be."""
    sine = f"sine=frequency=660:duration={seconds}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", sine, path], check=True)
    return path


def worker(services: Services) -> RenderWorker:
    """A render worker on the test's database and clock (as `loa worker` would run)."""
    return RenderWorker(services.sessions, services.store, services.settings, services.clock)


@pytest.fixture
def tree(services: Services, app: Any, tmp_path: Path) -> None:
    """Hải Phòng, two wards, an operator each, a province auditor, a short campaign."""
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Thành phố Hải Phòng", "province")
        add_unit(s, "11560", "Phường Thủy Nguyên", "commune", "31")
        add_unit(s, "11557", "Phường Thiên Hương", "commune", "31")
        add_station(s, "TN", "11560", "Đài Thủy Nguyên")
        add_user(s, "tinh", PASSWORD, "auditor", "31")
        add_user(s, "xa", PASSWORD, "operator", "11560")
        add_user(s, "xa-khac", PASSWORD, "operator", "11557")
        add_user(s, "lanh-dao", PASSWORD, "leader", "11560")
        jingle = tone(tmp_path / "nhac-hieu.mp3")
        add_campaign(
            s, services.store, "CDS", "Chuyển đổi số", "31",
            min_minutes=0.05, max_minutes=1, jingle=jingle,
        )  # fmt: skip
    app.extensions[KICK_KEY] = worker(services).run_pending  # the render runs in the request


def operator(client: Any, username: str = "xa") -> str:
    """Log in; the CSRF token of the session."""
    return csrf(login(client, username).data)


def create(client: Any, token: str, title: str = "Chuyển đổi số tháng 12") -> int:
    answer = client.post(
        "/programmes/new",
        data={"campaign": "CDS", "month": "2026-12", "title": title, "csrf_token": token},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def post(client: Any, path: str, token: str, **data: Any) -> str:
    """POST a form as the page would, follow the redirect, return the page."""
    answer = client.post(path, data={"csrf_token": token, **data}, follow_redirects=True)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def add(client: Any, pid: int, token: str, kind: str, **data: Any) -> str:
    return post(client, f"/programmes/{pid}/segments", token, kind=kind, **data)


def programme_row(services: Services, pid: int) -> tuple[ProgrammeStatus, list[str], list[int]]:
    with transaction(services.sessions) as s:
        found = s.get(Programme, pid)
        assert found is not None
        return (
            found.status,
            [seg.kind.value for seg in found.segments],
            [seg.id for seg in found.segments],
        )
