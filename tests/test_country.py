"""The national root: one campaign, one plan and one report for the whole country."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from loa.clock import FrozenClock
from loa.compliance.audit import Reading, station_month_report
from loa.compliance.pdf import letter_of
from loa.db import among, transaction
from loa.playlists.campaigns import add_campaign
from loa.scheduler.service import plan
from loa.services import Services
from loa.stations.models import AdminUnit, UnitLevel
from loa.stations.service import add_station
from loa.stations.units import add_unit, get_unit, import_units
from tests.helpers.factories import approved_programme

pytestmark = pytest.mark.both_databases  # the database is the point here


def test_importing_the_country_puts_every_province_under_one_root(services: Services) -> None:
    with transaction(services.sessions) as s:
        assert import_units(s, "31") == (114, 0)  # one province alone stays a root
        assert get_unit(s, "31").parent is None
    with transaction(services.sessions) as s:
        added, kept = import_units(s)
        assert (added + kept, kept) == (3321, 114)
        country = get_unit(s, "VN")
        assert (country.name, country.level) == ("Việt Nam", UnitLevel.country)
        assert country.parent is None
        provinces = s.scalars(select(AdminUnit).where(AdminUnit.level == UnitLevel.province)).all()
        assert len(provinces) == 34 and all(p.parent is country for p in provinces)
    with transaction(services.sessions) as s:
        import_units(s)  # again: nothing new, one country
        assert s.scalar(select(func.count()).select_from(AdminUnit)) == 1 + 34 + 3321


def test_a_province_under_the_country_still_reports_to_the_ministry(services: Services) -> None:
    with transaction(services.sessions) as s:
        add_unit(s, "VN", "Việt Nam", "country")
        add_unit(s, "31", "Thành phố Hải Phòng", "province", "VN")
        add_unit(s, "11560", "Phường Thủy Nguyên", "commune", "31")
        province = letter_of(get_unit(s, "31"))
        assert (province.recipient, province.place) == (
            "Bộ Văn hóa, Thể thao và Du lịch", "Hải Phòng"
        )
        commune = letter_of(get_unit(s, "11560"))
        assert (commune.recipient, commune.place) == (
            "Ủy ban nhân dân Thành phố Hải Phòng", "Hải Phòng"
        )
        country = letter_of(get_unit(s, "VN"))
        assert (country.recipient, country.place) == ("Bộ Văn hóa, Thể thao và Du lịch", "Hà Nội")


def test_one_country_campaign_is_planned_and_reported_across_provinces(
    services: Services, clock: FrozenClock
) -> None:
    with transaction(services.sessions) as s:
        add_unit(s, "VN", "Việt Nam", "country")
        for province, commune, station in (("31", "11560", "TN"), ("01", "00004", "BD")):
            add_unit(s, province, f"Tỉnh {province}", "province", "VN")
            add_unit(s, commune, f"Xã {commune}", "commune", province)
            add_station(s, station, commune, f"Đài {station}")
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "VN")
        country = approved_programme(s, "VN", "2026-12", 720_000, clock.now())
        own = approved_programme(s, "31", "2026-12", 660_000, clock.now())
        report = plan(s, "2026-12", clock.now(), services.settings.airing_gap)
        # The province's own programme wins over the country's where it applies.
        assert [(r.station, r.planned, r.programme_id) for r in report.rows] == [
            ("BD", 3, country.id), ("TN", 3, own.id)
        ]
    with transaction(services.sessions) as s:
        reading = Reading.of(services.settings, clock.now())
        rows = station_month_report(s, get_unit(s, "VN"), "2026-12", reading)
        assert [(r.station, r.status, r.still_planned) for r in rows] == [
            ("BD", "in_progress", 3), ("TN", "in_progress", 3)
        ]
        province = station_month_report(s, get_unit(s, "01"), "2026-12", reading)
        assert [r.station for r in province] == ["BD"]


def test_a_country_s_stations_are_picked_by_one_bound_value(services: Services) -> None:
    """The report's "station among these ids" (`loa.db.among`) answers as an IN list
    would, none and unknown ids included, but binds the ids as one value: thousands of
    placeholders cost the driver more than the query."""
    with transaction(services.sessions) as s:
        import_units(s, "31")
        ids = sorted(s.scalars(select(AdminUnit.id)))
        picked = [*ids[::3], 10**6]  # and one that names no unit

        def found(wanted: list[int]) -> list[int]:
            return sorted(s.scalars(select(AdminUnit.id).where(among(s, AdminUnit.id, wanted))))

        assert found(picked) == ids[::3] and found([]) == [] and found(ids) == ids
        statement = select(AdminUnit.id).where(among(s, AdminUnit.id, picked))
        bound = statement.compile(s.get_bind(), compile_kwargs={"render_postcompile": True})
        assert len(bound.params) == 1
