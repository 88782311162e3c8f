"""Acronyms belong to a unit: its entries reach its own subtree's renders and no one else's."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from loa import migrate
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.campaigns import add_campaign
from loa.playlists.lexicon import operator_acronyms, remove_acronym, set_acronym
from loa.playlists.models import Segment, SegmentKind
from loa.services import Services
from loa.stations.units import add_unit, get_unit
from loa.web.users import add_user
from tests.conftest import Loa
from tests.helpers.factories import approved_programme, two_wards
from tests.helpers.web import PASSWORD, csrf, login

BUILT_IN = "Ủy ban nhân dân"


@pytest.fixture
def wards(services: Services) -> None:
    """Two wards of Hải Phòng, an operator of each, and a province auditor."""
    with transaction(services.sessions) as s:
        two_wards(s)
        add_user(s, "tn", PASSWORD, "operator", "11560")
        add_user(s, "th", PASSWORD, "operator", "11557")
        add_user(s, "tinh", PASSWORD, "auditor", "31")


@pytest.mark.usefixtures("wards")
def test_a_wards_reading_stays_in_its_subtree(services: Services) -> None:
    with transaction(services.sessions) as s:
        tn, th, province = get_unit(s, "11560"), get_unit(s, "11557"), get_unit(s, "31")
        add_unit(s, "TN-1", "Tổ dân phố 1", "commune", "31")  # a sibling, not below TN
        set_acronym(s, "UBND", "Ủy ban phường Thủy Nguyên", tn)
        set_acronym(s, "HP", "Hải Phòng", province)
        set_acronym(s, "HP", "thành phố Cảng", th)  # nearest wins
        set_acronym(s, "ĐTN", "đê tê en")  # global
        assert operator_acronyms(s, tn) == {
            "UBND": "Ủy ban phường Thủy Nguyên", "HP": "Hải Phòng", "ĐTN": "đê tê en"}
        assert operator_acronyms(s, th) == {"HP": "thành phố Cảng", "ĐTN": "đê tê en"}
        assert operator_acronyms(s, province) == {"HP": "Hải Phòng", "ĐTN": "đê tê en"}
        with pytest.raises(LoaError, match="Không có từ viết tắt"):
            remove_acronym(s, "HP", tn)  # inherited: not TN's to remove
        remove_acronym(s, "HP", th)
        assert operator_acronyms(s, th)["HP"] == "Hải Phòng"


def test_cli_adds_for_a_unit_and_normalize_reads_its_chain(loa: Loa) -> None:
    loa("init")
    loa("unit", "add", "31", "Thành phố Hải Phòng", "--level", "province")
    for code in ("11560", "11557"):
        loa("unit", "add", code, f"Phường {code}", "--level", "commune", "--parent", "31")
    loa("acronym", "add", "UBND", "Ủy ban phường", "--unit", "11560")
    assert loa("tts", "normalize", "UBND", "--unit", "11560").strip() == "Ủy ban phường"
    assert loa("tts", "normalize", "UBND", "--unit", "11557").strip() == BUILT_IN
    assert loa("tts", "normalize", "UBND", "--unit", "31").strip() == BUILT_IN
    assert loa("tts", "normalize", "UBND").strip() == BUILT_IN
    assert loa("acronym", "list", "--unit", "11560").strip() == "UBND\tỦy ban phường"
    assert loa("acronym", "list").strip() == ""  # nothing global
    assert "Không tìm thấy đơn vị" in loa("tts", "normalize", "UBND", "--unit", "999", ok=False)
    assert "Không có từ viết tắt" in loa("acronym", "remove", "UBND", "--unit", "11557", ok=False)
    loa("acronym", "remove", "UBND", "--unit", "11560")
    assert loa("tts", "normalize", "UBND", "--unit", "11560").strip() == BUILT_IN


@pytest.mark.usefixtures("wards")
def test_the_page_edits_the_users_own_unit_and_shows_inherited_read_only(
    app: Any, services: Services
) -> None:
    with transaction(services.sessions) as s:
        set_acronym(s, "HP", "Hải Phòng", get_unit(s, "31"))
    tn = app.test_client()
    page = login(tn, "tn").data
    tn.post("/acronyms", data={"word": "UBND", "spoken": "Ủy ban phường", "csrf_token": csrf(page)})
    own = tn.get("/acronyms?thu=UBND HP").get_data(as_text=True)
    assert "Ủy ban phường" in own.split('id="own"')[1].split("</table>")[0]
    assert "Hải Phòng" in own.split('id="inherited"')[1].split("</table>")[0]
    assert 'id="spoken">Ủy ban phường Hải Phòng<' in own
    # Removing the province's word from the ward's page changes nothing.
    tn.post("/acronyms", data={"word": "HP", "action": "remove", "csrf_token": csrf(page)})
    assert "Không có từ viết tắt" in tn.get("/acronyms").get_data(as_text=True)
    th = app.test_client()
    login(th, "th")
    other = th.get("/acronyms?thu=UBND").get_data(as_text=True)
    assert "Ủy ban phường" not in other and f'id="spoken">{BUILT_IN}<' in other


@pytest.mark.usefixtures("wards")
def test_the_editor_previews_with_the_programme_owners_chain(
    client: Any, services: Services
) -> None:
    """A ward's programme reads with the ward's chain, whoever looks at it."""
    with transaction(services.sessions) as s:
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31")
        programme = approved_programme(s, "11560", "2026-12", 720_000, services.clock.now())
        s.add(Segment(programme=programme, position=1, kind=SegmentKind.tts, text="UBND họp"))
        set_acronym(s, "UBND", "Ủy ban phường", get_unit(s, "11560"))
        programme_id = programme.id
    login(client, "tn")
    assert "Ủy ban phường họp" in client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf(client.get("/").data)})
    login(client, "tinh")
    shown = client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "Ủy ban phường họp" in shown  # the ward's programme: the ward's reading


@pytest.mark.both_databases
def test_migration_makes_old_entries_global_and_lowercases_usernames(
    empty_database_url: str,
) -> None:
    command.upgrade(migrate.alembic_config(empty_database_url), "0005_tamper")
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_unit (id, code, name, level) "
                          "VALUES (1, '31', 'Hải Phòng', 'province')"))
        conn.execute(text("INSERT INTO app_user (username, password_hash, role, unit_id) "
                          "VALUES (' KiemTra', 'x', 'auditor', 1), ('canbo', 'x', 'operator', 1)"))
        conn.execute(text("INSERT INTO acronym (word, spoken) VALUES ('TPHP', 'thành phố')"))
    migrate.upgrade(empty_database_url)
    with engine.connect() as conn:
        assert set(conn.scalars(text("SELECT username FROM app_user"))) == {"kiemtra", "canbo"}
        assert conn.execute(text("SELECT unit_id, word, spoken FROM acronym")).all() == [
            (None, "TPHP", "thành phố")]
        conn.execute(text("INSERT INTO acronym (unit_id, word, spoken) VALUES (1, 'HP', 'x')"))
        conn.commit()
    command.downgrade(migrate.alembic_config(empty_database_url), "0005_tamper")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT word, spoken FROM acronym ORDER BY word")).all() == [
            ("HP", "x"), ("TPHP", "thành phố")]
    engine.dispose()


@pytest.mark.both_databases
def test_migration_stops_on_usernames_that_collide(empty_database_url: str) -> None:
    command.upgrade(migrate.alembic_config(empty_database_url), "0005_tamper")
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_unit (id, code, name, level) "
                          "VALUES (1, '31', 'Hải Phòng', 'province')"))
        conn.execute(text("INSERT INTO app_user (username, password_hash, role, unit_id) "
                          "VALUES ('CanBo', 'x', 'auditor', 1), ('canbo', 'x', 'operator', 1)"))
    engine.dispose()
    with pytest.raises(RuntimeError, match="trùng nhau"):
        migrate.upgrade(empty_database_url)
