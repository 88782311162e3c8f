"""A clean install of either distribution claims the one import name `loa`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _wheel_names(project: Path, out: Path) -> set[str]:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(project)], check=True, capture_output=True)
    (wheel,) = out.glob("*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def _top_level(names: set[str]) -> set[str]:
    return {n.split("/")[0] for n in names if ".dist-info/" not in n}


def test_server_wheel_installs_everything_under_loa(tmp_path: Path) -> None:
    names = _wheel_names(ROOT, tmp_path)
    assert _top_level(names) == {"loa"}
    for module in ("loa/audio/tts.py", "loa/web/ui.py", "loa/player/agent.py",
                   "loa/migrations/versions/0001_initial_schema.py",
                   "loa/web/templates/base.html", "loa/web/translations/vi/LC_MESSAGES/messages.mo",
                   "loa/web/static/loa.css", "loa/migrations/script.py.mako"):
        assert module in names, module


def test_player_wheel_is_the_agent_alone(tmp_path: Path) -> None:
    names = _wheel_names(ROOT / "packaging" / "player", tmp_path)
    assert _top_level(names) == {"loa"}
    assert "loa/player/agent.py" in names
    # No loa/__init__.py: beside the server distribution `loa` stays one package.
    assert not {n for n in names if n.startswith("loa/") and not n.startswith("loa/player/")}
