"""`loa restore` that cannot destroy or hide (issue 15 §6): a dump that does not restore leaves
the live database as it was, anchors are only ever added to, sizes and room are checked first."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from collections import namedtuple
from pathlib import Path

import pytest
from sqlalchemy import func, select

import tests.helpers.chains
from loa import backup, restore
from loa.db import make_engine
from loa.playlists.models import Airing
from tests.conftest import Loa
from tests.helpers.chains import Chain
from tests.helpers.databases import log_entries
from tests.helpers.verify import named, problems

tn = tests.helpers.chains.tn  # a shared fixture


def airings(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Airing))  # type: ignore[return-value]
    finally:
        engine.dispose()


def rebuilt(archive: Path, out: Path, replace: dict[str, bytes],
            manifest_edit: dict[str, int] | None = None) -> Path:
    """A copy of ``archive`` whose members in ``replace`` have other bytes, with a manifest
    that agrees with them (sha256 and size), or whose sizes are edited as ``manifest_edit``."""
    import hashlib

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as new:
            for member in tar.getmembers():
                if member.name == "manifest.json":
                    continue
                body = replace.get(member.name)
                if body is None:
                    body = tar.extractfile(member).read()  # type: ignore[union-attr]
                manifest["files"][member.name] = {
                    "sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
                member.size = len(body)
                new.addfile(member, io.BytesIO(body))
    for name, size in (manifest_edit or {}).items():
        manifest["files"][name]["bytes"] = size
    body = json.dumps(manifest).encode()
    with tarfile.open(out, "a", format=tarfile.GNU_FORMAT) as new:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        new.addfile(info, io.BytesIO(body))
    return out


def database_member(archive: Path) -> str:
    with tarfile.open(archive) as tar:
        return json.loads(tar.extractfile("manifest.json").read())["database"]["file"]  # type: ignore[union-attr]


@pytest.fixture
def archive(tn: Chain, loa: Loa, tmp_path: Path) -> Path:
    loa("audit", "checkpoint")
    made = tmp_path / "sao-luu.tar"
    loa("backup", str(made))
    return made


@pytest.mark.parametrize("dump", [b"PGDMP but not really", b"\x00" * 4096],
                         ids=["garbage", "zeros"])
def test_an_unreadable_dump_leaves_the_live_database_as_it_was(
    archive: Path, loa: Loa, tmp_path: Path, database_url: str, dump: bytes
) -> None:
    before, planned = log_entries(database_url), airings(database_url)
    assert len(before) == 6 and planned > 0
    bad = rebuilt(archive, tmp_path / "bad.tar", {database_member(archive): dump})
    said = loa("restore", "--force", str(bad), ok=False)
    assert "vẫn như cũ" in said and "the database was left as it was" in said
    assert log_entries(database_url) == before and airings(database_url) == planned
    loa("audit", "verify")  # the live installation still holds whole


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_dump_that_fails_half_way_rolls_back_on_postgresql(
    archive: Path, loa: Loa, tmp_path: Path, database_url: str
) -> None:
    """A readable dump whose statements fail part way is rolled back whole: here one table
    with its rows, whose foreign keys name tables the dump lacks, so it fails at the end."""
    url, environ = backup.pg_env(database_url)
    partial = tmp_path / "one-table.pgdump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--table", "airing_log_entry",
                    "--file", str(partial), "--dbname", url], env=environ, check=True)
    bad = rebuilt(archive, tmp_path / "half.tar", {database_member(archive): partial.read_bytes()})
    before, planned = log_entries(database_url), airings(database_url)
    said = loa("restore", "--force", str(bad), ok=False)
    assert "the database was left as it was" in said and "does not exist" in said
    assert log_entries(database_url) == before and airings(database_url) == planned
    loa("audit", "verify")


def test_restoring_an_older_backup_keeps_the_newer_anchors_and_verify_names_the_rollback(
    tn: Chain, loa: Loa, tmp_path: Path, env: dict[str, str]
) -> None:
    loa("audit", "checkpoint")  # seq 6
    older = tmp_path / "older.tar"
    loa("backup", str(older))
    tn.complete(5)  # seq 7
    loa("audit", "checkpoint")  # seq 7, on the machine only
    anchors = Path(env["LOA_HOME"]) / "anchors" / "checkpoints.jsonl"
    kept = anchors.read_text(encoding="utf-8")
    loa("restore", "--force", str(older))
    assert anchors.read_text(encoding="utf-8") == kept  # nothing removed, nothing doubled
    lines = problems(loa)
    assert named(lines, 7, "chain ends at 6, anchored at 7")


def test_anchors_on_the_machine_and_in_the_archive_are_merged(
    archive: Path, env: dict[str, str], tmp_path: Path, loa: Loa
) -> None:
    """An anchor line only the archive has is added; one only the machine has stays."""
    anchors = Path(env["LOA_HOME"]) / "anchors"
    archived = (anchors / "checkpoints.jsonl").read_text(encoding="utf-8")
    (anchors / "checkpoints.jsonl").write_text("", encoding="utf-8")
    (anchors / "offsite.jsonl").write_text('{"machine": 1}\n', encoding="utf-8")
    loa("restore", "--force", str(archive))
    assert (anchors / "checkpoints.jsonl").read_text(encoding="utf-8") == archived
    assert (anchors / "offsite.jsonl").read_text(encoding="utf-8") == '{"machine": 1}\n'


@pytest.mark.skipif(shutil.which("tar") is None, reason="GNU tar writes the sparse member")
def test_a_sparse_member_is_refused_before_it_inflates(
    archive: Path, loa: Loa, tmp_path: Path, env: dict[str, str], database_url: str
) -> None:
    """A few KB in the archive, 2 GiB on disk: refused before a byte is written."""
    copy = rebuilt(archive, tmp_path / "sparse.tar", {})
    store = tmp_path / "sparse-src"
    name = "audio/ff/" + "f" * 64 + ".mp3"
    (store / "audio" / "ff").mkdir(parents=True)
    with (store / name).open("wb") as big:
        big.truncate(2 << 30)
    with tarfile.open(copy) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    manifest["files"][name] = {"sha256": "0" * 64, "bytes": 2 << 30}
    without = tmp_path / "sparse.tar"
    with tarfile.open(copy) as tar, tarfile.open(tmp_path / "plain.tar", "w",
                                                 format=tarfile.GNU_FORMAT) as out:
        for member in tar.getmembers():
            if member.name != "manifest.json":
                out.addfile(member, tar.extractfile(member))
    shutil.move(tmp_path / "plain.tar", without)
    subprocess.run(["tar", "--sparse", "-rf", str(without), "-C", str(store), name], check=True)
    body = json.dumps(manifest).encode()
    with tarfile.open(without, "a", format=tarfile.GNU_FORMAT) as out:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        out.addfile(info, io.BytesIO(body))
    assert without.stat().st_size < 50 << 20
    before = log_entries(database_url)
    said = loa("restore", "--force", str(without), ok=False)
    assert "sparse member refused" in said and name in said
    assert not (Path(env["LOA_HOME"]) / "audio" / "ff" / ("f" * 64 + ".mp3")).exists()
    assert log_entries(database_url) == before


def test_a_member_whose_size_differs_from_the_manifest_is_refused(
    archive: Path, loa: Loa, tmp_path: Path
) -> None:
    with tarfile.open(archive) as tar:
        files = json.loads(tar.extractfile("manifest.json").read())["files"]  # type: ignore[union-attr]
    audio = next(n for n in files if n.startswith("audio/"))
    lying = rebuilt(archive, tmp_path / "lying.tar", {}, {audio: 7})
    said = loa("restore", "--force", str(lying), ok=False)
    assert "does not match its size in the manifest" in said and audio in said


def test_a_restore_without_room_for_it_writes_nothing(
    archive: Path, loa: Loa, tmp_path: Path, env: dict[str, str], database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(restore.shutil, "disk_usage", lambda _: Usage(1 << 30, 1 << 30, 100 << 20))
    home = Path(env["LOA_HOME"])
    shutil.rmtree(home / "audio")
    before = log_entries(database_url)
    said = loa("restore", "--force", str(archive), ok=False)
    assert "Không đủ chỗ trống" in said and "not enough free space" in said
    assert not any((home / "audio").rglob("*.mp3")) and log_entries(database_url) == before
