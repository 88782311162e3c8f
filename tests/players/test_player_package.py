"""The agent installs and runs without the server: its modules import nothing of it."""

from __future__ import annotations

import configparser
import json
import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import loa.player
from tests.conftest import need_server

ROOT = Path(__file__).resolve().parents[2]
SERVER_SIDE = ["flask", "sqlalchemy", "alembic", "numpy", "scipy", "reportlab", "pydub",
               "apscheduler", "click", "openpyxl", "psycopg"]


def test_agent_modules_import_nothing_of_the_server() -> None:
    modules = [f"loa.player.{m.name}" for m in pkgutil.iter_modules(loa.player.__path__)]
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {SERVER_SIDE!r}\n"
        "    or m.startswith('loa.') and not m.startswith('loa.player'))))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert len(modules) >= 15 and json.loads(result.stdout) == []


def test_player_distribution_needs_only_the_small_dependencies() -> None:
    project = tomllib.loads((ROOT / "packaging/player/pyproject.toml").read_text())["project"]
    assert sorted(d.split(">")[0] for d in project["dependencies"]) == [
        "cryptography", "paho-mqtt", "requests"]
    assert project["scripts"]["loa-player"] == "loa.player.cli:main"


def test_loa_player_help_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "loa.player.cli", "run", "--help"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "aplay,ffplay,null" in result.stdout


def test_unit_waits_for_time_sync_and_has_an_output_default() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(ROOT / "packaging/loa-player.service")
    assert "time-sync.target" in unit["Unit"]["Wants"].split()
    assert unit["Service"]["Environment"] == "LOA_OUTPUT=aplay,ffplay,null"
    assert "${LOA_OUTPUT}" not in unit["Service"]["ExecStart"]


def test_systemd_accepts_the_unit_and_a_configuration_error_is_not_restarted(
    tmp_path: Path
) -> None:
    """`systemd-analyze verify` on the unit (pointed at this venv's agent); exit 2 stays down."""
    if shutil.which("systemd-analyze") is None:
        need_server("systemd-analyze (systemd)", FileNotFoundError())
    agent = Path(sys.executable).parent / "loa-player"
    text = (ROOT / "packaging/loa-player.service").read_text()
    unit = tmp_path / "loa-player.service"
    unit.write_text(text.replace("/opt/loa-player/bin/loa-player", str(agent)))
    verified = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                              text=True)
    assert verified.returncode == 0, verified.stderr
    parsed = configparser.ConfigParser(strict=False, interpolation=None)
    parsed.read_string(text)
    assert parsed["Service"]["RestartPreventExitStatus"] == "2"
    assert parsed["Service"]["EnvironmentFile"].startswith("-")
    # The env file missing or empty: the agent says why and exits 2, which is not restarted.
    bare = subprocess.run([str(agent), "run", "--home", str(tmp_path / "home")],
                          env={"PATH": os.environ["PATH"]}, capture_output=True, text=True)
    assert bare.returncode == 2 and "LOA_PLAYER_TOKEN" in bare.stderr
