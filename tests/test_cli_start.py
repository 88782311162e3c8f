"""`loa --help` starts without the heavy libraries; every command it lists still loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from loa.cli import COMMANDS, cli
from tests.conftest import Loa

HEAVY = ("scipy", "numpy", "pydub", "reportlab", "openpyxl", "flask", "sqlalchemy")

_PROBE = """
import json, sys
sys.argv = ["loa", *%r]
from loa.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in %r)))
"""


def test_loa_help_lists_every_command_without_loading_heavy_libraries() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE % (["--help"], HEAVY)], capture_output=True, text=True,
        check=True,
    )
    *help_lines, loaded = done.stdout.strip().splitlines()
    assert json.loads(loaded) == []
    listed = {line.split()[0] for line in help_lines if line.startswith("  ") and line.split()}
    assert set(COMMANDS) <= listed


def test_every_listed_command_loads_under_its_name() -> None:
    with click.Context(cli) as ctx:
        for name in COMMANDS:
            command = cli.get_command(ctx, name)
            assert command is not None and command.name == name, name
            assert command.get_short_help_str(), name


@pytest.mark.parametrize(
    "argv", [["bulletin", "--help"], ["bulletin", "send", "--help"], ["backup", "--help"],
             ["restore", "--help"], ["worker", "--help"]])
def test_a_command_s_help_loads_no_heavy_library_either(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE % (argv, HEAVY)], capture_output=True, text=True, check=True
    )
    *help_lines, loaded = done.stdout.strip().splitlines()
    assert json.loads(loaded) == [] and any(line.startswith("Usage: loa") for line in help_lines)


def test_a_command_on_a_database_not_yet_made_says_to_run_loa_init(
    env: dict[str, str], empty_database_url: str
) -> None:
    loa = Loa({**env, "LOA_DATABASE_URL": empty_database_url})
    said = loa("audit", "verify", ok=False)  # the hint no longer imports SQLAlchemy up front
    assert "đã chạy `loa init` chưa?" in said and "Traceback" not in said


def test_a_database_command_loads_neither_the_web_nor_the_audio_libraries(
    tmp_path: Path
) -> None:
    """`loa bulletin list` (a query, no page, no sound) leaves Flask, scipy, numpy and the
    broker's client unloaded: a storm warning sent from the command line should not wait
    for them, and the list reads nothing they serve."""
    env = {**os.environ, "LOA_HOME": str(tmp_path), "LOA_DATABASE_URL": ""}
    env.pop("LOA_DATABASE_URL")
    subprocess.run([Path(sys.executable).with_name("loa"), "init"], env=env, check=True,
                   capture_output=True)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE % (["bulletin", "list"], (
            "flask", "scipy", "pydub", "numpy", "paho", "cryptography", "babel", "apprise"))],
        capture_output=True, text=True, env=env, check=True,
    )
    assert "Lỗi" not in done.stdout + done.stderr  # it ran: the query answered
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def _loaded(argv: list[str], libraries: tuple[str, ...], env: dict[str, str]) -> list[str]:
    """The ``libraries`` that running `loa ARGV` in a fresh interpreter imported."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE % (argv, libraries)], capture_output=True, text=True,
        env=env, check=True,
    )
    assert "Lỗi" not in done.stdout + done.stderr, done.stdout + done.stderr
    return sorted({name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])})


@pytest.fixture
def commune(tmp_path: Path) -> dict[str, str]:
    """A fresh SQLite Loa with one commune and its station, for commands run as processes."""
    env = {**os.environ, "LOA_HOME": str(tmp_path)}
    env.pop("LOA_DATABASE_URL", None)
    loa = str(Path(sys.executable).with_name("loa"))
    for args in (["init"], ["unit", "add", "01", "Hà Nội", "--level", "province"],
                 ["station", "add", "HN", "--unit", "01", "--name", "Đài Hà Nội"]):
        subprocess.run([loa, *args], env=env, check=True, capture_output=True)
    return env


def test_an_emergency_sent_from_the_command_line_loads_no_scipy_or_web(
    commune: dict[str, str]
) -> None:
    """The warning is rendered (numpy) without scipy, pyloudnorm, pydub, the web, its
    translations, the alert channels or the report libraries: importing them cost the
    send path about a second (bench_bulletin)."""
    loaded = _loaded(["bulletin", "send", "--unit", "01", "--priority", "emergency",
                      "--text", "Bão số 3 đổ bộ đêm nay, đề nghị bà con không ra khơi."],
                     (*HEAVY, "pyloudnorm", "mutagen", "apscheduler", "babel", "apprise",
                      "werkzeug", "jinja2", "requests", "gtts", "PIL", "psycopg"), commune)
    assert loaded == ["numpy", "sqlalchemy"]  # it rendered and stored the bulletin
    listed = subprocess.run([Path(sys.executable).with_name("loa"), "bulletin", "list"],
                            env=commune, capture_output=True, text=True, check=True).stdout
    assert "emergency\tactive" in listed


def test_the_json_report_loads_no_pdf_spreadsheet_or_audio_library(
    commune: dict[str, str], tmp_path: Path
) -> None:
    """`loa audit report` as JSON (a country's is thousands of rows) loads neither
    reportlab nor openpyxl, which only their formats need, nor the audio stack, nor the
    broker client (paho) that only players' logins and notices need."""
    libraries = ("reportlab", "openpyxl", "scipy", "numpy", "pydub", "flask", "paho")
    report = ["audit", "report", "--unit", "01", "--month", "2026-12"]
    assert _loaded([*report, "--output", str(tmp_path / "r.json")], libraries, commune) == []
    spreadsheet = [*report, "--format", "xlsx", "--output", str(tmp_path / "r.xlsx")]
    assert "openpyxl" in _loaded(spreadsheet, libraries, commune)  # loaded when asked
    assert (tmp_path / "r.xlsx").stat().st_size > 0


def test_a_web_worker_loads_the_bulletin_render_after_start_up(tmp_path: Path) -> None:
    """The first emergency a web worker takes does not wait for numpy and the chime in its
    request: the WSGI app loads them in the background once it is built."""
    env = {**os.environ, "LOA_HOME": str(tmp_path)}
    env.pop("LOA_DATABASE_URL", None)
    probe = ("import sys, loa.wsgi; loa.wsgi.warming.join(60); "
             "from loa.audio.bulletin import _default_lead; "
             "print('numpy' in sys.modules, _default_lead.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["True", "1"]
