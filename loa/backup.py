"""`loa backup` / `loa restore`: the database, the audio store and the anchors in one tar.

The archive holds ``database/…`` (a SQLite copy made with the online backup API,
a ``pg_dump`` custom-format dump, or a portable JSON dump through SQLAlchemy
when ``pg_dump`` is missing or ``--portable`` is asked), ``audio/…`` (the store
as it lies), ``anchors/…`` ($LOA_HOME/anchors) and, last, ``manifest.json``: the
versions, the alembic revision, and every file's sha256 and size. A restore
reads the whole archive and checks every sha256 and size before it touches anything
(`read_manifest` here; the restore itself is loa.restore).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from loa import __version__
from loa.audio.store import is_temporary
from loa.backup_rows import dump_rows
from loa.clock import SystemClock
from loa.db import make_engine
from loa.errors import LoaError
from loa.secret import SECRET_FILE
from loa.settings import Settings

FORMAT = "loa-backup 1"
MANIFEST = "manifest.json"
SQLITE_FILE, PG_FILE = "database/loa.sqlite", "database/loa.pgdump"
ROWS_FILE = "database/rows.jsonl"
SECRET_MEMBER = f"home/{SECRET_FILE}"
CHUNK = 1 << 20


class BackupError(LoaError):
    """An archive Loa cannot restore, or a target it will not overwrite."""


def corrupt(why: str) -> BackupError:
    return BackupError(f"Tệp sao lưu hỏng hoặc không đầy đủ: {why} (backup archive is corrupt)")


def anchors_dir(settings: Settings) -> Path:
    return settings.home / "anchors"


# --- writing ---------------------------------------------------------------------------


class _Hashing(io.RawIOBase):
    """Reads a file while hashing what was read (one pass for the tar and the manifest)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.digest, self.size = raw, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


def _add(archive: tarfile.TarFile, name: str, path: Path, files: dict[str, Any]) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = path.stat().st_size, int(path.stat().st_mtime), 0o640
    with path.open("rb") as fh:
        reader = _Hashing(fh)
        archive.addfile(info, reader)  # type: ignore[arg-type]
    if reader.size != info.size:
        raise BackupError(f"Tệp {path} thay đổi trong khi sao lưu (file changed during backup)")
    files[name] = {"sha256": reader.digest.hexdigest(), "bytes": reader.size}


def files_under(root: Path) -> Iterator[tuple[str, Path]]:
    """Files under ``root`` as (relative name, path), sorted; temporary files (a render's
    or a write's under way or left by a killed process) left out."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not is_temporary(rel):
            yield rel.as_posix(), path


def pg_env(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without its password, and the environment that carries the password."""
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _run_tool(command: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} thất bại ({what} failed): {done.stderr.strip()[:2000]}")
    return done.stdout


