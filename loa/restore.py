"""`loa restore`: an archive of `loa backup` put back, in a way that cannot destroy or hide.

The archive is checked whole first (loa.backup.read_manifest: every member a
plain file of the manifest's sha256 and size), then the room for it; the audio
store only gains files; the database is built beside the live one and swapped
in once whole; the anchors are merged with the machine's, never removed, so
`loa audit verify` still names what an older archive rolled back.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url

from loa import migrate
from loa.audio.store import FILE_MODE as AUDIO_FILE_MODE
from loa.audio.store import make_folder
from loa.backup import (
    CHUNK,
    MANIFEST,
    SECRET_MEMBER,
    BackupError,
    anchors_dir,
    files_under,
    pg_env,
    read_manifest,
)
from loa.backup_rows import load_rows
from loa.db import make_engine
from loa.secret import SECRET_FILE
from loa.settings import Settings

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
        if any(True for _ in files_under(folder)):
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
    target_url, env = pg_env(url)
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
            shutil.copyfileobj(restored.stdout, psql.stdin, CHUNK)
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
        shutil.copyfileobj(src, out, CHUNK)
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
