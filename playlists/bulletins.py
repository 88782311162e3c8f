"""Bulletins (thông báo): create, approve, send, cancel and end them; who reached them.

Rules (DESIGN §4 Bulletins):
- A bulletin is owned by a unit and targets only that unit's subtree: units
  (each its whole subtree, resolved when sent) and single stations.
- Emergency: only the roles in the owner unit's ``emergency_roles`` send one;
  it is active at once, needs no approval, and is pushed to every target player.
- Normal and priority: an operator's bulletin waits for a leader or admin, never
  its author; a leader's or admin's is sent at once; a script (no author) too.
- An auditor writes no bulletin.
- Zones (playlists.bulletin_zones): a zone target reaches that zone of its station alone;
  a language variant plays in the zones of its language instead of the Vietnamese audio.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from loa.audio.store import AudioStore
from loa.clock import Clock
from loa.errors import LoaError
from loa.playlists.bulletin_delivery import deliver
from loa.playlists.bulletin_limits import (
    DEFAULT_VALIDITY,
    MAX_REPEAT_EVERY_S,
    MAX_REPEATS,
    MAX_TEXT,
    MAX_TITLE,
    MAX_VALIDITY,
    MIN_REPEAT_EVERY_S,
)
from loa.playlists.bulletin_offers import make_offers
from loa.playlists.bulletin_series import check_hourly, check_series_owner, supersede_in_series
from loa.playlists.bulletin_zones import (
    add_variants,
    check_variants,
    players_audio,
    reached_languages,
)
from loa.playlists.models import (
    AudioAsset,
    Bulletin,
    BulletinDelivery,
    BulletinPriority,
    BulletinSeries,
    BulletinSlot,
    BulletinSlotStatus,
    BulletinStatus,
    BulletinTarget,
)
from loa.playlists.template_check import check_marks
from loa.stations.accounts import Role
from loa.stations.models import AdminUnit, Player, Station, Zone
from loa.stations.push import notify_after_commit, notify_bulletin_after_commit
from loa.stations.units import subtree_ids

# Puts an active normal or priority bulletin's plays into its stations' windows: the
# scheduler's rule (scheduler/bulletin_slots.py), handed in by the caller, since the
# scheduler sits above this room.
PlaceSlots = Callable[[Session, Bulletin, datetime], object]

WRITERS = frozenset({Role.operator, Role.leader, Role.admin})
APPROVERS = frozenset({Role.leader, Role.admin})


def may_send_emergency(unit: AdminUnit, role: str | None) -> bool:
    """Whether ``role`` may send an emergency bulletin owned by ``unit`` (None: a script)."""
    if role is None:
        return True
    allowed = {r.strip() for r in (unit.emergency_roles or "").split(",") if r.strip()}
    return str(role) in allowed


def may_write(role: str | None) -> bool:
    """Whether ``role`` writes bulletins (None: a script, which acts for the server)."""
    return role is None or str(role) in WRITERS


def approval_refused(bulletin: Bulletin, by: str | None, role: str | None) -> str | None:
    """Why ``by`` (``role``; None: a script) may not approve ``bulletin``, or None: a pending
    bulletin is approved by a leader or admin who is not its author."""
    if bulletin.status is not BulletinStatus.pending:
        return "Thông báo không chờ duyệt (the bulletin is not awaiting approval)"
    if role is not None and str(role) not in APPROVERS:
        return "Chỉ lãnh đạo hoặc quản trị được duyệt (only a leader or admin approves)"
    if bulletin.priority is BulletinPriority.emergency and not may_send_emergency(
            bulletin.unit, role):  # a held emergency (an imported CAP alert)
        return (f"Vai trò {role} không được gửi thông báo khẩn cấp của {bulletin.unit.code} "
                "(this role may not send an emergency)")
    if by is not None and by == bulletin.created_by:
        return "Người soạn không được tự duyệt thông báo (you cannot approve your own)"
    return None


def cancel_refused(bulletin: Bulletin, role: str | None) -> str | None:
    """Why ``role`` (None: a script) may not cancel ``bulletin``, or None: a pending or
    active bulletin is cancelled by a writer, an emergency only by a role that may send
    one for its unit."""
    if not may_write(role) or (bulletin.priority is BulletinPriority.emergency
                               and not may_send_emergency(bulletin.unit, role)):
        return (f"Vai trò {role} không được hủy thông báo này "
                "(this role may not cancel this bulletin)")
    if bulletin.status not in (BulletinStatus.pending, BulletinStatus.active):
        done = "hủy" if bulletin.status is BulletinStatus.cancelled else "kết thúc"
        return f"Thông báo đã {done} (the bulletin is already over)"
    return None


def set_emergency_roles(unit: AdminUnit, roles: Iterable[str]) -> None:
    """Which roles may send the unit's emergencies (at least one; never an auditor)."""
    chosen = sorted({str(r).strip() for r in roles if str(r).strip()})
    wrong = [r for r in chosen if r not in WRITERS]
    if wrong or not chosen:
        raise LoaError(f"Vai trò không hợp lệ {', '.join(wrong) or '(trống)'}: operator, leader, "
                       "admin (roles must be some of operator, leader, admin)")
    unit.emergency_roles = ",".join(chosen)


