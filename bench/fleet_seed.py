"""Many players created in bulk straight in the database, for the HTTP benchmarks.

One province, ``count`` commune stations with one player each, three airings a
station from tomorrow at 17:00, and each player's Ed25519 key enrolled the way
the server enrols it (a player_key row and a key.enrolled entry at seq 1 of its
station's chain), so the players sign and the server verifies as in production.
Rows go in with multi-row INSERTs and explicit ids: 10,000 players in seconds.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, text

from loa.clock import VN, VN_ZONE_NAME
from loa.compliance.chain import GENESIS, entry_hash
from loa.compliance.key_entries import KEY_ENROLLED
from loa.compliance.keylog import server_body
from loa.compliance.models import AiringLogEntry
from loa.playlists.models import Airing, AudioAsset, Campaign, Programme, ProgrammeStatus
from loa.simulate import make_sine
from loa.stations.models import AdminUnit, Player, PlayerKey, Station
from loa.stations.players import hash_token
from loa.web.context import Services

CHUNK = 2000


@dataclass
class BenchPlayer:
    player_id: int
    token: str
    station_id: int
    key: Ed25519PrivateKey
    airing_ids: list[int]


def _rows(count: int, now: datetime, programme_id: int, province_id: int,
          ) -> tuple[dict[str, list[dict[str, Any]]], list[BenchPlayer]]:
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in
                                             ("unit", "station", "player", "key", "log", "airing")}
    players = []
    first = (now.astimezone(VN) + timedelta(days=1)).replace(hour=17, minute=0, second=0,
                                                              microsecond=0)
    for n in range(1, count + 1):
        uid, token, key = province_id + n, secrets.token_urlsafe(32), Ed25519PrivateKey.generate()
        raw = key.public_key().public_bytes_raw()
        rows["unit"].append({"id": uid, "code": f"B{n:06d}", "name": f"Xã {n}",
                             "level": "commune", "parent_id": province_id})
        rows["station"].append({"id": n, "code": f"B{n:06d}", "unit_id": uid, "name": f"Đài {n}",
                                "kind": "commune", "timezone": VN_ZONE_NAME,
                                "windows": ["17:00-19:00"]})
        rows["player"].append({"id": n, "station_id": n, "name": f"loa-{n}",
                               "token_hash": hash_token(token), "mode": "prefetch",
                               "revoked": False, "health": {}})
        rows["key"].append({"id": n, "player_id": n, "public_key": raw, "enrolled_at": now})
        event_id, detail = str(uuid.uuid4()), {"public_key": base64.b64encode(raw).decode()}
        entry = AiringLogEntry(
            station_id=n, seq=1, player_id=n, event_id=event_id, event=KEY_ENROLLED,
            airing_id=None, at=now, received_at=now, asset_sha256=None, played_ms=None,
            detail=detail, sig=None, prev_hash=GENESIS,
            signed_body=server_body(event_id, KEY_ENROLLED, n, now, detail))
        entry.hash = entry_hash(entry)
        rows["log"].append({c: getattr(entry, c) for c in (
            "station_id", "seq", "player_id", "event_id", "event", "airing_id", "at",
            "received_at", "asset_sha256", "played_ms", "detail", "sig", "signed_body",
            "prev_hash", "hash")})
        ids = []
        for k in range(3):
            aid = (n - 1) * 3 + k + 1
            ids.append(aid)
            rows["airing"].append({"id": aid, "programme_id": programme_id, "station_id": n,
                                   "starts_at": (first + timedelta(days=7 * k)).astimezone(UTC),
                                   "status": "planned"})
        players.append(BenchPlayer(n, token, n, key, ids))
    return rows, players


def seed_players(services: Services, count: int, now: datetime, work: Path) -> list[BenchPlayer]:
    """``count`` players with enrolled keys and airings, in a freshly migrated database."""
    stored = services.store.put_file(make_sine(work / "tone.mp3"))
    with services.sessions.begin() as session:
        session.merge(AudioAsset(sha256=stored.sha256, duration_ms=600_000, format="mp3",
                                 bytes=stored.bytes))
        province = AdminUnit(code="BENCH", name="Tỉnh đo", level="province")
        campaign = Campaign(code="BENCH", topic="Đo tải", unit=province)
        month = now.astimezone(VN).strftime("%Y-%m")
        programme = Programme(campaign=campaign, unit=province, month=month, title="Đo tải",
                              status=ProgrammeStatus.approved, master_sha256=stored.sha256,
                              duration_ms=600_000, approved_at=now)
        session.add_all([province, campaign, programme])
        session.flush()
        # Bulk ids start past the province's.
        rows, players = _rows(count, now, programme.id, province.id)
        for model, name in ((AdminUnit, "unit"), (Station, "station"), (Player, "player"),
                            (PlayerKey, "key"), (AiringLogEntry, "log"), (Airing, "airing")):
            for start in range(0, len(rows[name]), CHUNK):
                session.execute(insert(model), rows[name][start:start + CHUNK])
        if session.get_bind().dialect.name == "postgresql":
            for table in ("admin_unit", "station", "player", "player_key", "airing_log_entry",
                          "airing"):
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
    return players
