"""Bulletins and loudspeaker zones: which zones of a station a bulletin reaches, and which
audio each player is given, the Vietnamese one or the recorded variant of its zone's
language (design §4 "Bulletins", "Loudspeaker zones"; issue 17 §4).

A unit or station target reaches every zone of its stations; a zone target reaches that
zone alone, unless the same bulletin reaches its station whole. A zone plays the variant
of its language where the bulletin has one, else the Vietnamese audio.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.audio.errors import AudioError
from loa.errors import LoaError
from loa.playlists.models import AudioAsset, Bulletin, BulletinTarget, BulletinVariant
from loa.stations.models import DEFAULT_LANGUAGE, DEFAULT_ZONE_CODE, Player, Station, Zone
from loa.stations.units import ancestors
from loa.stations.zones import LANGUAGE


def zone_limits(session: Session, bulletin: Bulletin) -> dict[int, set[int]]:
    """Station id -> the zone ids the bulletin names there, for each station it reaches only
    through named zones (every other station it reaches hears it in every zone).

    Cases: no zone target → {}; a zone of a station the bulletin also targets whole,
    or of a station under one of its unit targets → that station is whole.
    """
    named: dict[int, set[int]] = {}
    for target in bulletin.targets:
        if target.zone_id is not None and target.station_id is not None:
            named.setdefault(target.station_id, set()).add(target.zone_id)
    if not named:
        return {}
    units = {t.unit_id for t in bulletin.targets if t.unit_id is not None}
    whole = {t.station_id for t in bulletin.targets if t.zone_id is None}
    limits = {}
    for station in session.scalars(select(Station).where(Station.id.in_(named))):
        if station.id in whole or units & {u.id for u in ancestors(station.unit)}:
            continue
        limits[station.id] = named[station.id]
    return limits


def _zones_of(session: Session, players: Sequence[Player]) -> dict[int, Zone | None]:
    """Player id -> its zone (a player without one drives its station's default zone; None
    where the station has no zone row at all)."""
    zones = {z.id: z for z in session.scalars(
        select(Zone).where(Zone.station_id.in_({p.station_id for p in players})))}
    default = {z.station_id: z for z in zones.values() if z.code == DEFAULT_ZONE_CODE}
    return {p.id: zones.get(p.zone_id) if p.zone_id is not None else default.get(p.station_id)
            for p in players}


def _reached(zone: Zone | None, station_id: int, limits: Mapping[int, set[int]]) -> bool:
    named = limits.get(station_id)
    return named is None or (zone is not None and zone.id in named)


def _variant_assets(session: Session, bulletin: Bulletin) -> dict[str, AudioAsset]:
    """Language -> the variant's audio."""
    return {v.language: session.get_one(AudioAsset, v.asset_sha256) for v in bulletin.variants}


def players_audio(
    session: Session, bulletin: Bulletin, players: Sequence[Player]
) -> dict[int, AudioAsset]:
    """Player id -> the audio it is given, for those of ``players`` the bulletin reaches
    (their station and zone): the variant of its zone's language, else the bulletin's."""
    if not players:
        return {}
    limits, variants = zone_limits(session, bulletin), _variant_assets(session, bulletin)
    master = session.get_one(AudioAsset, bulletin.asset_sha256)
    zones = _zones_of(session, players)
    given = {}
    for player in players:
        zone = zones[player.id]
        if _reached(zone, player.station_id, limits):
            language = zone.language if zone is not None else DEFAULT_LANGUAGE
            given[player.id] = variants.get(language, master)
    return given


def player_audio(
    session: Session, player: Player, bulletins: Iterable[Bulletin]
) -> dict[int, AudioAsset]:
    """Bulletin id -> the audio ``player`` is given, for those of ``bulletins`` (sent to its
    station) that reach its zone; in a few queries however many (the schedule poll and
    ingest ask it for every bulletin they carry)."""
    found = {b.id: b for b in bulletins}
    if not found:
        return {}
    zone = _zones_of(session, [player])[player.id]
    named = {b for (b,) in session.execute(
        select(BulletinTarget.bulletin_id).where(
            BulletinTarget.bulletin_id.in_(list(found)), BulletinTarget.zone_id.is_not(None),
            BulletinTarget.station_id == player.station_id))}
    # Only a bulletin naming a zone of this station may leave its other zones out.
    reached = [b for i, b in found.items()
               if i not in named or _reached(zone, player.station_id, zone_limits(session, b))]
    language = zone.language if zone is not None else DEFAULT_LANGUAGE
    audio = {a.sha256: a for a in session.scalars(select(AudioAsset).where(
        AudioAsset.sha256.in_({b.asset_sha256 for b in reached})))}
    variants = {bulletin_id: asset for bulletin_id, asset in session.execute(
        select(BulletinVariant.bulletin_id, AudioAsset)
        .join(AudioAsset, AudioAsset.sha256 == BulletinVariant.asset_sha256)
        .where(BulletinVariant.bulletin_id.in_([b.id for b in reached]),
               BulletinVariant.language == language))}
    return {b.id: variants.get(b.id, audio[b.asset_sha256]) for b in reached}


def reached_languages(
    session: Session, bulletin: Bulletin, stations: Sequence[Station]
) -> set[str]:
    """The languages of the zones the bulletin reaches on ``stations`` (its targets')."""
    limits = zone_limits(session, bulletin)
    return {z.language for z in session.scalars(
        select(Zone).where(Zone.station_id.in_([s.id for s in stations])))
        if _reached(z, z.station_id, limits)}


def check_variants(variants: Mapping[str, Path], languages: set[str]) -> None:
    """Refuse a variant nobody would hear, before any audio is rendered.

    Cases: the language is an ISO 639 code other than ``vi`` (the bulletin's own audio
    is the Vietnamese one); some zone the bulletin reaches speaks it; the file is real,
    non-empty audio (a corrupt file names its language).
    """
    from loa.audio.clips import probe_clip
    from loa.playlists.bulletin_audio import MAX_UPLOAD_BYTES

    for language, path in variants.items():
        if not LANGUAGE.fullmatch(language) or language == DEFAULT_LANGUAGE:
            raise LoaError(
                f"Mã ngôn ngữ {language!r} không hợp lệ: mã ISO 639 khác vi, ví dụ hmn, km "
                "(language: an ISO 639 code other than vi)")
        if language not in languages:
            raise LoaError(
                f"Không cụm loa nào trong nơi nhận dùng tiếng {language}: bản ghi âm này sẽ "
                f"không phát ở đâu (no targeted zone speaks {language})")
        try:
            probe_clip(Path(path), max_bytes=MAX_UPLOAD_BYTES)
        except AudioError as err:
            raise LoaError(f"Bản tiếng {language}: {err} "
                           f"(the {language} recording is not usable audio)") from err


def add_variants(session: Session, bulletin: Bulletin, sounds: Mapping[str, AudioAsset]) -> None:
    """Keep the rendered variants (language -> audio) on the bulletin."""
    bulletin.variants = [
        BulletinVariant(language=language, asset_sha256=asset.sha256,
                        duration_ms=asset.duration_ms)
        for language, asset in sorted(sounds.items())
    ]
