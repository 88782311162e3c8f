"""The server's packaging: systemd accepts the units, nginx's limits match the app's."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loa.web.player_api import BODY_LIMIT as PLAYER_API_LIMIT
from tests.conftest import need_server

pytestmark = pytest.mark.both_databases  # the database is the point here

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
UNITS = ("loa-web.service", "loa-scheduler.service", "loa-worker.service")


def unit(name: str) -> configparser.ConfigParser:
    parsed = configparser.ConfigParser(strict=False, interpolation=None)
    parsed.read(PACKAGING / name)
    return parsed


@pytest.mark.parametrize("name", UNITS)
def test_systemd_accepts_the_unit(name: str, tmp_path: Path) -> None:
    """`systemd-analyze verify`, with the unit pointed at this venv's commands."""
    if shutil.which("systemd-analyze") is None:
        need_server("systemd-analyze (systemd)", FileNotFoundError())
    venv = f"{Path(sys.executable).parent}/"
    text = (PACKAGING / name).read_text().replace("/opt/loa/bin/", venv)
    written = tmp_path / name
    written.write_text(text)
    verified = subprocess.run(["systemd-analyze", "verify", str(written)], capture_output=True,
                              text=True)
    assert verified.returncode == 0, verified.stderr


def test_units_run_the_commands_the_deploy_guide_names() -> None:
    commands = {name: unit(name)["Service"]["ExecStart"] for name in UNITS}
    assert commands["loa-web.service"].endswith("--config /opt/loa/packaging/gunicorn.conf.py")
    assert commands["loa-scheduler.service"] == "/opt/loa/bin/loa scheduler"
    assert commands["loa-worker.service"] == "/opt/loa/bin/loa worker"
    for name in UNITS:
        assert unit(name)["Service"]["EnvironmentFile"] == "/etc/loa/loa.env"
        assert unit(name)["Service"]["User"] == "loa"


def _megabytes(raw: str) -> int:
    number, suffix = re.fullmatch(r"(\d+)([mk]?)", raw).groups()  # type: ignore[union-attr]
    return int(number) * {"m": 1024 * 1024, "k": 1024, "": 1}[suffix]


def test_nginx_limits_match_the_apps(app) -> None:  # type: ignore[no-untyped-def]
    site = (PACKAGING / "nginx-loa.conf").read_text()
    limits = re.findall(r"client_max_body_size (\w+);", site)
    assert [_megabytes(x) for x in limits] == [
        app.config["MAX_CONTENT_LENGTH"], PLAYER_API_LIMIT]
    assert re.search(r"location /api/v1/ \{\s*client_max_body_size 2m;", site)
    # The internal location the app redirects to is the store, and nothing else reaches it.
    audio = re.search(r"location /_audio/ \{(.*?)\}", site, re.S)
    assert audio and "internal;" in audio.group(1)
    assert "alias /var/lib/loa/audio/;" in audio.group(1)
    env = (PACKAGING / "loa.env.example").read_text()
    assert "LOA_ACCEL_REDIRECT=/_audio/" in env and "LOA_AUDIO_DIR=/var/lib/loa/audio" in env
    assert "ssl_certificate " in site and "return 301 https://" in site
