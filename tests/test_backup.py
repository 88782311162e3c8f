"""`loa backup` then `loa restore` into an empty database and home, then `loa audit verify`."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import create_engine, inspect, text

import tests.helpers.chains
from loa import backup
from loa.db import make_engine, transaction
from loa.services import Services
from loa.stations.service import add_station
from loa.stations.units import add_unit
from tests.conftest import PG_SERVER, Loa
from tests.helpers.chains import Chain
from tests.helpers.databases import log_entries
from tests.helpers.factories import two_wards

tn = tests.helpers.chains.tn  # a shared fixture

pytestmark = pytest.mark.both_databases  # the database is the point here


@pytest.fixture
def target_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind, to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'loa.db'}"
        return
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    name = f"loa_restore_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def archive(tn: Chain, loa: Loa, tmp_path: Path, env: dict[str, str]) -> Path:
    loa("audit", "checkpoint")
    (Path(env["LOA_HOME"]) / "secret_key").write_text("s" * 64)  # as loa.secret keeps it
    made = tmp_path / "sao-luu.tar"
    said = loa("backup", str(made))
    assert "Đã sao lưu" in said
    return made


def restored_env(env: dict[str, str], tmp_path: Path, url: str) -> dict[str, str]:
    return {**env, "LOA_HOME": str(tmp_path / "restored-home"), "LOA_DATABASE_URL": url}


def test_backup_restore_verify(
    archive: Path, env: dict[str, str], tmp_path: Path, target_url: str, database_url: str
) -> None:
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    method = "sqlite-backup" if database_url.startswith("sqlite") else "pg_dump-custom"
    assert manifest["database"]["method"] == method
    assert manifest["alembic_revision"] and manifest["loa_version"]
    assert any(n.startswith("audio/") for n in manifest["files"])
    assert "anchors/checkpoints.jsonl" in manifest["files"]

    there = Loa(restored_env(env, tmp_path, target_url))
    assert "Đã khôi phục" in there("restore", str(archive))
    there("audit", "verify")  # exit 0: chains, signatures, anchors and audio all hold
    secret = tmp_path / "restored-home" / "secret_key"
    assert secret.read_text() == "s" * 64 and secret.stat().st_mode & 0o777 == 0o600
    restored = log_entries(target_url)
    assert restored == log_entries(database_url) and len(restored) == 6
    again = there("restore", str(archive), ok=False)
    assert "không trống" in again and "--force" in again
    there("restore", str(archive), "--force")
    there("audit", "verify")


def test_portable_dump_restores_and_verifies(
    tn: Chain, loa: Loa, env: dict[str, str], tmp_path: Path, target_url: str,
    database_url: str,
) -> None:
    loa("audit", "checkpoint")
    made = tmp_path / "portable.tar"
    assert "sqlalchemy-json" in loa("backup", "--portable", str(made))
    there = Loa(restored_env(env, tmp_path, target_url))
    there("restore", str(made))
    there("audit", "verify")
    assert log_entries(target_url) == log_entries(database_url)
    there("player", "add", "TN", "--name", "Cụm loa mới")  # ids go on after the restored rows


def test_a_corrupt_archive_is_refused_and_nothing_is_touched(
    archive: Path, env: dict[str, str], tmp_path: Path, target_url: str
) -> None:
    there = Loa(restored_env(env, tmp_path, target_url))
    with tarfile.open(archive) as tar:
        audio = next(m for m in tar.getmembers() if m.name.startswith("audio/"))
    flipped = tmp_path / "flipped.tar"
    raw = bytearray(archive.read_bytes())
    raw[audio.offset_data + 3] ^= 0xFF  # one bit of one audio file, as a bad disk would
    flipped.write_bytes(bytes(raw))
    said = there("restore", str(flipped), ok=False)
    assert "Tệp sao lưu hỏng" in said and audio.name in said and "sha256" in said

    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert "Tệp sao lưu hỏng" in there("restore", str(cut), ok=False)
    if target_url.startswith("sqlite"):  # the target was never touched
        assert not Path(target_url.removeprefix("sqlite:///")).exists()
    else:
        engine = make_engine(target_url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()
    assert not (tmp_path / "restored-home" / "anchors").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_portable_dump_moves_a_sqlite_province_to_postgresql(
    tn: Chain, loa: Loa, env: dict[str, str], tmp_path: Path, postgres_url: str,
    database_url: str,
) -> None:
    loa("audit", "checkpoint")
    made = tmp_path / "portable.tar"
    loa("backup", "--portable", str(made))
    there = Loa(restored_env(env, tmp_path, postgres_url))
    there("restore", str(made))
    there("audit", "verify")  # on PostgreSQL: the append-only trigger is there too
    assert log_entries(postgres_url) == log_entries(database_url)
    assert "sqlite-backup" in loa("backup", str(tmp_path / "native.tar"))
    said = there("restore", "--force", str(tmp_path / "native.tar"), ok=False)
    assert "--portable" in said  # a SQLite file does not go into PostgreSQL
    there("audit", "verify")  # and the refusal touched nothing: anchors and all still there


def test_a_portable_dump_taken_while_the_server_writes_is_one_snapshot(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows written during the dump are all in it or all out: a unit added between the
    admin_unit and station tables must not leave a station whose unit is missing."""
    with transaction(services.sessions) as s:
        two_wards(s)
    sneaked: list[bool] = []

    class ServerWritesMeanwhile:
        def __init__(self, out: IO[str]) -> None:
            self.out = out

        def write(self, line: str) -> int:
            if line.startswith('["admin_unit"') and not sneaked:
                sneaked.append(True)  # another connection commits a unit and its station
                with transaction(services.sessions) as s:
                    add_unit(s, "11563", "Phường Lưu Kiếm", "commune", "31")
                    add_station(s, "LK", "11563", "Đài Lưu Kiếm")
            return self.out.write(line)

    real_dump_rows = backup.dump_rows
    monkeypatch.setattr(backup, "dump_rows",
                        lambda conn, out: real_dump_rows(conn, ServerWritesMeanwhile(out)))
    _, path, _ = backup._dump_database(services.settings, tmp_path, portable=True)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    units = {values[0] for table, values in rows if table == "admin_unit"}
    stations = [values for table, values in rows if table == "station"]
    header = json.loads(path.read_text(encoding="utf-8").splitlines()[0])["tables"]
    unit_at = header["station"].index("unit_id")
    assert sneaked and len(stations) == 2  # TN and TH, not LK
    assert all(values[unit_at] in units for values in stations)


