"""`loa broker passwd-file`: Mosquitto's own hash format, only hashes kept, bad logins refused."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from loa.stations.broker_auth import mosquitto_hash, mosquitto_hash_matches
from tests.conftest import Loa, need_server

SERVER_URL = "mqtt://loa-server:a-server-password-long-enough@127.0.0.1:1884"


def test_our_hashes_and_mosquitto_passwds_read_each_other(tmp_path: Path) -> None:
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        need_server("mosquitto_passwd (mosquitto-clients/mosquitto)", FileNotFoundError())
    made = tmp_path / "made"
    made.write_text("")
    subprocess.run([tool, "-b", str(made), "someone", "the password"], check=True)
    theirs = made.read_text().strip().split(":", 1)[1]
    assert theirs.startswith("$7$") and mosquitto_hash_matches("the password", theirs)
    assert not mosquitto_hash_matches("the passwords", theirs)
    ours = mosquitto_hash("the password")
    assert ours.split("$")[:3] == theirs.split("$")[:3]  # $7$101$
    assert ours != mosquitto_hash("the password")  # salted
    assert not mosquitto_hash_matches("x", "$6$abc$def") and not mosquitto_hash_matches("x", "")


@pytest.fixture
def loa(env: dict[str, str]) -> Loa:
    loa = Loa({**env, "LOA_MQTT_URL": SERVER_URL})
    loa("unit", "add", "31", "Hải Phòng", "--level", "province")
    loa("station", "add", "TN", "--unit", "31", "--name", "Đài Tiên Lãng")
    return loa


def test_the_files_hold_hashes_only_and_change_only_with_the_players(
    loa: Loa, tmp_path: Path, env: dict[str, str]
) -> None:
    shown = dict(re.findall(r"^(\w+): (\S+)$", loa("player", "add", "TN", "--name", "Cụm 1"),
                            re.M))
    players, server = tmp_path / "players.passwd", tmp_path / "server.passwd"
    out = loa("broker", "passwd-file", "--out", str(players), "--server-out", str(server))
    assert "1 players, written" in out and "systemctl reload mosquitto" in out
    name, hashed = players.read_text().strip().split(":", 1)
    assert name == shown["mqtt_username"] == shown["player_id"]
    assert mosquitto_hash_matches(shown["mqtt_password"], hashed)
    assert shown["mqtt_password"] not in players.read_text()
    server_line = server.read_text()
    assert server_line.startswith("loa-server:$7$") and "long-enough" not in server_line
    assert stat.S_IMODE(players.stat().st_mode) == 0o640
    engine = create_engine(env["LOA_DATABASE_URL"])
    with engine.connect() as conn:  # the database keeps the hash, never the password
        assert conn.execute(text("SELECT broker_password_hash FROM player")).scalar() == hashed
    engine.dispose()
    again = loa("broker", "passwd-file", "--out", str(players), "--server-out", str(server))
    assert again.count("unchanged") == 2 and "reload" not in again
    assert server.read_text() == server_line


@pytest.mark.parametrize(("url", "says"), [
    ("mqtt://127.0.0.1:1884", "must carry the server's broker login"),
    ("mqtt://loa-server:short@127.0.0.1:1884", "at least 16 characters"),
])
def test_a_server_login_missing_or_weak_is_refused(
    env: dict[str, str], tmp_path: Path, url: str, says: str
) -> None:
    loa = Loa({**env, "LOA_MQTT_URL": url})
    out = loa("broker", "passwd-file", "--out", str(tmp_path / "p"), "--server-out",
              str(tmp_path / "s"), ok=False)
    assert says in out and not (tmp_path / "s").exists()
