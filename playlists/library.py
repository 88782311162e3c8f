"""A unit's clip library: recordings uploaded once, named, and reused across programmes."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.playlists.models import Clip

MAX_NAME = 200


def clip_name(raw: str, fallback: str) -> str:
    """The name a clip is kept under: what the operator typed, else the file's name."""
    return (raw.strip() or fallback.strip() or "Đoạn ghi âm")[:MAX_NAME]


def keep_clip(session: Session, unit_id: int, name: str, asset_sha256: str) -> Clip:
    """The unit's library entry for this recording, added once; a taken name gets a number.

    Cases: the same recording uploaded again is the entry already there (its name
    unchanged); another recording under a taken name becomes "name (2)", "name (3)"…
    """
    same = session.scalar(
        select(Clip).where(Clip.unit_id == unit_id, Clip.asset_sha256 == asset_sha256)
    )
    if same is not None:
        return same
    taken = set(session.scalars(select(Clip.name).where(Clip.unit_id == unit_id)))
    free = name
    n = 1
    while free in taken:
        n += 1
        suffix = f" ({n})"
        free = name[: MAX_NAME - len(suffix)] + suffix
    clip = Clip(unit_id=unit_id, name=free, asset_sha256=asset_sha256)
    session.add(clip)
    session.flush()
    return clip


def unit_clips(session: Session, unit_ids: Collection[int]) -> list[Clip]:
    """The clips of these units, by name."""
    return list(
        session.scalars(select(Clip).where(Clip.unit_id.in_(unit_ids)).order_by(Clip.name))
    )


def library_clip(session: Session, clip_id: int, unit_ids: Collection[int]) -> Clip:
    """One clip of these units; another unit's clip is as good as missing."""
    clip = session.get(Clip, clip_id)
    if clip is None or clip.unit_id not in unit_ids:
        raise LoaError(f"Không tìm thấy đoạn ghi âm số {clip_id} trong thư viện (clip not found)")
    return clip
