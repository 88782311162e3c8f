"""HTTP to the Loa server: schedule, audio with resume, events, enrolment, and its clock."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from loa.player.timekeeping import TimeKeeper

logger = logging.getLogger(__name__)

TIMEOUT = (10.0, 60.0)
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.~+/=]+")
CHUNK = 1 << 16


class ServerUnreachable(Exception):
    """No usable answer: network down, server down or answering 5xx. Try again later."""


class Unauthorised(ServerUnreachable):
    """The server refused our token (revoked or rotated); retrying will not help until fixed."""


class BadDownload(Exception):
    """The downloaded file does not have the sha256 or size the schedule promised."""


@dataclass
class Schedule:
    etag: str | None
    body: dict[str, Any] | None  # None when the server answered 304 Not Modified


def clean_token(token: str) -> str:
    """The token without the spaces, tabs or CR that a copy from a CRLF file brings along."""
    return token.strip()


def mask_token(text: str, token: str) -> str:
    """``text`` with the token cut to its first 4 characters wherever it appears (raw, or
    quoted with a stray character escaped or splitting it): a message about a failure must
    not hand the player's identity to whoever reads the log."""
    pieces = [p for p in _TOKEN_CHARS.findall(token) if len(p) >= 6]
    for number, piece in enumerate(sorted(pieces, key=len, reverse=True)):
        text = text.replace(piece, f"{piece[:4] if number == 0 else ''}…(ẩn/masked)")
    return text


class ServerClient:
    """A requests session bound to one server and token; each reply's clock feeds ``keeper``."""

    def __init__(self, server: str, token: str, keeper: TimeKeeper) -> None:
        self.base = server.rstrip("/") + "/"
        self._keeper = keeper
        self._token = clean_token(token)
        self._http = requests.Session()
        self._http.headers.update({"Authorization": f"Bearer {self._token}"})

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        before = self._keeper.stamp()
        try:
            response = self._http.request(method, urljoin(self.base, path.lstrip("/")),
                                          timeout=TIMEOUT, **kwargs)
        except (requests.RequestException, ValueError) as exc:  # ValueError: a bad header
            raise ServerUnreachable(mask_token(str(exc), self._token)) from None
        stamp = response.headers.get("X-Loa-Server-Time")
        with suppress(ValueError, TypeError):
            if stamp:
                self._keeper.sample(before, self._keeper.stamp(), datetime.fromisoformat(stamp))
        if response.status_code == 401:
            raise Unauthorised(response.text[:200])
        if response.status_code >= 500:
            raise ServerUnreachable(f"HTTP {response.status_code}")
        return response

    def schedule(self, etag: str | None) -> Schedule:
        """The schedule, or body None if it has not changed since ``etag``."""
        return self._changed("api/v1/player/schedule", etag)

    def bulletins(self, etag: str | None) -> Schedule:
        """The emergency bulletins for this player, or body None if unchanged since ``etag``."""
        return self._changed("api/v1/player/bulletins", etag)

    def _changed(self, path: str, etag: str | None) -> Schedule:
        headers = {"If-None-Match": f'"{etag}"'} if etag else {}
        response = self._request("GET", path, headers=headers)
        if response.status_code == 304:
            return Schedule(etag, None)
        if response.status_code != 200:
            raise ServerUnreachable(f"{path.rsplit('/', 1)[-1]}: HTTP {response.status_code}")
        new_etag = (response.headers.get("ETag") or "").strip('"') or None
        return Schedule(new_etag, response.json())

    def enroll(self, public_key: str) -> None:
        response = self._request("POST", "api/v1/player/enroll", json={"public_key": public_key})
        if response.status_code != 201:
            raise ServerUnreachable(f"enroll: HTTP {response.status_code} {response.text[:200]}")

    def post_events(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        """The server's answer: accepted ids, rejected ids with reasons, warnings."""
        response = self._request("POST", "api/v1/player/events", json={"events": events})
        if response.status_code != 200:
            raise ServerUnreachable(f"events: HTTP {response.status_code} {response.text[:200]}")
        return response.json()

    def download(self, url: str, dest: Path, sha256: str, size: int | None) -> None:
        """Fetch ``url`` into ``dest`` atomically, resuming a partial ``.part`` file with Range."""
        part = dest.with_name(dest.name + ".part")
        have = part.stat().st_size if part.exists() else 0
        if have and have == size:
            _check_and_move(part, dest, sha256, size)
            return
        headers = {"Range": f"bytes={have}-"} if have else {}
        response = self._request("GET", url, headers=headers, stream=True)
        with response:
            if response.status_code == 416:
                # Our partial file is not a prefix of the real one: start over.
                part.unlink(missing_ok=True)
                self.download(url, dest, sha256, size)
                return
            if response.status_code not in (200, 206):
                raise ServerUnreachable(f"audio: HTTP {response.status_code}")
            mode = "ab" if response.status_code == 206 else "wb"
            with part.open(mode) as fh:
                for chunk in response.iter_content(CHUNK):
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        _check_and_move(part, dest, sha256, size)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_and_move(part: Path, dest: Path, sha256: str, size: int | None) -> None:
    if (size is not None and part.stat().st_size != size) or file_sha256(part) != sha256:
        part.unlink(missing_ok=True)
        raise BadDownload(f"{dest.name}: downloaded file does not match its sha256")
    os.replace(part, dest)
