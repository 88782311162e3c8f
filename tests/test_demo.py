"""`loa demo` (README's first command) seeds, renders a 10-15 minute programme and plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from loa.cli import cli


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_seeds_a_compliant_month_plan_and_runs_twice(
    env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--no-serve"], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "mật khẩu loa-demo-2026" in first.output
    assert first.output.count("3 lượt phát") == 2
    again = runner.invoke(cli, ["demo", "--no-serve"], env=env, catch_exceptions=False)
    assert again.exit_code == 0 and "Đang dựng" not in again.output  # nothing rendered twice
    report = runner.invoke(
        cli,
        ["audit", "report", "--unit", "31", "--month", "2026-12"],
        env=env,
        catch_exceptions=False,
    )
    rows = json.loads(report.output)
    assert [r["status"] for r in rows] == ["short", "short"]  # planned, not yet aired
    assert all(600 <= r["programme_duration_s"] <= 900 for r in rows)
    assert {r["unit"] for r in rows} == {"Phường Thuỷ Nguyên", "Phường Thiên Hương"}