def get_bulletin(session: Session, bulletin_id: int) -> Bulletin:
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise LoaError(f"Không tìm thấy thông báo {bulletin_id} (bulletin not found)")
    return bulletin


def _priority(value: str | BulletinPriority) -> BulletinPriority:
    try:
        return BulletinPriority(value)
    except ValueError as exc:
        raise LoaError(
            f"Mức ưu tiên không hợp lệ {value!r}: normal, priority hoặc emergency "
            "(bad priority)"
        ) from exc


def _check_targets(
    session: Session, unit: AdminUnit, units: Sequence[AdminUnit], stations: Sequence[Station]
) -> None:
    """Every target (a zone's station too) must lie in the owner unit's subtree."""
    inside = subtree_ids(session, unit)
    for target in units:
        if target.id not in inside:
            raise LoaError(
                f"Đơn vị {target.code} nằm ngoài phạm vi của {unit.code} "
                "(target unit outside the owner's subtree)"
            )
    for station in stations:
        if station.unit_id not in inside:
            raise LoaError(
                f"Đài {station.code} nằm ngoài phạm vi của {unit.code} "
                "(target station outside the owner's subtree)"
            )


def _window(
    priority: BulletinPriority, now: datetime, valid_from: datetime | None,
    valid_until: datetime | None, repeat_count: int | None, repeat_every_s: int,
) -> tuple[datetime, datetime, int]:
    """The validity window and the number of plays, checked.

    Cases: an emergency starts now (a later --from is refused); a normal or
    priority bulletin may start later, within MAX_VALIDITY; without an end it
    runs a day or the span of its repeats plus an hour; the end must come after
    the start and now; the repeats must fit inside the window. A count of None
    repeats every ``repeat_every_s`` until the window ends: an emergency "every
    15 minutes until it is cancelled or its window ends" (players work its plays
    out from the count; placed bulletins, whose plays are rows, stop at MAX_REPEATS).
    """
    if repeat_every_s > MAX_REPEAT_EVERY_S:
        raise LoaError("Phát lại cách nhau tối đa 30 ngày (repeats at most 30 days apart)")
    if repeat_count is None:
        if repeat_every_s < MIN_REPEAT_EVERY_S:
            raise LoaError("Phát lại cách nhau ít nhất 1 phút (repeats at least a minute apart)")
        start, end, _ = _window(priority, now, valid_from, valid_until, 1, 0)
        plays = (end - start - timedelta(microseconds=1)) // timedelta(seconds=repeat_every_s)
        if priority is BulletinPriority.emergency:
            return start, end, plays + 1
        return start, end, min(MAX_REPEATS, plays + 1)
    if not 1 <= repeat_count <= MAX_REPEATS:
        raise LoaError(f"Số lần phát từ 1 đến {MAX_REPEATS} (repeat count 1..{MAX_REPEATS})")
    if repeat_count > 1 and repeat_every_s < MIN_REPEAT_EVERY_S:
        raise LoaError("Phát lại cách nhau ít nhất 1 phút (repeats at least a minute apart)")
    if repeat_every_s < 0:
        raise LoaError("Khoảng cách phát lại không được âm (repeat interval is negative)")
    span = timedelta(seconds=(repeat_count - 1) * repeat_every_s)
    start = now if valid_from is None else valid_from
    if priority is BulletinPriority.emergency and start > now + timedelta(minutes=1):
        raise LoaError("Thông báo khẩn cấp phát ngay, không hẹn giờ (an emergency plays at once)")
    start = max(start, now) if priority is BulletinPriority.emergency else start
    if start > now + MAX_VALIDITY:
        raise LoaError("Thời điểm bắt đầu quá xa, tối đa 1 năm (starts too far ahead)")
    end = valid_until or start + max(DEFAULT_VALIDITY, span + timedelta(hours=1))
    if end <= start or end <= now:
        raise LoaError("Hạn hiệu lực phải sau lúc bắt đầu và sau bây giờ (until must be later)")
    if end - start > MAX_VALIDITY:
        raise LoaError("Hiệu lực tối đa 1 năm (valid at most a year)")
    if span >= end - start:
        raise LoaError(
            "Các lần phát lại vượt quá hạn hiệu lực (the repeats run past the validity window)"
        )
    return start, end, repeat_count