def _one_snapshot(conn: Connection) -> None:
    """Read every table from one snapshot, so rows written meanwhile are all in or all out
    (else a child row could name a parent dumped before it existed, and restore fails)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")  # pysqlite begins nothing before a SELECT
    else:
        conn.execution_options(isolation_level="REPEATABLE READ")


def _dump_database(
    settings: Settings, folder: Path, portable: bool
) -> tuple[str, Path, dict[str, Any]]:
    """The database as one file in ``folder``: its archive name, path, and how it was made."""
    url = settings.database_url
    if portable or (not settings.is_sqlite and shutil.which("pg_dump") is None):
        path = folder / "rows.jsonl"
        engine = make_engine(url)
        try:
            with path.open("w", encoding="utf-8") as out, engine.connect() as conn:
                _one_snapshot(conn)
                dump_rows(conn, out)
        finally:
            engine.dispose()
        why = "asked" if portable else "pg_dump not found"
        return ROWS_FILE, path, {"method": "sqlalchemy-json", "why": why}
    if settings.is_sqlite:
        path = folder / "loa.sqlite"
        source = sqlite3.connect(str(make_url(url).database))
        target = sqlite3.connect(str(path))
        try:
            source.backup(target)  # the online backup API: consistent while the server writes
        finally:
            target.close()
            source.close()
        return SQLITE_FILE, path, {"method": "sqlite-backup"}
    path = folder / "loa.pgdump"
    target_url, env = pg_env(url)
    tool = _run_tool(["pg_dump", "--version"], env, "pg_dump").strip()
    _run_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
               "--file", str(path), "--dbname", target_url], env, "pg_dump")
    return PG_FILE, path, {"method": "pg_dump-custom", "tool": tool}


def _revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def make_backup(settings: Settings, file: Path, portable: bool = False) -> dict[str, Any]:
    """Write the archive to ``file`` (through a temporary file, so a failure leaves none)."""
    kind = "sqlite" if settings.is_sqlite else make_url(settings.database_url).get_backend_name()
    revision = _revision(settings.database_url)
    if revision is None:
        raise BackupError("Cơ sở dữ liệu trống, không có gì để sao lưu (database is empty)")
    file.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="loa-backup-", dir=file.parent) as work:
        name, dumped, how = _dump_database(settings, Path(work), portable)
        partial = Path(work) / "archive.tar"
        partial.touch(mode=0o600)  # the secret key and password hashes: the owner's only
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
            _add(archive, name, dumped, files)
            dumped.unlink()
            for rel, path in files_under(settings.audio_dir):
                _add(archive, f"audio/{rel}", path, files)
            for rel, path in files_under(anchors_dir(settings)):
                _add(archive, f"anchors/{rel}", path, files)
            secret = settings.home / SECRET_FILE
            if secret.is_file():  # sessions stay valid after a restore onto a new machine
                _add(archive, SECRET_MEMBER, secret, files)
            manifest = {
                "format": FORMAT,
                "loa_version": __version__,
                "created_at": SystemClock().now().isoformat(),
                "alembic_revision": revision,
                "database": {"kind": kind, "file": name, **how},
                "files": files,
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(body), 0o640
            archive.addfile(info, io.BytesIO(body))
        os.replace(partial, file)
    return manifest


# --- reading ---------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return (
        name in (MANIFEST, SQLITE_FILE, PG_FILE, ROWS_FILE, SECRET_MEMBER)
        or (parts[0] in ("audio", "anchors") and len(parts) > 1
            and all(p not in ("", ".", "..") for p in parts))
    )


def read_manifest(file: Path) -> dict[str, Any]:
    """The archive's manifest, after checking every member against it."""
    try:
        with tarfile.open(file, "r:") as archive:
            try:
                member = archive.getmember(MANIFEST)
            except KeyError as err:
                raise corrupt("thiếu manifest.json (no manifest)") from err
            manifest = json.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise corrupt(f"không phải bản sao lưu {FORMAT} (not a {FORMAT} archive)")
            database = manifest["database"]["file"]
            known = database in (SQLITE_FILE, PG_FILE, ROWS_FILE)
            if not known or database not in manifest["files"]:
                raise corrupt(f"thiếu cơ sở dữ liệu {database} (no database in the archive)")
            _check_members(archive, manifest["files"])
    except (tarfile.TarError, EOFError, OSError, ValueError, KeyError, TypeError) as err:
        raise corrupt(str(err) or type(err).__name__) from err
    return manifest


def _check_member(member: tarfile.TarInfo, files: dict[str, Any]) -> None:
    """A member is a plain file of the manifest with the manifest's size.

    Loa never writes sparse members: one that is would inflate on extraction to
    its full size (a few KB in the archive, gigabytes on disk), so it is refused
    before a byte of it is read.
    """
    if member.name not in files or not member.isfile() or not _safe_name(member.name):
        raise corrupt(f"tệp lạ trong bản sao lưu: {member.name} (unexpected member)")
    if member.issparse():
        raise corrupt(f"{member.name} là tệp thưa (sparse member refused)")
    if member.size != files[member.name]["bytes"]:
        raise corrupt(
            f"{member.name} dài {member.size} byte, manifest ghi {files[member.name]['bytes']} "
            f"({member.name} does not match its size in the manifest)"
        )


def _check_members(archive: tarfile.TarFile, files: dict[str, Any]) -> None:
    seen: set[str] = set()
    for member in archive:
        if member.name == MANIFEST:
            continue
        _check_member(member, files)
        digest = hashlib.sha256()
        reader = archive.extractfile(member)
        while chunk := reader.read(CHUNK):  # type: ignore[union-attr]
            digest.update(chunk)
        if digest.hexdigest() != files[member.name]["sha256"]:
            raise corrupt(f"{member.name} sai sha256 ({member.name} does not match its sha256)")
        seen.add(member.name)
    missing = sorted(set(files) - seen)
    if missing:
        raise corrupt(f"thiếu {len(missing)} tệp, ví dụ {missing[0]} (missing files)")
