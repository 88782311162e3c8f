"""`loa demo` (README's first command) seeds, renders a 10-15 minute programme and plans."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Loa


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_seeds_a_compliant_month_plan_and_runs_twice(loa: Loa) -> None:
    first = loa("demo", "--no-serve")
    assert "admin, canbo, kiemtra, lanhdao — mật khẩu loa-demo-2026" in first
    assert first.count("3 lượt phát") == 2
    assert "Đang dựng" not in loa("demo", "--no-serve")  # nothing rendered twice
    rows = json.loads(loa("audit", "report", "--unit", "31", "--month", "2026-12"))
    # December has just begun: planned, not yet aired.
    assert [(r["status"], r["still_planned"]) for r in rows] == [("in_progress", 3)] * 2
    assert all(600 <= r["programme_duration_s"] <= 900 for r in rows)
    assert {r["unit"] for r in rows} == {"Phường Thuỷ Nguyên", "Phường Thiên Hương"}
