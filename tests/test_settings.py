"""Scheduler settings: a bad value stops a command with a clear message, nothing half-done."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loa.settings import load_settings
from tests.conftest import Loa


def test_defaults_leave_a_gap_and_tick_every_five_seconds() -> None:
    settings = load_settings({"LOA_HOME": "/tmp/loa-settings-test"})
    assert settings.airing_gap == timedelta(seconds=30)
    assert settings.scheduler_tick_s == 5
    assert settings.log_level == "INFO"
    assert load_settings({"LOA_AIRING_GAP_SECONDS": "0"}).airing_gap == timedelta(0)


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