def _title(title: str | None, text: str | None, audio: Path | None) -> str:
    title = " ".join((title or "").split())
    if not title:
        words = " ".join((text or "").split())
        title = words[:80] if words else (audio.stem if audio else "")
    if not title:
        raise LoaError("Thông báo cần tiêu đề (a bulletin needs a title)")
    if len(title) > MAX_TITLE:
        raise LoaError(f"Tiêu đề tối đa {MAX_TITLE} ký tự (title at most {MAX_TITLE})")
    return title


def _content(text: str | None, audio: Path | None) -> str | None:
    if (text is None) == (audio is None):
        raise LoaError("Cần đúng một trong hai: nội dung hoặc tệp âm thanh (text or a file)")
    if text is not None:
        text = text.strip()
        if not text:
            raise LoaError("Nội dung thông báo trống (the text is empty)")
        if len(text) > MAX_TEXT:
            raise LoaError(f"Nội dung tối đa {MAX_TEXT} ký tự (text at most {MAX_TEXT})")
    return text


def create_bulletin(
    session: Session, *, unit: AdminUnit, author: str | None, role: str | None,
    title: str | None, priority: str | BulletinPriority, text: str | None = None,
    audio: Path | None = None, unit_targets: Iterable[AdminUnit] = (),
    station_targets: Iterable[Station] = (), zone_targets: Iterable[Zone] = (),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None, repeat_count: int | None = 1,
    repeat_every_s: int = 0,
    store: AudioStore, clock: Clock, place_slots: PlaceSlots, hold: bool = False,
    series: BulletinSeries | None = None, on_the_hour: bool = False, night: bool = False,
    variants: Mapping[str, Path] | None = None,
) -> Bulletin:
    """Check, render and record a bulletin; send it at once unless it awaits approval.

    ``author``/``role`` None is a script (the CLI without --by): sent at once.
    No targets means the owner unit itself. The audio is rendered last, once
    every rule passed, so a refused bulletin costs no render. In a ``series``
    (playlists.bulletin_series) sending it supersedes the one before; ``on_the_hour``
    plays at the top of every ``repeat_every_s`` hours, ``night`` outside the windows too.
    ``hold`` keeps it pending whatever its level and author: an imported CAP alert waits
    for a person. ``zone_targets`` reach those zones of their stations alone;
    ``variants`` (language -> recording) play in the zones of that language, each checked
    (``check_variants``) before anything is rendered.
    """
    level = _priority(priority)
    check_hourly(level, on_the_hour, night, repeat_every_s)
    if series is not None:
        check_series_owner(series, unit)
    if not may_write(role):
        raise LoaError("Vai trò này không được soạn thông báo (this role writes no bulletins)")
    if level is BulletinPriority.emergency and not may_send_emergency(unit, role):
        raise LoaError(
            f"Vai trò {role} không được gửi thông báo khẩn cấp của {unit.code} "
            "(this role may not send an emergency)"
        )
    units, stations, zones = list(unit_targets), list(station_targets), list(zone_targets)
    units = units or ([] if stations or zones else [unit])
    _check_targets(session, unit, units, stations + [z.station for z in zones])
    text = _content(text, audio)
    check_marks(title, text)  # a template's "[blank]" never goes out, whoever wrote it
    now = clock.now()
    start, end, repeat_count = _window(
        level, now, valid_from, valid_until, repeat_count, repeat_every_s)
    bulletin = Bulletin(
        unit=unit, title=_title(title, text, audio), text=text, priority=level,
        status=BulletinStatus.pending, valid_from=start, valid_until=end,
        repeat_count=repeat_count, repeat_every_s=repeat_every_s, created_by=author,
        created_at=now, updated_at=now, series_id=series.id if series else None,
        on_the_hour=on_the_hour, night=night,
        targets=[BulletinTarget(unit_id=u.id) for u in _unique(units)]
        + [BulletinTarget(station_id=s.id) for s in _unique(stations)]
        + [BulletinTarget(station_id=z.station_id, zone_id=z.id) for z in _unique(zones)],
    )
    reached = _resolve(session, bulletin)
    if not reached:
        raise LoaError("Không có đài nào trong phạm vi gửi (no station among the targets)")
    variants = dict(variants or {})
    check_variants(variants, reached_languages(session, bulletin, reached))
    sound, voiced = _render(session, store, unit, text, audio, variants)
    bulletin.asset_sha256, bulletin.duration_ms = sound.sha256, sound.duration_ms
    add_variants(session, bulletin, voiced)
    if repeat_count > 1 and repeat_every_s * 1000 <= bulletin.air_ms:
        raise LoaError("Phát lại phải cách nhau lâu hơn thời lượng thông báo "
                       "(repeats must be further apart than the bulletin is long)")
    session.add(bulletin)
    session.flush()
    if not hold and (level is BulletinPriority.emergency or role is None
                     or str(role) in APPROVERS):
        # Sent once rendered: sent_at, the repeats and the delivery delays count from
        # the moment players can have it, not from before the render.
        sent = clock.now()
        if level is BulletinPriority.emergency:
            bulletin.valid_from = max(bulletin.valid_from, sent)
        else:
            bulletin.approved_by, bulletin.approved_at = author, sent
        _send(session, bulletin, sent, place_slots)
    return bulletin


