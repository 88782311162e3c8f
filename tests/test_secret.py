"""A configured session key anyone could know stops every server command (issue 15 §1)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from loa.cli import cli
from loa.secret import PUBLISHED

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER_COMMANDS = (["serve"], ["web"], ["scheduler"], ["worker"])
# `LOA_SECRET_KEY=value` in a doc or env file, `"LOA_SECRET_KEY": "value"` in a script.
EXAMPLE = re.compile(r"""LOA_SECRET_KEY["']?[ \t]*[=:][ \t]*["']?([^\s"'`),]*)""")


def published_examples() -> set[str]:
    """Every value the docs, packaging, benches and code show for LOA_SECRET_KEY."""
    files = [ROOT / "README.md", *(ROOT / "docs").rglob("*"), *(ROOT / "packaging").rglob("*"),
             *(ROOT / "bench").rglob("*.py"), *(ROOT / "loa").rglob("*.py")]
    found = set()
    for path in files:
        if path.is_file():
            found.update(EXAMPLE.findall(path.read_text(encoding="utf-8", errors="replace")))
    return {value for value in found if value and not value.startswith("$")}


def _refused(env: dict[str, str], *argv: str) -> str:
    result = CliRunner().invoke(cli, list(argv), env=env)
    assert result.exit_code == 2, result.output
    return result.output


@pytest.fixture
def home_env(tmp_path: Path) -> dict[str, str]:
    return {"LOA_HOME": str(tmp_path / "home"),
            "LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'loa.db'}"}


def test_the_examples_are_found_and_the_shipped_env_file_leaves_the_key_unset() -> None:
    assert {"bench", "sim"} <= published_examples()  # the scan reads what it should
    example = (ROOT / "packaging" / "loa.env.example").read_text()
    assert re.search(r"^# LOA_SECRET_KEY=$", example, re.MULTILINE)
    assert not re.search(r"^LOA_SECRET_KEY=", example, re.MULTILINE)


# CHANGE-ME: what packaging/loa.env.example set before it shipped the line commented out.
@pytest.mark.parametrize("key", sorted(published_examples() | PUBLISHED | {"CHANGE-ME"}))
@pytest.mark.parametrize("argv", SERVER_COMMANDS, ids=lambda argv: argv[0])
def test_every_published_key_stops_every_server_command(
    home_env: dict[str, str], tmp_path: Path, argv: list[str], key: str
) -> None:
    output = _refused({**home_env, "LOA_SECRET_KEY": key}, *argv)
    assert len(output.strip().splitlines()) == 1
    assert "loa secret generate" in output and "(LOA_SECRET_KEY is" in output
    assert not (tmp_path / "loa.db").exists()  # refused before anything is touched


@pytest.mark.parametrize("key", ["x" * 31, "a" * 40, "ab" * 20, "0123456" * 6])
def test_a_short_or_repetitive_key_is_refused(home_env: dict[str, str], key: str) -> None:
    _refused({**home_env, "LOA_SECRET_KEY": key}, "scheduler")


def test_loa_serve_refuses_a_published_key_as_a_real_process(home_env: dict[str, str]) -> None:
    env = {**os.environ, **home_env, "LOA_SECRET_KEY": "CHANGE-ME"}
    done = subprocess.run([BIN / "loa", "serve", "--port", "0"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Lỗi: LOA_SECRET_KEY") and "loa secret generate" in line


def test_gunicorn_as_the_unit_runs_it_refuses_too(home_env: dict[str, str]) -> None:
    """loa-web.service runs gunicorn with packaging/gunicorn.conf.py, not `loa web`."""
    env = {**os.environ, **home_env, "LOA_SECRET_KEY": "test-secret", "LOA_BIND": "127.0.0.1:0"}
    done = subprocess.run([BIN / "gunicorn", "-c", ROOT / "packaging" / "gunicorn.conf.py"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Lỗi: LOA_SECRET_KEY" in done.stderr and "Booting worker" not in done.stderr


def _worker_starts(env: dict[str, str]) -> None:
    subprocess.run([BIN / "loa", "init"], env=env, capture_output=True, check=True, timeout=120)
    worker = subprocess.Popen([BIN / "loa", "worker"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        assert "waiting for renders" in worker.stdout.readline()
    finally:
        worker.terminate()
        assert worker.wait(60) == 0


def test_a_generated_key_starts_a_worker(home_env: dict[str, str]) -> None:
    generate = [BIN / "loa", "secret", "generate"]
    keys = [subprocess.run(generate, capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)]
    assert keys[0] != keys[1] and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    _worker_starts({**os.environ, **home_env, "LOA_SECRET_KEY": keys[0]})


def test_unset_the_key_a_server_command_starts(home_env: dict[str, str]) -> None:
    """The web then generates the key once into LOA_HOME (tests/test_production.py)."""
    _worker_starts({k: v for k, v in {**os.environ, **home_env}.items() if k != "LOA_SECRET_KEY"})
