"""Language variants of a programme: recorded audio a zone of that language plays instead
of the Vietnamese master (design §4 "Loudspeaker zones", §5, §6)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.audio.clips import ClipError
from loa.audio.store import AudioStore
from loa.errors import LoaError
from loa.playlists.assets import store_clip
from loa.playlists.models import (
    STILL_TO_AIR,
    Airing,
    AiringStatus,
    AudioAsset,
    ProgrammeVariant,
)
from loa.playlists.programmes import get_programme
from loa.stations.models import DEFAULT_LANGUAGE, Player, Zone
from loa.stations.push import notify_after_commit
from loa.stations.zones import LANGUAGE


def add_variant(
    session: Session, store: AudioStore, programme_id: int, language: str, path: Path,
    now: datetime,
) -> ProgrammeVariant:
    """Keep a recorded variant of the programme in ``language``.

    Cases: the language is an ISO 639 code other than Vietnamese (the master is the
    Vietnamese one); one variant per language (a new recording: a new programme
    version); the file must be usable audio within the campaign's length bounds, as
    the master is (rule 4 of §6 holds for it too). The month must be open: the caller
    checks it (``compliance.close.check_programme_open``, as for approving), since
    compliance sits above this room.
    """
    programme = get_programme(session, programme_id)
    if not LANGUAGE.fullmatch(language) or language == DEFAULT_LANGUAGE:
        raise LoaError(
            f"Mã ngôn ngữ {language!r} không hợp lệ: mã ISO 639 khác vi, ví dụ hmn, km "
            "(language: an ISO 639 code other than vi)"
        )
    if session.scalar(select(ProgrammeVariant.id).where(
            ProgrammeVariant.programme_id == programme.id,
            ProgrammeVariant.language == language)) is not None:
        raise LoaError(f"Chương trình {programme.id} đã có bản {language} (variant exists)")
    campaign = programme.campaign
    try:
        asset = store_clip(session, store, path)
    except ClipError as err:
        raise LoaError(str(err)) from err
    if not campaign.min_s * 1000 <= asset.duration_ms <= campaign.max_s * 1000:
        raise LoaError(
            f"Bản {language} dài {asset.duration_ms / 1000:.0f} giây, ngoài giới hạn "
            f"{campaign.min_s}–{campaign.max_s} giây (variant length out of bounds)"
        )
    variant = ProgrammeVariant(programme_id=programme.id, language=language,
                               asset_sha256=asset.sha256, duration_ms=asset.duration_ms,
                               added_at=now)
    session.add(variant)
    session.flush()
    notify_after_commit(session, _listeners(session, programme.id, language))
    return variant


def _listeners(session: Session, programme_id: int, language: str) -> list[int]:
    """Players of ``language``'s zones on stations still to air the programme: their
    schedule now names the variant, so they are told after commit rather than at their
    next poll."""
    stations = select(Airing.station_id).where(
        Airing.programme_id == programme_id, Airing.status.in_(STILL_TO_AIR))
    return list(session.scalars(
        select(Player.id).join(Zone, Zone.id == Player.zone_id).where(
            Zone.language == language, Player.revoked.is_(False),
            Player.station_id.in_(stations))
    ))


def variants_of(
    session: Session, programme_ids: Collection[int]
) -> dict[int, dict[str, ProgrammeVariant]]:
    """programme id -> language -> variant, for the programmes given (one query)."""
    found: dict[int, dict[str, ProgrammeVariant]] = {}
    if not programme_ids:
        return found
    for v in session.scalars(select(ProgrammeVariant).where(
            ProgrammeVariant.programme_id.in_(list(programme_ids)))):
        found.setdefault(v.programme_id, {})[v.language] = v
    return found


def zone_language(session: Session, player: Player) -> str:
    """The language of the player's zone (no zone: Vietnamese)."""
    zone = session.get(Zone, player.zone_id) if player.zone_id is not None else None
    return zone.language if zone is not None else DEFAULT_LANGUAGE


def variant_assets(
    session: Session, player: Player, programme_ids: Collection[int]
) -> dict[int, AudioAsset]:
    """programme id -> the audio this player plays instead of the master: the variant in its
    zone's language, where the programme has one (none for a Vietnamese zone)."""
    language = zone_language(session, player)
    if language == DEFAULT_LANGUAGE or not programme_ids:
        return {}
    rows = session.execute(
        select(ProgrammeVariant.programme_id, AudioAsset)
        .join(AudioAsset, AudioAsset.sha256 == ProgrammeVariant.asset_sha256)
        .where(ProgrammeVariant.programme_id.in_(list(programme_ids)),
               ProgrammeVariant.language == language)
    )
    return {programme_id: asset for programme_id, asset in rows}


def variant_asset(session: Session, player: Player, sha256: str) -> AudioAsset | None:
    """The asset if it is a variant, in the player's zone's language, of a programme an
    airing of its station carries (the player may download it)."""
    return session.scalar(
        select(AudioAsset)
        .join(ProgrammeVariant, ProgrammeVariant.asset_sha256 == AudioAsset.sha256)
        .join(Airing, Airing.programme_id == ProgrammeVariant.programme_id)
        .where(
            AudioAsset.sha256 == sha256,
            ProgrammeVariant.language == zone_language(session, player),
            Airing.station_id == player.station_id,
            Airing.status != AiringStatus.cancelled,
        )
        .limit(1)
    )
