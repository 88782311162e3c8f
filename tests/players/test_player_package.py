"""The agent installs and runs without the server: its modules import nothing of it."""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import loa.player
from loa.player.output import parse_outputs
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


def imported_top_names(folder: Path) -> set[str]:
    """The top-level modules the files of ``folder`` import (stdlib and loa left out)."""
    names: set[str] = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"loa"}


def test_player_distribution_declares_what_the_agent_imports_and_nothing_of_the_server(
) -> None:
    """A station box installs only the player's dependencies: every library the agent imports
    must come from one of them, and none of them may be a server library."""
    project = tomllib.loads((ROOT / "packaging/player/pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=!~\[ ]", d)[0].lower() for d in project["dependencies"]}
    provided_by = importlib.metadata.packages_distributions()
    needed = {dist.lower() for name in imported_top_names(ROOT / "loa_player")
              for dist in provided_by.get(name, [name])}
    assert needed <= declared, f"imported but not declared: {needed - declared}"
    assert not declared & {name.lower() for name in SERVER_SIDE}
    assert project["scripts"]["loa-player"] == "loa.player.cli:main"


def test_loa_player_help_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "loa.player.cli", "run", "--help"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "aplay,ffplay,null" in result.stdout


def test_unit_waits_for_time_sync_and_leaves_the_outputs_to_the_box() -> None:
    """The unit sets no outputs: a default there would outrank an older box's LOA_OUTPUT in
    its env file; unset, the agent's own order ends in null, so a box without sound runs."""
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(ROOT / "packaging/loa-player.service")
    assert "time-sync.target" in unit["Unit"]["Wants"].split()
    assert "Environment" not in unit["Service"]
    assert "OUTPUT" not in unit["Service"]["ExecStart"]
    chain = parse_outputs("")
    assert len(chain) >= 2 and chain[-1] == "null"
    example = (ROOT / "packaging/player.env.example").read_text()
    assert "\nLOA_PLAYER_OUTPUTS=aplay,ffplay,null\n" in example


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
