"""`loa backup` / `loa restore`: the database, the audio store and the anchors in one tar.

The archive holds ``database/…`` (a SQLite copy made with the online backup API,
a ``pg_dump`` custom-format dump, or a portable JSON dump through SQLAlchemy
when ``pg_dump`` is missing or ``--portable`` is asked), ``audio/…`` (the store
as it lies), ``anchors/…`` ($LOA_HOME/anchors) and, last, ``manifest.json``: the
versions, the alembic revision, and every file's sha256 and size. A restore
reads the whole archive and checks every sha256 before it touches anything.
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

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url

from loa import __version__, migrate
from loa.backup_rows import dump_rows, load_rows
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
_CHUNK = 1 << 20


class BackupError(LoaError):
    """An archive Loa cannot restore, or a target it will not overwrite."""


def _corrupt(why: str) -> BackupError:
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


def _tree(root: Path) -> Iterator[tuple[str, Path]]:
    """Files under ``root`` as (relative name, path), sorted; temporary files left out."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".put-"):
            yield path.relative_to(root).as_posix(), path


def _pg_env(url: str) -> tuple[str, dict[str, str]]:
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
    target_url, env = _pg_env(url)
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
            for rel, path in _tree(settings.audio_dir):
                _add(archive, f"audio/{rel}", path, files)
            for rel, path in _tree(anchors_dir(settings)):
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
                raise _corrupt("thiếu manifest.json (no manifest)") from err
            manifest = json.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise _corrupt(f"không phải bản sao lưu {FORMAT} (not a {FORMAT} archive)")
            database = manifest["database"]["file"]
            known = database in (SQLITE_FILE, PG_FILE, ROWS_FILE)
            if not known or database not in manifest["files"]:
                raise _corrupt(f"thiếu cơ sở dữ liệu {database} (no database in the archive)")
            _check_members(archive, manifest["files"])
    except (tarfile.TarError, EOFError, OSError, ValueError, KeyError, TypeError) as err:
        raise _corrupt(str(err) or type(err).__name__) from err
    return manifest


def _check_members(archive: tarfile.TarFile, files: dict[str, Any]) -> None:
    seen: set[str] = set()
    for member in archive:
        if member.name == MANIFEST:
            continue
        if member.name not in files or not member.isfile() or not _safe_name(member.name):
            raise _corrupt(f"tệp lạ trong bản sao lưu: {member.name} (unexpected member)")
        digest = hashlib.sha256()
        reader = archive.extractfile(member)
        while chunk := reader.read(_CHUNK):  # type: ignore[union-attr]
            digest.update(chunk)
        if digest.hexdigest() != files[member.name]["sha256"]:
            raise _corrupt(f"{member.name} sai sha256 ({member.name} does not match its sha256)")
        seen.add(member.name)
    missing = sorted(set(files) - seen)
    if missing:
        raise _corrupt(f"thiếu {len(missing)} tệp, ví dụ {missing[0]} (missing files)")


# --- restoring -------------------------------------------------------------------------


def _tables(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


def _non_empty(settings: Settings) -> list[str]:
    """What in the target already holds data."""
    found = []
    url = make_url(settings.database_url)
    if not settings.is_sqlite or Path(str(url.database)).is_file():  # no file: nothing there
        engine = make_engine(settings.database_url)
        try:
            if _tables(engine):
                found.append(f"cơ sở dữ liệu {url.render_as_string()}")
        finally:
            engine.dispose()
    for folder in (settings.audio_dir, anchors_dir(settings)):
        if any(True for _ in _tree(folder)):
            found.append(str(folder))
    return found


def _clear_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


def _check_kind(settings: Settings, manifest: dict[str, Any]) -> None:
    """A native dump goes back into its own kind of database only."""
    method = manifest["database"]["method"]
    if method == "sqlalchemy-json":
        return
    wanted = "sqlite" if method == "sqlite-backup" else "postgresql"
    if ("sqlite" if settings.is_sqlite else "postgresql") != wanted:
        raise BackupError(
            f"Bản sao lưu này dành cho {wanted}; dùng `loa backup --portable` để chuyển giữa hai "
            f"loại cơ sở dữ liệu (this archive restores into {wanted} only)"
        )


def _restore_database(settings: Settings, manifest: dict[str, Any], dumped: Path) -> None:
    url = settings.database_url
    if manifest["database"]["method"] == "sqlalchemy-json":
        _restore_rows(settings, manifest, dumped)
        return
    if settings.is_sqlite:
        target = Path(str(make_url(url).database))
        target.parent.mkdir(parents=True, exist_ok=True)
        for extra in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            extra.unlink(missing_ok=True)
        shutil.move(dumped, target)
        return
    engine = make_engine(url)
    try:
        _clear_postgres(engine)
    finally:
        engine.dispose()
    target_url, env = _pg_env(url)
    _run_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
               "--single-transaction", "--dbname", target_url, str(dumped)], env, "pg_restore")


def _restore_rows(settings: Settings, manifest: dict[str, Any], dumped: Path) -> None:
    from alembic import command

    url = settings.database_url
    engine = make_engine(url)
    try:
        if settings.is_sqlite:
            engine.dispose()
            target = Path(str(make_url(url).database))
            target.unlink(missing_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
        else:
            _clear_postgres(engine)
        command.upgrade(migrate.alembic_config(url), manifest["alembic_revision"])
        with dumped.open(encoding="utf-8") as rows, engine.begin() as conn:
            load_rows(conn, rows)
    finally:
        engine.dispose()


def restore_backup(settings: Settings, file: Path, force: bool = False) -> dict[str, Any]:
    """Check the archive, then put its database, audio and anchors in place."""
    manifest = read_manifest(file)
    _check_kind(settings, manifest)
    occupied = _non_empty(settings)
    if occupied and not force:
        raise BackupError(
            f"Nơi khôi phục không trống: {', '.join(occupied)}; dùng --force để ghi đè "
            "(the target is not empty: use --force to replace it)"
        )
    settings.audio_dir.mkdir(parents=True, exist_ok=True)
    anchors = anchors_dir(settings)
    if anchors.is_dir():
        shutil.rmtree(anchors)  # the archive's anchors replace these (the audio store only adds)
    settings.home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="loa-restore-", dir=settings.home) as work, \
            tarfile.open(file, "r:") as archive:
        for member in archive:
            if member.name == MANIFEST:
                continue
            name = member.name
            if name.startswith("audio/"):
                dest = settings.audio_dir / name.removeprefix("audio/")
            elif name.startswith("anchors/"):
                dest = anchors / name.removeprefix("anchors/")
            elif name == SECRET_MEMBER:
                dest = settings.home / SECRET_FILE
                dest.unlink(missing_ok=True)
                dest.touch(mode=0o600)
            else:
                dest = Path(work) / Path(name).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as src, dest.open("wb") as out:  # type: ignore[union-attr]
                shutil.copyfileobj(src, out, _CHUNK)
        database = manifest["database"]["file"]
        _restore_database(settings, manifest, Path(work) / Path(database).name)
    return manifest
