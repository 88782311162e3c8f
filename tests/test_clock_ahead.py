"""No test may depend on today's date: a sample of the suite passes with the wall clock a
year ahead of today (time-machine in the test process, tests/conftest.py; the monotonic
clock is left alone, as a real machine's would be). The sample is the in-process tests
that mixed the suite's START with the real clock most easily: real-time agents, render
jobs compared across workers, polling without a broker, the month overview."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.real_time
SAMPLE = [
    "tests/players/test_push.py::test_without_a_broker_polling_still_delivers_the_change",
    "tests/players/test_emergency_e2e.py"
    "::test_without_a_broker_the_poll_starts_it_within_the_interval_plus_1_s",
    "tests/players/test_realtime.py"
    "::test_nine_back_to_back_airings_all_start_on_time_and_report_at_once",
    "tests/test_render_jobs.py"
    "::test_one_job_per_programme_claimed_once_and_seen_by_another_process",
    "tests/test_render_jobs.py::test_a_job_whose_worker_died_is_taken_again",
    "tests/test_glance_web.py",
]
A_YEAR = 365


def test_a_sample_of_the_suite_passes_a_year_from_now() -> None:
    env = {**os.environ, "LOA_TEST_DAYS_AHEAD": str(A_YEAR)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                          "-p", "no:xdist", "-k", "not postgresql", *SAMPLE],
                         env=env, capture_output=True, text=True, timeout=600)
    moved = re.search(r"wall clock moved to (\d{4}-\d{2}-\d{2})", run.stdout)
    assert moved, run.stdout[-2000:]
    ahead = datetime.fromisoformat(moved.group(1)).replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(days=A_YEAR - 1) <= ahead <= timedelta(days=A_YEAR), moved.group(1)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", run.stdout) and "failed" not in run.stdout
