"""Campaigns: the numbers of the rule an administrator types, and the months it runs."""

from __future__ import annotations

from typing import Any

import pytest

from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.campaigns import add_campaign
from loa.services import Services
from loa.stations.units import add_unit


@pytest.fixture
def province(services: Services) -> None:
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Hải Phòng", "province")


@pytest.mark.usefixtures("province")
@pytest.mark.parametrize(
    "options,message",
    [
        ({"min_airings": 0}, "Số lần phát tối thiểu"),
        ({"min_minutes": 16}, "tối thiểu ≤ tối đa"),
        ({"min_minutes": 0}, "tối thiểu ≤ tối đa"),
        ({"first_month": "2026-13"}, "YYYY-MM"),
        ({"first_month": "2026-07", "last_month": "2026-06"}, "trước tháng bắt đầu"),
    ],
)
def test_bad_rules_are_refused(services: Services, options: dict[str, Any], message: str) -> None:
    with transaction(services.sessions) as s, pytest.raises(LoaError, match=message):
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31", **options)


@pytest.mark.usefixtures("province")
def test_defaults_follow_the_plans_and_months_bound_the_campaign(services: Services) -> None:
    with transaction(services.sessions) as s:
        campaign = add_campaign(
            s,
            services.store,
            "CDS",
            "Chuyển đổi số",
            "31",
            first_month="2026-01",
            last_month="2026-12",
        )
        assert (campaign.min_airings, campaign.min_s, campaign.max_s) == (3, 600, 900)
        assert campaign.runs_in("2026-01") and campaign.runs_in("2026-12")
        assert not campaign.runs_in("2025-12") and not campaign.runs_in("2027-01")
        with pytest.raises(LoaError, match="đã tồn tại"):
            add_campaign(s, services.store, "CDS", "Khác", "31")
