"""No test may depend on today's date: a sample of the suite passes with the machine's clock
a year ahead (libfaketime moves the wall clock of the whole process tree, agents and ffmpeg
included; the monotonic clock stays, as a real machine's would)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime

from tests.conftest import need_server

# The tests that mix the suite's START with the wall clock most easily: real-time agents,
# agent processes, render jobs compared across processes, polling without a broker.
SAMPLE = [
    "tests/players/test_push.py::test_without_a_broker_polling_still_delivers_the_change",
    "tests/players/test_emergency_e2e.py"
    "::test_without_a_broker_the_poll_starts_it_within_the_interval_plus_1_s",
    "tests/players/test_realtime.py"
    "::test_a_revoked_agent_process_stops_airing_after_the_grace_and_says_so",
    "tests/test_render_jobs.py"
    "::test_one_job_per_programme_claimed_once_and_seen_by_another_process[sqlite]",
    "tests/test_render_jobs.py::test_a_job_whose_worker_died_is_taken_again[sqlite]",
    "tests/test_glance_web.py",
]
A_YEAR_AHEAD = "+365d"


def ahead(*command: str) -> subprocess.CompletedProcess[str]:
    faketime = shutil.which("faketime")
    if faketime is None:
        need_server("faketime (scripts/setup.sh test installs it)", FileNotFoundError("faketime"))
    env = {**os.environ, "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    return subprocess.run([faketime, "-f", A_YEAR_AHEAD, *command], env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_clock_is_really_a_year_ahead_under_faketime() -> None:
    shown = ahead(sys.executable, "-c",
                  "from datetime import UTC, datetime; print(datetime.now(UTC).isoformat())")
    ahead_by = datetime.fromisoformat(shown.stdout.strip()) - datetime.now(UTC)
    assert 364 <= ahead_by.days <= 365, shown.stderr


def test_a_sample_of_the_suite_passes_a_year_from_now() -> None:
    run = ahead(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "-p", "no:xdist", *SAMPLE)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
