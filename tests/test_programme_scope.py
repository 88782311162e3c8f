"""Units below see a programme of a unit above only once approved (issue 15 §8)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.playlists.models import Programme, ProgrammeStatus
from loa.services import Services
from loa.web.users import add_user
from tests.helpers.accounts import logged_in
from tests.helpers.factories import aired, approved_programme, hai_phong_month
from tests.helpers.web import PASSWORD

TITLE = "Bản nháp an toàn giao thông của tỉnh"


@pytest.fixture
def draft(services: Services) -> int:
    """Hải Phòng's approved December, and a second campaign's programme of the province
    rendered (its audio on disk) but not approved. Returns the draft's id."""
    with transaction(services.sessions) as s:
        hai_phong_month(services, s)
        add_campaign(s, services.store, "ATGT", "An toàn giao thông", "31")
        found = approved_programme(s, "31", "2026-12", 720_000, services.clock.now(), "ATGT")
        found.status, found.approved_at, found.title = ProgrammeStatus.rendered, None, TITLE
        path = services.store.path(found.master_sha256 or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"ID3 not really audio")
        add_user(s, "xa", PASSWORD, "operator", "11560")
        add_user(s, "tinh", PASSWORD, "operator", "31")
        return found.id


def what_a_ward_sees(app: Flask, programme_id: int) -> dict[str, Any]:
    ward = logged_in(app, "xa")
    public = app.test_client()
    return {
        "listed": TITLE in ward.get("/programmes").get_data(as_text=True),
        "page": ward.get(f"/programmes/{programme_id}").status_code,
        "audio": ward.get(f"/programmes/{programme_id}/audio").status_code,
        "render": ward.get(f"/programmes/{programme_id}/render/status").status_code,
        "public": TITLE in public.get("/public/11560").get_data(as_text=True),
        "public_audio": public.get(f"/public/11560/programmes/{programme_id}.mp3").status_code,
    }


def test_a_draft_of_the_province_stays_with_the_province(
    app: Flask, services: Services, draft: int
) -> None:
    assert what_a_ward_sees(app, draft) == {"listed": False, "page": 404, "audio": 404,
                                            "render": 404, "public": False, "public_audio": 404}
    province = logged_in(app, "tinh")
    assert TITLE in province.get("/programmes").get_data(as_text=True)
    assert province.get(f"/programmes/{draft}/audio").status_code == 200
    for status in (ProgrammeStatus.draft, ProgrammeStatus.rendered):  # sent back: a draft
        with transaction(services.sessions) as s:
            s.get(Programme, draft).status = status  # type: ignore[union-attr]
        assert what_a_ward_sees(app, draft)["page"] == 404


def test_once_approved_the_ward_hears_it_as_its_relay(
    app: Flask, services: Services, draft: int
) -> None:
    with transaction(services.sessions) as s:
        found = s.get(Programme, draft)
        assert found is not None
        found.status, found.approved_at = ProgrammeStatus.approved, services.clock.now()
    assert what_a_ward_sees(app, draft) == {"listed": True, "page": 200, "audio": 200,
                                            "render": 200, "public": False, "public_audio": 404}
    with transaction(services.sessions) as s:
        aired(s, draft, "TN", services.clock.now())  # residents listen again once it aired
    assert what_a_ward_sees(app, draft) == {"listed": True, "page": 200, "audio": 200,
                                            "render": 200, "public": True, "public_audio": 200}
