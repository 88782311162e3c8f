"""Stopping a render stops its child processes: `loa worker` stopped by systemd (SIGTERM)
mid-render leaves no espeak-ng or ffmpeg running, writes nothing more, and the job goes
back to the queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.playlists.editing import add_segment, create_programme
from loa.playlists.jobs import enqueue
from loa.playlists.models import RenderJob, RenderStatus
from loa.services import Services
from loa.stations.units import add_unit
from tests.conftest import START

pytestmark = pytest.mark.real_time
SPOKEN = 12
TEXT = "Bà con thực hiện chuyển đổi số, cài ứng dụng dịch vụ công trên điện thoại. " * 30


def _children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid`` that run a program of their own, by command."""
    found = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            pids = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, pids):
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if command and Path(command.decode()).name in ("espeak-ng", "ffmpeg"):
                found[child] = command.decode()
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _job(services: Services) -> RenderJob:
    with transaction(services.sessions) as s:
        return s.scalars(select(RenderJob)).one()


def test_a_worker_stopped_mid_render_leaves_no_child_process(
    services: Services, env: dict[str, str], tmp_path: Path
) -> None:
    bed = tmp_path / "nhac-nen.mp3"  # 20 minutes: its decoder runs through the whole mix
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=220:duration=1200", "-b:a", "64k", str(bed)], check=True)
    with transaction(services.sessions) as s:
        add_unit(s, "31", "Thành phố Hải Phòng", "province")
        add_unit(s, "11560", "Phường Thủy Nguyên", "commune", "31")
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31",
                     min_minutes=1, max_minutes=30)
        made = create_programme(s, "CDS", "11560", "2026-12", "Tháng 12")
        add_segment(s, services.store, made.id, "bed", upload_path=bed, seconds=2.0)
        for _ in range(SPOKEN):
            add_segment(s, services.store, made.id, "tts", text=TEXT)
        enqueue(s, made.id, START, "xa")
    stored = sorted(services.store.root.rglob("*.*"))  # the bed
    loa = str(Path(sys.executable).parent / "loa")
    process = subprocess.Popen([loa, "worker", "--poll", "0.2"], env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            seen.update(_children(process.pid))
            job = _job(services)
            # Every segment mixed and the loudness planned: the encoders are at work.
            if job.done >= SPOKEN + 2:
                break
            assert job.status is not RenderStatus.done, "the render ended before it was stopped"
            time.sleep(0.02)
        else:
            raise AssertionError(f"the render never got under way: {_job(services)}")
        seen.update(_children(process.pid))
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, process.stderr.read() if process.stderr else ""
    finally:
        process.kill()
        process.wait(30)
    assert seen, "no child process was seen"
    survivors = {pid: command for pid, command in seen.items() if _running(pid)}
    assert not survivors, f"still running after the worker stopped: {survivors}"
    # Nor any process it started after the last look: none names this test's files.
    mine = str(tmp_path)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        assert mine not in cmdline or not _running(int(proc.name)), cmdline
    job = _job(services)
    assert (job.status, job.worker, job.attempts) == (RenderStatus.queued, None, 0)
    # Stopped mid-encoding: no MP3 was finished and kept (the encoders were killed).
    assert sorted(services.store.root.rglob("*.*")) == stored
