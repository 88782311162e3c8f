"""Players' broker logins as Mosquitto reads them: hashes, and the password files kept in step.

A player's login is its id and a password derived from its token
(``loa.player.broker``); the server stores only the password's Mosquitto hash
(``$7$``: PBKDF2-SHA512, what ``mosquitto_passwd`` writes), set whenever a
token is issued or rotated and cleared when the player is revoked. The
players' password file lists every player that is not revoked and has a hash;
the server's own login (from ``LOA_MQTT_URL``) goes in a file of its own, for
the server's listener (packaging/mosquitto/loa.conf).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.player.broker import player_password, player_username
from loa.stations.models import Player

# mosquitto_passwd's own default. The passwords are 256 random bits, so nothing is
# gained by slowing a guess down (as for tokens, one hash suffices); the broker
# computes this at every connect.
ITERATIONS = 101
SALT_BYTES = 12


def mosquitto_hash(password: str, salt: bytes | None = None,
                   iterations: int = ITERATIONS) -> str:
    """``$7$iterations$salt$hash`` (base64), as mosquitto_passwd writes it."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return (f"$7${iterations}${base64.b64encode(salt).decode()}"
            f"${base64.b64encode(digest).decode()}")


def mosquitto_hash_matches(password: str, hashed: str) -> bool:
    """Whether ``password`` is the one ``hashed`` (a ``$7$`` line's hash) was made from."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt, digest = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    except ValueError:
        return False
    iterations = int(parts[2])
    if not 1 <= iterations <= 10**6:  # a file edited by hand must not stall the command
        return False
    expected = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return hmac.compare_digest(expected, digest)


def login_hash(token: str) -> str:
    """What the server keeps of the broker login that goes with ``token``."""
    return mosquitto_hash(player_password(token))


def issue_login(player: Player, token: str) -> None:
    """Give ``player`` the broker login that goes with ``token`` (only its hash is kept)."""
    player.broker_password_hash = login_hash(token)


def players_password_lines(session: Session) -> tuple[list[str], int]:
    """``username:hash`` of every player that may log in, and how many lack a login.

    Cases: a revoked player is left out (its login stops at the broker's next
    reload); a player issued before broker logins existed has no hash until
    its token is rotated, and is counted.
    """
    rows = session.execute(
        select(Player.id, Player.broker_password_hash)
        .where(Player.revoked.is_(False)).order_by(Player.id)
    ).all()
    lines = [f"{player_username(pid)}:{hashed}" for pid, hashed in rows if hashed]
    return lines, sum(1 for _pid, hashed in rows if not hashed)


def server_password_line(username: str, password: str, path: Path) -> str:
    """The server's ``username:hash`` line; the one already in ``path`` if it still matches.

    Re-using a matching line leaves the file as it was, so a job that runs the
    command every minute changes nothing (and reloads nothing) until the
    password changes.
    """
    for line in _read_lines(path):
        name, _, hashed = line.partition(":")
        if name == username and mosquitto_hash_matches(password, hashed):
            return line
    return f"{username}:{mosquitto_hash(password)}"


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise LoaError(f"Không đọc được {path} (cannot read the password file): "
                       f"{exc.strerror}") from exc


def write_password_file(path: Path, lines: list[str]) -> bool:
    """Write ``lines`` to ``path`` at once (rename), mode 640; False if it already held them.

    The file takes the folder's group (a setgid folder of group mosquitto lets
    the broker read it while the loa user writes it).
    """
    if path.exists() and _read_lines(path) == lines:
        return False
    temp: str | None = None
    try:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o640)
            out.write("".join(f"{line}\n" for line in lines))
        os.replace(temp, path)
    except OSError as exc:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        raise LoaError(f"Không ghi được {path} (cannot write the password file): "
                       f"{exc.strerror}") from exc
    return True
