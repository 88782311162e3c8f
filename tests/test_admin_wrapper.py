"""`loa` as root cannot break the service (issue 15 §9): it refuses a home the service user
owns, packaging/loa-admin runs it as that user with the env file's settings kept off every
command line, and `loa init` never prints the database password."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import Loa

WRAPPER = Path(__file__).resolve().parents[1] / "packaging" / "loa-admin"
NOBODY = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand files to another user")


@as_root
def test_root_is_refused_on_a_home_the_service_user_owns(
    loa: Loa, env: dict[str, str]
) -> None:
    home = Path(env["LOA_HOME"])
    home.mkdir(parents=True)
    os.chown(home, NOBODY, -1)
    said = loa("init", ok=False)
    assert "refusing to run as root" in said and "loa-admin" in said and "nobody" in said
    assert not (home / "audio").exists()  # nothing written there
    os.chown(home, 0, -1)
    loa("init")  # root's own home (a pilot, a test): allowed


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the service user can reach (pytest's own is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="loa-admin-", dir="/tmp"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


@as_root
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux setpriv")
def test_the_wrapper_runs_loa_as_the_service_user_with_the_env_file(
    shared_dir: Path,
) -> None:
    fake = shared_dir / "loa"  # stands for /opt/loa/bin/loa: says who and what it got
    fake.write_text(
        "#!/bin/sh\n"
        'out="$(dirname "$0")/seen"\n'
        '{ id -u; id -g; echo "$LOA_DATABASE_URL"; echo "$LOA_SECRET_KEY"; echo "${LOA_NOW-unset}";'
        ' echo "$*"; tr "\\0" " " < /proc/$$/cmdline; echo; tr "\\0" " " < /proc/$PPID/cmdline;'
        ' echo; } > "$out"\n'
    )
    fake.chmod(0o755)
    env_file = shared_dir / "loa.env"
    password, secret = "pa$$word-in-file", "k" * 48
    env_file.write_text(
        "# /etc/loa/loa.env\r\n"
        f"LOA_DATABASE_URL=postgresql+psycopg://loa:{password}@127.0.0.1/loa\r\n"
        f"LOA_SECRET_KEY={secret}\n\nLOA_HOME=/var/lib/loa"  # CRLF lines, no final newline
    )
    env_file.chmod(0o600)  # root reads it; the service user never needs to
    root_shell = {**os.environ, "LOA_ENV_FILE": str(env_file), "LOA_USER": "nobody",
                  "LOA_BIN": str(fake), "LOA_NOW": "2026-01-01T00:00:00+00:00"}
    subprocess.run(["sh", str(WRAPPER), "station", "import", "x.csv"], env=root_shell,
                   check=True, timeout=30)
    uid, gid, url, key, now, args, own, parent = (
        (shared_dir / "seen").read_text().split("\n")[:8])
    assert (uid, gid) == (str(NOBODY), str(NOBODY))
    assert url.endswith(f":{password}@127.0.0.1/loa") and key == secret
    assert now == "unset"  # the root shell's LOA_* do not leak in
    assert args == "station import x.csv"
    assert password not in own + parent and secret not in own + parent


def test_the_wrapper_refuses_a_non_root_caller_or_a_missing_env_file(shared_dir: Path) -> None:
    said = subprocess.run(["sh", str(WRAPPER), "init"], capture_output=True, text=True,
                          env={**os.environ, "LOA_ENV_FILE": str(shared_dir / "none.env")})
    assert said.returncode == 2 and ("cannot read the env file" in said.stderr
                                     or "run as root" in said.stderr)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_init_masks_the_database_password(env: dict[str, str], database_url: str) -> None:
    with_password = make_url(database_url).set(password="s3cret-pw").render_as_string(
        hide_password=False)
    said = Loa({**env, "LOA_DATABASE_URL": with_password})("init")  # trust: the password unused
    assert "s3cret-pw" not in said and "***" in said