def test_a_portable_dump_of_an_older_revision_loads_into_that_revision(
    database_url: str,
) -> None:
    """`loa restore` brings the schema to the archive's revision, then loads its rows: the
    tables a later revision added (render_job after 0007_bulletin) are not there."""
    from alembic import command

    from loa import migrate
    from loa.backup_rows import _tables, load_rows

    command.upgrade(migrate.alembic_config(database_url), "0007_bulletin")
    units = next(t for t in _tables() if t.name == "admin_unit")
    header = {"tables": {"admin_unit": [c.name for c in units.columns]}}
    row = {c.name: None for c in units.columns} | {
        "id": 7, "code": "31", "name": "Thành phố Hải Phòng", "level": "province",
        "emergency_roles": "leader,admin"}
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            lines = [json.dumps(header), json.dumps(["admin_unit", list(row.values())])]
            assert load_rows(conn, lines) == 1
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT code FROM admin_unit WHERE id = 7")) == "31"
    finally:
        engine.dispose()


def test_an_archive_without_its_database_is_refused_before_anything_is_touched(
    archive: Path, env: dict[str, str], tmp_path: Path, target_url: str
) -> None:
    """A manifest that names a database file it does not list (an archive put together by
    hand) is corrupt: refused up front, not a traceback after the anchors were replaced."""
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        database = manifest["database"]["file"]
        del manifest["files"][database]
        body = json.dumps(manifest).encode()
        stripped = tmp_path / "no-database.tar"
        with tarfile.open(stripped, "w") as out:
            for member in tar.getmembers():
                if member.name == "manifest.json":
                    member.size = len(body)
                    out.addfile(member, io.BytesIO(body))
                elif member.name != database:
                    out.addfile(member, tar.extractfile(member))
    there = Loa(restored_env(env, tmp_path, target_url))
    (tmp_path / "restored-home" / "anchors").mkdir(parents=True)
    (tmp_path / "restored-home" / "anchors" / "offsite.jsonl").write_text("{}\n")
    said = there("restore", "--force", str(stripped), ok=False)
    assert "Tệp sao lưu hỏng" in said and database in said
    assert (tmp_path / "restored-home" / "anchors" / "offsite.jsonl").exists()


def test_the_archive_is_readable_by_its_owner_only(archive: Path) -> None:
    """It holds the secret key (whoever has it signs any session), the users' password
    hashes and the players' token hashes: like the tokens file, mode 600."""
    assert archive.stat().st_mode & 0o777 == 0o600
