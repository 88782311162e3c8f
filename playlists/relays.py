"""Relay sources and relay slots: the rules, and which relays a station carries when.

Since district radio stopped at the end of 2025, communes relay VOV and the
provincial station directly at fixed hours. A unit names its streams
(``RelaySource``); its own units and those below use them. A ``RelaySlot`` recurs
like a broadcast window (days, a local start, a length) on a unit — every station
below it carries it — or on one station, there on every zone or on the zones it names.
Its occurrences are busy air for the whole station in every planner
(``scheduler.relay_air``) and go to the players of the zones it reaches with the schedule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from loa.audio.errors import AudioError
from loa.audio.store import AudioStore
from loa.audio.stream_probe import StreamProbe
from loa.clock import Clock
from loa.db import fail_if_exists
from loa.errors import LoaError
from loa.playlists.assets import record_asset
from loa.playlists.relay_models import RelaySlot, RelaySource
from loa.stations.models import AdminUnit, Player, Station, Zone
from loa.stations.tree import UnitTree
from loa.stations.units import ancestors
from loa.stations.windows import Window, parse_windows
from loa.stations.zones import player_zone

MAX_FALLBACK_BYTES = 200 * 1024 * 1024
MAX_MINUTES = 24 * 60
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,32}")
Probe = Callable[[str], StreamProbe]
ZONES_NEED_STATION = ("Cụm loa chỉ chọn được khi tiếp sóng ở một đài "
                      "(--zone needs --station)")


@dataclass(frozen=True)
class RelaySpan:
    """One occurrence of a relay slot on one station, in UTC."""

    slot_id: int
    station_id: int
    start: datetime
    end: datetime


def check_url(url: str) -> str:
    """A stream address: http(s) with a host (Icecast, SHOUTcast, a file, an HLS .m3u8)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 1000:
        raise LoaError(f"Địa chỉ luồng không hợp lệ: {url[:100]!r}, cần http:// hoặc https:// "
                       "(a stream URL must be http or https)")
    return url


def slot_window(days: str, at: str, minutes: int) -> Window:
    """The slot as a window: "T2-CN", "05:30", 30 → T2-CN 05:30-06:00.

    Cases: days as broadcast windows write them (T2…T7, CN, runs and "+");
    at least a minute; a slot ends before midnight (two slots for one across it).
    """
    if not 1 <= minutes <= MAX_MINUTES:
        raise LoaError(f"Số phút tiếp sóng phải từ 1 đến {MAX_MINUTES} "
                       f"(minutes must be 1..{MAX_MINUTES})")
    try:
        hours, mins = (int(p) for p in at.strip().split(":"))
        start = time(hours, mins)
    except ValueError as exc:
        raise LoaError(f"Giờ tiếp sóng {at!r} không hợp lệ, cần HH:MM (time must be HH:MM)") \
            from exc
    end_minute = start.hour * 60 + start.minute + minutes
    if end_minute >= MAX_MINUTES:
        raise LoaError("Khung tiếp sóng phải kết thúc trước nửa đêm: chia thành hai khung "
                       "(a relay slot must end before midnight: make two)")
    return parse_windows(f"{days} {start:%H:%M}-{end_minute // 60:02d}:{end_minute % 60:02d}")[0]


def window_of(slot: RelaySlot) -> Window:
    return slot_window(slot.days, slot.at, slot.minutes)


def get_source(session: Session, code: str) -> RelaySource:
    found = session.scalar(select(RelaySource).where(RelaySource.code == code))
    if found is None:
        raise LoaError(f"Không tìm thấy nguồn tiếp sóng {code!r} (no such relay source)")
    return found


def add_source(session: Session, *, unit: AdminUnit, code: str, name: str, url: str,
               fallback: Path | None, store: AudioStore, clock: Clock,
               probe: Probe) -> tuple[RelaySource, StreamProbe]:
    """A unit's new stream, probed once (the source is kept even if the probe fails: a
    station may be off air now; the result is stored and shown)."""
    if not _CODE.fullmatch(code):
        raise LoaError(f"Mã nguồn {code!r} không hợp lệ: chữ, số, '-', '_' hoặc '.', tối đa 32 "
                       "(invalid source code)")
    name = name.strip()
    if not name or len(name) > 200:
        raise LoaError("Tên nguồn cần 1 đến 200 ký tự (name must be 1..200 characters)")
    url = check_url(url)
    fail_if_exists(session, RelaySource, f"Nguồn tiếp sóng {code} đã có (source exists)",
                   code=code)
    fallback_sha = _store_fallback(session, store, fallback) if fallback else None
    found = probe(url)
    now = clock.now()
    source = RelaySource(code=code, unit_id=unit.id, name=name, url=url,
                         fallback_sha256=fallback_sha, codec=found.codec,
                         probe_error=found.error, probed_at=now, created_at=now)
    session.add(source)
    session.flush()
    return source, found


