"""Chain heads anchored outside the database, so deleting the newest entries shows.

Someone who can write the database can rewrite a chain end to end; they cannot
rewrite what was copied elsewhere before. A daily checkpoint appends every
station's (seq, head hash) to ``$LOA_HOME/anchors/checkpoints.jsonl``; the
month-close snapshot keeps the same in the database. ``verify`` checks every
chain against every anchor.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.clock import VN
from loa.compliance.chain import chain_heads
from loa.compliance.models import StationMonthSnapshot
from loa.stations.models import Station

# Where the wiring (loa.app) tells every session the checkpoint file lives.
ANCHOR_FILE = "loa.anchor_file"


@dataclass(frozen=True)
class Anchor:
    """A station's chain as it was seen once: entry ``seq`` had hash ``hash``."""

    station_id: int
    station_code: str
    seq: int
    hash: str
    source: str  # where it was kept, e.g. "checkpoint 2026-12-01"


@dataclass(frozen=True)
class AnchorFault:
    """A station whose chain no longer holds what an anchor saw."""

    anchor: Anchor
    seq: int  # the first entry that is gone or differs
    reason: str


def checkpoint_file(home: Path) -> Path:
    return home / "anchors" / "checkpoints.jsonl"


def anchor_faults(chain: dict[int, str], anchors: Iterable[Anchor]) -> list[AnchorFault]:
    """How one station's chain (seq -> hash) departs from its anchors.

    Cases: the chain ends before an anchored seq (newest entries deleted, or a
    middle one deleted and the rest renumbered); the entry at an anchored seq
    has another hash (an entry at or before it edited, removed or moved, and the
    chain re-hashed).
    """
    faults = []
    length = max(chain, default=0)
    for anchor in anchors:
        if anchor.seq > length:
            faults.append(AnchorFault(anchor, length + 1, (
                f"chuỗi chỉ còn {length} mục, mốc {anchor.source} ghi seq {anchor.seq} "
                f"(chain ends at {length}, anchored at {anchor.seq}: entries deleted)")))
        elif chain.get(anchor.seq) != anchor.hash:
            faults.append(AnchorFault(anchor, anchor.seq, (
                f"mã băm khác với mốc {anchor.source} "
                "(hash differs from the anchored head: chain rewritten)")))
    return faults


def write_checkpoint(session: Session, path: Path, now: datetime) -> int:
    """Append every station's chain head to the checkpoint file; the number of stations."""
    codes = dict(session.execute(select(Station.id, Station.code)).all())
    heads = chain_heads(session, list(codes))
    line = {
        "date": now.astimezone(VN).date().isoformat(),
        "written_at": now.isoformat(),
        "stations": [
            {"station_id": sid, "station": codes[sid], "seq": seq, "hash": head}
            for sid, (seq, head) in sorted(heads.items())
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of one line in append mode: concurrent writers never interleave a line.
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return len(heads)


def read_checkpoints(path: Path) -> tuple[list[Anchor], list[str]]:
    """The anchors in the checkpoint file, and a message for each line that cannot be read."""
    if not path.exists():
        return [], []
    anchors, unreadable = [], []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            source = f"checkpoint {line['date']}"
            anchors.extend(
                Anchor(int(s["station_id"]), str(s["station"]), int(s["seq"]), str(s["hash"]),
                       source)
                for s in line["stations"]
            )
        except (ValueError, KeyError, TypeError):
            unreadable.append(
                f"{path} dòng {number} không đọc được (checkpoint line {number} is unreadable)"
            )
    return anchors, unreadable


def known_anchors(session: Session) -> tuple[list[Anchor], list[str]]:
    """Every anchor Loa keeps: the daily checkpoints and the month-close snapshots.

    The checkpoint file is the one the wiring named in ``session.info``; none without it.
    """
    path = session.info.get(ANCHOR_FILE)
    anchors, problems = read_checkpoints(Path(path)) if path else ([], [])
    return anchors + month_close_anchors(session), problems


def month_close_anchors(session: Session) -> list[Anchor]:
    """The chain heads each month-close snapshot rests on (one per station and month)."""
    rows = session.execute(
        select(
            StationMonthSnapshot.month,
            StationMonthSnapshot.station_id,
            Station.code,
            StationMonthSnapshot.chain_seq,
            StationMonthSnapshot.chain_head,
        )
        .join(Station, Station.id == StationMonthSnapshot.station_id)
        .where(StationMonthSnapshot.chain_head.is_not(None))
        .distinct()
    )
    return [
        Anchor(station_id, code, seq, head, f"month close {month}")
        for month, station_id, code, seq, head in rows
    ]
