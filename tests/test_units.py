"""The admin-unit tree with the official 2025 units."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from loa.db import transaction
from loa.errors import LoaError
from loa.services import Services
from loa.stations.models import AdminUnit, UnitLevel
from loa.stations.service import add_station
from loa.stations.units import add_unit, get_unit, import_units, stations_under, subtree_ids

pytestmark = pytest.mark.both_databases  # the database is the point here


def test_import_hai_phong_real_communes(services: Services) -> None:
    with transaction(services.sessions) as s:
        assert import_units(s, "31") == (114, 0)
        province = get_unit(s, "31")
        assert province.name == "Thành phố Hải Phòng" and province.level is UnitLevel.province
        assert get_unit(s, "11560").name == "Phường Thuỷ Nguyên"  # the official spelling
        assert len(subtree_ids(s, province)) == 115
    with transaction(services.sessions) as s:
        assert import_units(s, "31") == (0, 114)  # importing again adds nothing
        assert s.scalar(select(func.count()).select_from(AdminUnit)) == 115


def test_unknown_province_code_is_an_error(services: Services) -> None:
    with transaction(services.sessions) as s, pytest.raises(LoaError, match="Không có tỉnh"):
        import_units(s, "99")


def test_district_is_optional_and_levels_only_go_down(services: Services) -> None:
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Hải Phòng", "province")
        add_unit(s, "D", "Thủy Nguyên", "district", "31")
        add_unit(s, "C1", "Xã dưới huyện", "commune", "D")
        add_unit(s, "C2", "Xã trực thuộc tỉnh", "commune", "31")
        with pytest.raises(LoaError, match="không thể nằm dưới"):
            add_unit(s, "D2", "Huyện dưới xã", "district", "C1")
        assert subtree_ids(s, get_unit(s, "D")) == {get_unit(s, "D").id, get_unit(s, "C1").id}
        assert stations_under(s, get_unit(s, "C2")) == []


def test_units_and_stations_need_a_code_and_a_name(services: Services) -> None:
    with transaction(services.sessions) as s:
        with pytest.raises(LoaError, match="cần mã và tên"):
            add_unit(s, " ", "Hải Phòng", "province")
        add_unit(s, "31", "Hải Phòng", "province")
        with pytest.raises(LoaError, match="cần mã và tên"):
            add_station(s, "TN", "31", "")