def _store_fallback(session: Session, store: AudioStore, path: Path) -> str:
    from loa.audio.clips import probe_clip

    try:
        info = probe_clip(Path(path), max_bytes=MAX_FALLBACK_BYTES)
    except AudioError as err:
        raise LoaError(f"{err} (the fallback file is not usable audio)") from err
    stored = store.put_file(Path(path))
    record_asset(session, stored.sha256, stored.bytes, info.duration_ms, info.format)
    return stored.sha256


def usable_sources(session: Session, unit: AdminUnit) -> list[RelaySource]:
    """The sources of ``unit`` and of the units above it (a province's VOV, a commune's own)."""
    ids = [u.id for u in ancestors(unit)]
    return list(session.scalars(select(RelaySource).where(RelaySource.unit_id.in_(ids))
                                .order_by(RelaySource.code)))


def add_slot(session: Session, *, source: RelaySource, unit: AdminUnit | None,
             station: Station | None, days: str, at: str, minutes: int, required: bool,
             clock: Clock, zones: Sequence[Zone] = ()) -> RelaySlot:
    """A recurring relay on a unit (every station below) or one station, on every zone or
    on the ``zones`` of that station named.

    Cases: exactly one of unit and station; zones only with a station, each of it; the
    source must belong to the target's unit or one above it; a slot that overlaps
    another relay of a station it reaches is refused (one stream at a time on a
    station's air, whatever zones each names: the station's other zones stay silent
    through the slot, since airings and bulletins keep clear of it).
    """
    if (unit is None) == (station is None):
        raise LoaError("Chọn một: --unit hoặc --station (a unit or a station, not both)")
    if zones and station is None:
        raise LoaError(ZONES_NEED_STATION)
    for zone in zones:
        if station is not None and zone.station_id != station.id:
            raise LoaError(f"Cụm loa {zone.code} không thuộc đài {station.code} "
                           "(zone of another station)")
    target_unit = unit if unit is not None else station.unit  # type: ignore[union-attr]
    if source.unit_id not in {u.id for u in ancestors(target_unit)}:
        raise LoaError(f"Nguồn {source.code} thuộc đơn vị khác, không dùng được ở "
                       f"{target_unit.code} (source not usable here)")
    window = slot_window(days, at, minutes)
    slot = RelaySlot(source_id=source.id, unit_id=unit.id if unit else None,
                     station_id=station.id if station else None,
                     days=_days_text(days), at=f"{window.start:%H:%M}", minutes=minutes,
                     required=required, created_at=clock.now(),
                     zones=list({z.id: z for z in zones}.values()))
    _refuse_overlap(session, slot, window)
    session.add(slot)
    session.flush()
    return slot


def _days_text(days: str) -> str:
    return days.strip().upper().replace(" ", "")


def _refuse_overlap(session: Session, new: RelaySlot, window: Window) -> None:
    tree = UnitTree.load(session)
    others = list(session.scalars(select(RelaySlot)))
    reach = _reach(session, tree, [new, *others])
    for other in others:
        if not reach[id(new)] & reach[id(other)]:
            continue
        w = window_of(other)
        if w.days & window.days and w.start < window.end and window.start < w.end:
            raise LoaError(f"Khung tiếp sóng chồng lên khung {other.id} ({other.days} "
                           f"{other.at}, {other.minutes} phút) (overlaps relay slot {other.id})")


def _reach(session: Session, tree: UnitTree, slots: list[RelaySlot]) -> dict[int, set[int]]:
    """Station ids each slot reaches, keyed by id(slot)."""
    rows = session.execute(select(Station.id, Station.unit_id)).all()
    found: dict[int, set[int]] = {}
    for slot in slots:
        if slot.station_id is not None:
            found[id(slot)] = {slot.station_id}
        else:
            found[id(slot)] = {sid for sid, uid in rows if tree.is_under(uid, slot.unit_id or 0)}
    return found


def remove_slot(session: Session, slot_id: int, within: Collection[int] | None = None) -> RelaySlot:
    """Delete a relay slot (``within``: the unit ids the remover may touch)."""
    slot = session.get(RelaySlot, slot_id)
    if slot is None or (within is not None and _slot_unit_id(slot) not in within):
        raise LoaError(f"Không tìm thấy khung tiếp sóng {slot_id} (no such relay slot)")
    session.delete(slot)
    session.flush()
    return slot


def _slot_unit_id(slot: RelaySlot) -> int:
    return slot.unit_id if slot.unit_id is not None else slot.station.unit_id  # type: ignore[union-attr]