def _unique(items: list[Any]) -> list[Any]:
    return list({item.id: item for item in items}.values())


def _render(session: Session, store: AudioStore, unit: AdminUnit, text: str | None,
            audio: Path | None,
            variants: Mapping[str, Path]) -> tuple[AudioAsset, dict[str, AudioAsset]]:
    """The bulletin's file and its variants' (language -> audio), each after the attention
    signal, once every rule passed (heavy imports only here)."""
    from loa.playlists.bulletin_audio import attention_signal, render_file, render_text
    from loa.playlists.lexicon import operator_acronyms

    attention = attention_signal(unit, store)
    voiced = {language: render_file(session, store, path, attention).asset
              for language, path in variants.items()}
    if text is not None:
        acronyms = operator_acronyms(session, unit)
        return render_text(session, store, text, attention, acronyms).asset, voiced
    assert audio is not None
    return render_file(session, store, audio, attention).asset, voiced


def _resolve(session: Session, bulletin: Bulletin) -> list[Station]:
    """The stations of ``bulletin``'s targets as the tree stands now, by code."""
    unit_ids: set[int] = set()
    for target in bulletin.targets:
        if target.unit_id is not None:
            unit = session.get_one(AdminUnit, target.unit_id)
            unit_ids |= subtree_ids(session, unit)
    station_ids = {t.station_id for t in bulletin.targets if t.station_id is not None}
    return list(session.scalars(
        select(Station)
        .where(or_(Station.unit_id.in_(unit_ids), Station.id.in_(station_ids)),
               Station.retired_at.is_(None))  # a retired station broadcasts nothing more
        .order_by(Station.code)
    ))


def target_stations(session: Session, bulletin: Bulletin) -> list[Station]:
    """Every station the bulletin targets (unit targets resolved to their subtrees now)."""
    return _resolve(session, bulletin)


