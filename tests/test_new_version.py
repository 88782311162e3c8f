"""A new version of an approved programme replaces it for the airings still to come only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import tests.helpers.editor
from loa.clock import FrozenClock
from loa.db import transaction
from loa.playlists.models import Airing, AiringStatus, Programme, ProgrammeStatus
from loa.playlists.programmes import applicable_programme
from loa.services import Services
from loa.stations.units import get_unit
from tests.helpers.editor import add, create, operator, post

tree = tests.helpers.editor.tree  # a shared fixture

__all__ = ["tree"]


def approved_by_leader(client: Any, pid: int) -> str:
    """Render, submit as xa, approve as lanh-dao; the approval's message."""
    token = operator(client)
    assert "Đã dựng xong" in post(client, f"/programmes/{pid}/render", token)
    assert "Đã gửi lãnh đạo duyệt" in post(client, f"/programmes/{pid}/submit", token)
    return post(client, f"/programmes/{pid}/approve", operator(client, "lanh-dao"))


def airings(services: Services) -> list[tuple[int, AiringStatus]]:
    with services.sessions() as s:
        rows = s.scalars(select(Airing).order_by(Airing.starts_at, Airing.id))
        return [(a.programme_id, a.status) for a in rows]


@pytest.mark.usefixtures("tree")
def test_a_new_version_takes_the_airings_to_come_and_the_aired_one_stays(
    client: Any, services: Services, clock: FrozenClock
) -> None:
    token = operator(client)
    old = create(client, token)
    add(client, old, token, "jingle", source="campaign")
    add(client, old, token, "tts", text="Kính thưa bà con, xã triển khai chuyển đổi số.")
    assert "xếp thêm 3 lượt phát" in approved_by_leader(client, old)
    with transaction(services.sessions) as s:  # the first airing played, as a player reported
        first = s.scalars(select(Airing).order_by(Airing.starts_at)).first()
        assert first is not None
        first.status = AiringStatus.aired
        clock.set(first.starts_at + timedelta(hours=1))

    token = operator(client)
    page = post(client, f"/programmes/{old}/new-version", token)
    assert "Đã tạo bản sửa đổi số 2" in page and "Bản số 2" in page
    with services.sessions() as s:
        new = s.scalars(select(Programme).where(Programme.version == 2)).one()
        assert (new.status, new.replaces_id, len(new.segments)) == (ProgrammeStatus.draft, old, 2)
        new_id, text_id = new.id, new.segments[1].id
    again = post(client, f"/programmes/{old}/new-version", token)
    assert "Đã có bản sửa đổi số 2" in again  # one correction at a time
    assert "có bản sửa đổi số 2" in client.get(f"/programmes/{old}").get_data(as_text=True)
    assert [p for p, _ in airings(services)] == [old, old, old]  # nothing moves before approval

    fixed = "Kính thưa bà con, xã triển khai chuyển đổi số từ tháng Mười Hai."
    post(client, f"/programmes/{new_id}/segments/{text_id}/text", token, text=fixed)
    page = approved_by_leader(client, new_id)
    assert "Đã duyệt chương trình, xếp thêm 2 lượt phát" in page
    after = airings(services)
    assert after[0] == (old, AiringStatus.aired)  # it aired: it keeps counting for the old one
    assert sorted(after[1:]) == sorted(
        [(old, AiringStatus.cancelled)] * 2 + [(new_id, AiringStatus.planned)] * 2
    )
    with services.sessions() as s:
        unit = get_unit(s, "11560")
        programme = applicable_programme(s, unit, s.get_one(Programme, old).campaign_id, "2026-12")
        assert programme is not None and programme.id == new_id
        assert s.get_one(Programme, old).status is ProgrammeStatus.approved  # what aired stays


@pytest.mark.usefixtures("tree")
def test_only_an_approved_programme_gets_a_new_version(client: Any) -> None:
    token = operator(client)
    pid = create(client, token)
    assert "Chỉ tạo bản sửa đổi cho chương trình đã duyệt" in post(
        client, f"/programmes/{pid}/new-version", token
    )