def list_slots(session: Session, unit_ids: Collection[int] | None = None,
               station: Station | None = None) -> list[RelaySlot]:
    """Relay slots set on these units or their stations; for a station, every slot it
    carries (its own and its units')."""
    query = select(RelaySlot).order_by(RelaySlot.at, RelaySlot.id)
    if station is not None:
        chain = [u.id for u in ancestors(station.unit)]
        query = query.where(or_(RelaySlot.station_id == station.id, RelaySlot.unit_id.in_(chain)))
    elif unit_ids is not None:
        units = list(unit_ids)
        query = query.outerjoin(Station, Station.id == RelaySlot.station_id).where(
            or_(RelaySlot.unit_id.in_(units), Station.unit_id.in_(units)))
    return list(session.scalars(query))


def occurrences(window: Window, tz: ZoneInfo, start: datetime,
                end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Each occurrence of ``window`` overlapping [start, end), as UTC (start, end)."""
    day: date = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        if day.weekday() in window.days:
            s = datetime.combine(day, window.start, tz).astimezone(UTC)
            e = datetime.combine(day, window.end, tz).astimezone(UTC)
            if s < end and e > start:
                yield s, e
        day += timedelta(days=1)


def relay_spans(session: Session, start: datetime, end: datetime,
                station_ids: Collection[int] | None = None) -> dict[int, list[RelaySpan]]:
    """Every relay occurrence in [start, end), per station id: one query when no relay is
    set, three otherwise, however many stations."""
    slots = list(session.scalars(select(RelaySlot)))
    if not slots:
        return {}
    tree = UnitTree.load(session) if any(s.unit_id is not None for s in slots) else None
    query = select(Station.id, Station.unit_id, Station.timezone)
    if station_ids is not None:
        query = query.where(Station.id.in_(list(station_ids)))
    windows = {s.id: window_of(s) for s in slots}
    spans: dict[int, list[RelaySpan]] = {}
    for sid, uid, zone in session.execute(query):
        mine = [s for s in slots if s.station_id == sid
                or (s.unit_id is not None and tree is not None and tree.is_under(uid, s.unit_id))]
        tz = ZoneInfo(zone)
        for slot in mine:
            for s, e in occurrences(windows[slot.id], tz, start, end):
                spans.setdefault(sid, []).append(RelaySpan(slot.id, sid, s, e))
    for items in spans.values():
        items.sort(key=lambda span: span.start)
    return spans


def station_slots(session: Session, station: Station) -> list[RelaySlot]:
    """The relay slots ``station`` carries: its own and those of its units (one small query
    when no relay is set anywhere: the schedule poll and ingest pay nothing more)."""
    if session.scalar(select(RelaySlot.id).limit(1)) is None:
        return []
    return list_slots(session, station=station)


def carries(slot: RelaySlot, zone: Zone | None) -> bool:
    """Whether a slot the station carries goes to ``zone``: one naming no zone goes to every
    zone; one naming zones, to those alone."""
    return not slot.zones or (zone is not None and zone in slot.zones)


def player_slots(session: Session, player: Player) -> list[RelaySlot]:
    """The relay slots the player's zone carries."""
    slots = station_slots(session, player.station)
    if not any(slot.zones for slot in slots):
        return slots
    zone = player_zone(session, player)
    return [slot for slot in slots if carries(slot, zone)]


def player_relays(session: Session, player: Player, start: datetime, end: datetime,
                  tz: ZoneInfo) -> list[dict]:
    """The relays of the player API's schedule: each occurrence in [start, end) of the slots
    its zone carries, by start."""
    from loa.playlists.assets import audio_json
    from loa.playlists.models import AudioAsset

    items = []
    for slot in player_slots(session, player):
        source = slot.source
        asset = session.get(AudioAsset, source.fallback_sha256) if source.fallback_sha256 else None
        fallback = (audio_json(asset.sha256, asset.bytes, asset.format, asset.duration_ms)
                    if asset is not None else None)
        for s, e in occurrences(window_of(slot), tz, start, end):
            items.append({
                "slot_id": slot.id, "starts_at": s.astimezone(tz).isoformat(),
                "ends_at": e.astimezone(tz).isoformat(), "required": slot.required,
                "source": {"code": source.code, "name": source.name, "url": source.url,
                           "codec": source.codec},
                "fallback": fallback,
            })
    return sorted(items, key=lambda r: (r["starts_at"], r["slot_id"]))


def relay_fallback_asset(session: Session, player: Player, sha256: str) -> bool:
    """Whether ``sha256`` is the fallback file of a relay the player's zone carries."""
    return any(s.source.fallback_sha256 == sha256 for s in player_slots(session, player))


def player_relay_ids(session: Session, player: Player) -> set[int]:
    """Ids of the relay slots the player's zone carries (what it may report on)."""
    return {s.id for s in player_slots(session, player)}