def _send(session: Session, bulletin: Bulletin, now: datetime, place_slots: PlaceSlots) -> None:
    """Active from now: a delivery row per target player; an emergency is pushed after commit."""
    bulletin.status, bulletin.sent_at, bulletin.updated_at = BulletinStatus.active, now, now
    if bulletin.series_id is not None:  # the newest of a series replaces the one before
        supersede_in_series(session, session.get_one(BulletinSeries, bulletin.series_id),
                            bulletin, now)
    stations = _resolve(session, bulletin)
    everyone = session.scalars(
        select(Player).where(
            Player.station_id.in_([s.id for s in stations]), Player.revoked.is_(False)
        ).order_by(Player.id)
    ).all()
    given = players_audio(session, bulletin, everyone)  # the players of the zones it reaches
    players = [p for p in everyone if p.id in given]
    deliver(session, bulletin, players, given)
    if bulletin.priority is BulletinPriority.emergency:
        notify_bulletin_after_commit(session, "bulletin", bulletin.id, [p.id for p in players])
    if bulletin.priority is not BulletinPriority.emergency or bulletin.on_the_hour:
        # into the stations' windows (an emergency's on-the-hour repeats too); players
        # hear after commit
        make_offers(session, bulletin, stations, now)  # a normal one from above: asked first
        place_slots(session, bulletin, now)


def deliver_to_player(session: Session, player: Player) -> list[int]:
    """Delivery rows for a player that came after its station's bulletins were sent.

    Called when a player enrols (every agent start): a player added during an
    emergency still gets it, if it reaches its zone. Returns the bulletins it now has rows for.
    """
    have = select(BulletinDelivery.bulletin_id).where(BulletinDelivery.player_id == player.id)
    added = []
    for bulletin in session.scalars(select(Bulletin).where(
            Bulletin.status == BulletinStatus.active, Bulletin.id.not_in(have))):
        if player.station_id not in {s.id for s in _resolve(session, bulletin)}:
            continue
        given = players_audio(session, bulletin, [player])
        if given:
            deliver(session, bulletin, [player], given)
            added.append(bulletin.id)
    return added


def approve_bulletin(
    session: Session, bulletin: Bulletin, *, by: str | None, role: str | None, clock: Clock,
    place_slots: PlaceSlots,
) -> None:
    """A leader or admin (never the author) approves a pending bulletin, which is sent."""
    refused = approval_refused(bulletin, by, role)
    if refused:
        raise LoaError(refused)
    now = clock.now()
    if bulletin.valid_until <= now:
        raise LoaError("Thông báo đã hết hạn hiệu lực (the bulletin's window is over)")
    check_marks(bulletin.title, bulletin.text)
    bulletin.approved_by, bulletin.approved_at = by, now
    _send(session, bulletin, now, place_slots)


def cancel_bulletin(session: Session, bulletin: Bulletin, *, by: str | None,
                    role: str | None, clock: Clock) -> None:
    """Stop a pending or active bulletin everywhere: players are told after commit.

    Cases: cancelling a cancelled or ended bulletin is refused; ``role`` (None: a
    script) must be a writer's, and for an emergency one that may send it; its slots
    still to air are cancelled and their stations' players told their schedule changed.
    """
    refused = cancel_refused(bulletin, role)
    if refused:
        raise LoaError(refused)
    now = clock.now()
    sent = bulletin.status is BulletinStatus.active
    bulletin.status, bulletin.cancelled_by, bulletin.cancelled_at = (
        BulletinStatus.cancelled, by, now)
    bulletin.updated_at = now
    slot_stations = set(session.scalars(
        update(BulletinSlot)
        .where(BulletinSlot.bulletin_id == bulletin.id,
               BulletinSlot.status.in_((BulletinSlotStatus.planned, BulletinSlotStatus.published)))
        .values(status=BulletinSlotStatus.cancelled)
        .returning(BulletinSlot.station_id)
    ))
    if slot_stations:
        notify_after_commit(session, session.scalars(
            select(Player.id).where(Player.station_id.in_(slot_stations))))
    if sent and bulletin.priority is BulletinPriority.emergency:
        players = session.scalars(
            select(BulletinDelivery.player_id).where(BulletinDelivery.bulletin_id == bulletin.id)
        ).all()
        notify_bulletin_after_commit(session, "bulletin.cancelled", bulletin.id, players)
    session.flush()


def end_past_bulletins(session: Session, now: datetime) -> list[int]:
    """Active bulletins whose window is over become ended; their ids."""
    ids = list(session.scalars(
        update(Bulletin)
        .where(Bulletin.status == BulletinStatus.active, Bulletin.valid_until <= now)
        .values(status=BulletinStatus.ended, updated_at=now)
        .returning(Bulletin.id)
    ))
    return ids
