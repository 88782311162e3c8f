"""`loa backup` / `loa restore`: the database, the audio store and the anchors in one tar.

The archive holds ``database/…`` (a SQLite copy made with the online backup API,
a ``pg_dump`` custom-format dump, or a portable JSON dump through SQLAlchemy
when ``pg_dump`` is missing or ``--portable`` is asked), ``audio/…`` (the store
as it lies), ``anchors/…`` ($LOA_HOME/anchors) and, last, ``manifest.json``: the
versions, the alembic revision, and every file's sha256 and size. A restore
reads the whole archive and checks every sha256 before it touches anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url

from loa import __version__, migrate
from loa.audio.store import FILE_MODE as AUDIO_FILE_MODE
from loa.audio.store import is_temporary, make_folder
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
    """Files under ``root`` as (relative name, path), sorted; temporary files (a render's
    or a write's under way or left by a killed process) left out."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not is_temporary(rel):
            yield rel.as_posix(), path


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


def _check_member(member: tarfile.TarInfo, files: dict[str, Any]) -> None:
    """A member is a plain file of the manifest with the manifest's size.

    Loa never writes sparse members: one that is would inflate on extraction to
    its full size (a few KB in the archive, gigabytes on disk), so it is refused
    before a byte of it is read.
    """
    if member.name not in files or not member.isfile() or not _safe_name(member.name):
        raise _corrupt(f"tệp lạ trong bản sao lưu: {member.name} (unexpected member)")
    if member.issparse():
        raise _corrupt(f"{member.name} là tệp thưa (sparse member refused)")
    if member.size != files[member.name]["bytes"]:
        raise _corrupt(
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
        while chunk := reader.read(_CHUNK):  # type: ignore[union-attr]
            digest.update(chunk)
        if digest.hexdigest() != files[member.name]["sha256"]:
            raise _corrupt(f"{member.name} sai sha256 ({member.name} does not match its sha256)")
        seen.add(member.name)
    missing = sorted(set(files) - seen)
    if missing:
        raise _corrupt(f"thiếu {len(missing)} tệp, ví dụ {missing[0]} (missing files)")


# --- restoring -------------------------------------------------------------------------

# Kept free beyond what the restore writes, as /healthz wants under the audio store.
FREE_MARGIN = 512 << 20


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


def _existing_folder(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _check_free_space(settings: Settings, manifest: dict[str, Any]) -> None:
    """Refuse before writing anything when a filesystem would fill up.

    The database file is written under $LOA_HOME (and a SQLite database once
    more beside its target), audio files the store lacks under the audio store,
    the anchors under $LOA_HOME; folders on one filesystem add up.
    """
    files: dict[str, Any] = manifest["files"]
    needs: list[tuple[Path, int]] = []
    for name, entry in files.items():
        if name.startswith("audio/"):
            if not (settings.audio_dir / name.removeprefix("audio/")).is_file():
                needs.append((settings.audio_dir, entry["bytes"]))
        else:
            needs.append((settings.home, entry["bytes"]))
    if settings.is_sqlite:
        database = Path(str(make_url(settings.database_url).database)).parent
        needs.append((database, files[manifest["database"]["file"]]["bytes"]))
    per_device: dict[int, tuple[Path, int]] = {}
    for folder, size in needs:
        existing = _existing_folder(folder.absolute())
        device = existing.stat().st_dev
        where, total = per_device.get(device, (existing, 0))
        per_device[device] = (where, total + size)
    for where, total in per_device.values():
        free = shutil.disk_usage(where).free
        if free < total + FREE_MARGIN:
            raise BackupError(
                f"Không đủ chỗ trống ở {where}: cần {_mb(total + FREE_MARGIN)} MB, còn "
                f"{_mb(free)} MB (not enough free space to restore; nothing was written)"
            )


def _mb(size: int) -> int:
    return -(-size // (1 << 20))


def _replace_sqlite(target: Path, built: Path) -> None:
    """Put a finished SQLite file in place of the live one in one rename."""
    try:
        check = sqlite3.connect(f"file:{built}?mode=ro", uri=True)
        try:
            verdict = check.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            check.close()
    except sqlite3.DatabaseError as err:
        verdict = str(err)
    if verdict != "ok":
        raise _left_as_it_was(f"SQLite: {verdict}".encode())
    for extra in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        extra.unlink(missing_ok=True)  # the old file's journal must not replay onto the new
    os.replace(built, target)


def _sqlite_side_file(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.restore-", dir=target.parent)
    os.close(handle)
    return Path(name)


def _side_schema() -> str:
    return f"loa_restore_{uuid.uuid4().hex[:12]}"


def _swap_into_public(conn: Connection, built: str) -> None:
    """Set the live schema aside, put the built one in its place, drop the old one; one
    transaction, so a failure at any point leaves the live schema as it was."""
    old = f"loa_replaced_{uuid.uuid4().hex[:12]}"
    conn.execute(text(f'ALTER SCHEMA public RENAME TO "{old}"'))
    conn.execute(text(f'ALTER SCHEMA "{built}" RENAME TO public'))
    conn.execute(text(f'DROP SCHEMA "{old}" CASCADE'))


def _pg_restore_atomically(url: str, dumped: Path) -> None:
    """Restore a custom-format dump into a fresh ``public`` inside one transaction.

    pg_dump names every object ``public.…``, so the dump cannot be pointed at
    another schema; instead psql runs, in one transaction, the renaming of the
    live ``public`` aside, the dump's statements into a new ``public``, and the
    dropping of the old one. The COMMIT is sent only after pg_restore read the
    whole dump and psql met no error: an unreadable or failing dump rolls back
    and the live database stays as it was.
    """
    target_url, env = _pg_env(url)
    listed = subprocess.run(["pg_restore", "--list", str(dumped)], env=env, capture_output=True)
    if listed.returncode != 0:  # not a dump pg_restore can read at all
        raise _left_as_it_was(listed.stderr)
    old = f"loa_replaced_{uuid.uuid4().hex[:12]}"
    # Their messages go to files: a pipe nobody reads while the dump streams could stall both.
    with tempfile.TemporaryFile() as psql_said, tempfile.TemporaryFile() as restore_said:
        psql = subprocess.Popen(
            ["psql", "--quiet", "--no-psqlrc", "--set", "ON_ERROR_STOP=1",
             "--dbname", target_url, "--file", "-"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_said)
        restored = subprocess.Popen(
            ["pg_restore", "--no-owner", "--no-privileges", "--file", "-", str(dumped)],
            env=env, stdout=subprocess.PIPE, stderr=restore_said)
        assert psql.stdin is not None and restored.stdout is not None
        with contextlib.suppress(BrokenPipeError):  # psql stopped at an error: it says which
            psql.stdin.write(
                f'BEGIN;\nALTER SCHEMA public RENAME TO "{old}";\nCREATE SCHEMA public;\n'.encode())
            shutil.copyfileobj(restored.stdout, psql.stdin, _CHUNK)
            if restored.wait() == 0:
                psql.stdin.write(f'DROP SCHEMA "{old}" CASCADE;\nCOMMIT;\n'.encode())
        restored.kill()
        restored.wait()
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.close()  # without COMMIT psql ends its session: the transaction rolls back
        psql.wait()
        if restored.returncode != 0 or psql.returncode != 0:
            raise _left_as_it_was(
                b"".join(f.seek(0) or f.read() for f in (psql_said, restore_said)))


def _left_as_it_was(said: bytes) -> BackupError:
    return BackupError(
        "Khôi phục thất bại, cơ sở dữ liệu vẫn như cũ (the restore failed; the database was "
        f"left as it was): {said.decode(errors='replace').strip()[:2000]}"
    )


def _restore_database(settings: Settings, manifest: dict[str, Any], dumped: Path) -> None:
    """Build the archive's database beside the live one and swap it in once it is whole."""
    url = settings.database_url
    if manifest["database"]["method"] == "sqlalchemy-json":
        _restore_rows(settings, manifest, dumped)
    elif settings.is_sqlite:
        target = Path(str(make_url(url).database))
        side = _sqlite_side_file(target)
        shutil.move(dumped, side)
        _replace_sqlite(target, side)
    else:
        _pg_restore_atomically(url, dumped)


def _restore_rows(settings: Settings, manifest: dict[str, Any], dumped: Path) -> None:
    """The portable dump: migrate a side database (a file, or a schema) to the archive's
    revision, load the rows, then swap it in."""
    from alembic import command

    url = make_url(settings.database_url)
    if settings.is_sqlite:
        target = Path(str(url.database))
        side_file = _sqlite_side_file(target)
        side_url = url.set(database=str(side_file)).render_as_string(hide_password=False)
    else:
        schema = _side_schema()
        side_url = url.update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        live = make_engine(settings.database_url)
        with live.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        command.upgrade(migrate.alembic_config(side_url), manifest["alembic_revision"])
        side = make_engine(side_url)
        try:
            with dumped.open(encoding="utf-8") as rows, side.begin() as conn:
                load_rows(conn, rows)
        finally:
            side.dispose()
        if settings.is_sqlite:
            _replace_sqlite(target, side_file)
        else:
            with live.begin() as conn:
                _swap_into_public(conn, schema)
    except Exception:
        # Only the side copy goes; the live database was never written.
        if settings.is_sqlite:
            side_file.unlink(missing_ok=True)
        else:
            with live.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        raise
    finally:
        if not settings.is_sqlite:
            live.dispose()


def _merge_lines(archived: IO[bytes], dest: Path) -> None:
    """Append to ``dest`` the archived lines it lacks: anchors are only ever added to, so a
    restore of an older archive keeps the newer anchors that show what it rolled back."""
    have = set(dest.read_bytes().splitlines()) if dest.is_file() else set()
    missing = [line for line in archived.read().splitlines() if line.strip() and line not in have]
    if not missing:
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("ab") as out:
        if dest.stat().st_size and not dest.read_bytes().endswith(b"\n"):
            out.write(b"\n")
        out.write(b"".join(line + b"\n" for line in missing))
        out.flush()
        os.fsync(out.fileno())


def _put_file(src: IO[bytes], dest: Path, mode: int) -> None:
    """Write through a temporary file and rename, so no half-written file is ever seen."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".put-{dest.name}.{uuid.uuid4().hex[:8]}")
    with partial.open("wb") as out:
        os.chmod(partial, mode)
        shutil.copyfileobj(src, out, _CHUNK)
    os.replace(partial, dest)


def restore_backup(settings: Settings, file: Path, force: bool = False) -> dict[str, Any]:
    """Check the archive and the room for it, add its audio, swap its database in, then
    merge its anchors with the machine's and put its secret key in place.

    The database is the last thing that can fail: the audio store only gains
    files, and the anchors and the key are written once the database is in.
    """
    manifest = read_manifest(file)
    _check_kind(settings, manifest)
    occupied = _non_empty(settings)
    if occupied and not force:
        raise BackupError(
            f"Nơi khôi phục không trống: {', '.join(occupied)}; dùng --force để ghi đè "
            "(the target is not empty: use --force to replace it)"
        )
    _check_free_space(settings, manifest)
    settings.home.mkdir(parents=True, exist_ok=True)
    database = manifest["database"]["file"]
    with tempfile.TemporaryDirectory(prefix="loa-restore-", dir=settings.home) as work, \
            tarfile.open(file, "r:") as archive:
        members = [m for m in archive.getmembers() if m.name != MANIFEST]
        for member in members:
            if member.name.startswith("audio/"):
                dest = settings.audio_dir / member.name.removeprefix("audio/")
                if not dest.is_file():  # content-addressed: a file that is there is this one
                    make_folder(settings.audio_dir)
                    make_folder(dest.parent)
                    _put_file(archive.extractfile(member), dest, AUDIO_FILE_MODE)  # type: ignore[arg-type]
            elif member.name == database:
                _put_file(archive.extractfile(member), Path(work) / Path(database).name, 0o600)  # type: ignore[arg-type]
        _restore_database(settings, manifest, Path(work) / Path(database).name)
        for member in members:
            if member.name.startswith("anchors/"):
                dest = anchors_dir(settings) / member.name.removeprefix("anchors/")
                _merge_lines(archive.extractfile(member), dest)  # type: ignore[arg-type]
            elif member.name == SECRET_MEMBER:
                _put_file(archive.extractfile(member), settings.home / SECRET_FILE, 0o600)  # type: ignore[arg-type]
    return manifest
