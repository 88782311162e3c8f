"""Scheduler settings: a bad value stops a command with a clear message, nothing half-done."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from loa.settings import load_settings
from tests.conftest import Loa

README = Path(__file__).parents[1] / "README.md"


def documented_defaults() -> dict[str, str]:
    """`LOA_X` → the default README's settings table gives in backticks (one value only)."""
    rows = re.findall(r"^\| `(LOA_[A-Z_]+)` \| `([^`$]*)` \|", README.read_text(), re.M)
    return dict(rows)


def test_the_defaults_readme_gives_are_the_ones_loa_runs_with(tmp_path: Path) -> None:
    """Setting a documented default by hand changes nothing: the table tells the truth."""
    base = {"LOA_HOME": str(tmp_path)}
    defaults = documented_defaults()
    assert {"LOA_AIRING_GAP_SECONDS", "LOA_SCHEDULER_TICK_SECONDS", "LOA_LOG_LEVEL"} <= set(
        defaults)
    implicit = load_settings(base)
    for name, value in defaults.items():
        if name in base:  # the test's own home, not ./var
            continue
        assert load_settings({**base, name: value}) == implicit, f"{name}={value}"
    assert load_settings({**base, "LOA_AIRING_GAP_SECONDS": "0"}).airing_gap == timedelta(0)


@pytest.mark.parametrize(
    "name,value,says",
    [
        ("LOA_AIRING_GAP_SECONDS", "-30", "LOA_AIRING_GAP_SECONDS phải từ 0 trở lên"),
        ("LOA_AIRING_GAP_SECONDS", "half a minute", "phải là số nguyên"),
        ("LOA_SCHEDULER_TICK_SECONDS", "0", "LOA_SCHEDULER_TICK_SECONDS phải từ 1 trở lên"),
        ("LOA_LOG_LEVEL", "chatty", "LOA_LOG_LEVEL phải là DEBUG, INFO, WARNING hoặc ERROR"),
    ],
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_bad_scheduler_setting_is_refused_in_words(
    env: dict[str, str], name: str, value: str, says: str
) -> None:
    out = Loa({**env, name: value})("plan", "--month", "2026-12", ok=False)
    assert out.startswith("Lỗi: ") and says in out
