"""CAP 1.2 in, the database edge: each alert becomes a draft bulletin a person approves.

Rules (DESIGN §4 CAP alerts, `playlists.cap` for the pure mapping):
- Only ``status`` Actual alerts are taken in; Exercise, Test, System, Draft, and the
  Ack and Error messages, never make a bulletin.
- An alert is taken in once per unit: (unit, sender, identifier, sent) is its key.
- Alert and Update make a *held* bulletin (pending whatever its level) for the owner
  unit, targeting the units its area names; an Update records the bulletin of the
  alert it references (`link_reference`, where a series is joined) and withdraws
  (cancels) those of its drafts nobody approved yet.
- Cancel cancels the bulletins of the alerts it references, in the same unit.
- A feed whose unit opted in sends its Extreme alerts at once; nothing else airs
  without a person's approval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from loa.audio.store import AudioStore
from loa.clock import Clock
from loa.errors import LoaError
from loa.playlists.bulletin_series import series_named
from loa.playlists.bulletins import PlaceSlots, approve_bulletin, cancel_bulletin, create_bulletin
from loa.playlists.cap import (
    Alert,
    CapError,
    Info,
    UnitName,
    bulletin_text,
    bulletin_title,
    match_area,
    pick_info,
    priority_for,
    targets_for,
)
from loa.playlists.cap_models import CapAlert, CapFeed
from loa.playlists.models import Bulletin, BulletinPriority, BulletinStatus
from loa.stations.models import AdminUnit
from loa.stations.units import ancestors, subtree_ids

TAKEN = ("Alert", "Update", "Cancel")


@dataclass(frozen=True)
class Outcome:
    """What one alert came to, for the command line and the feed's log."""

    identifier: str
    action: str  # drafted | sent | cancelled | duplicate | skipped
    bulletin_id: int | None
    message: str


@dataclass(frozen=True)
class Tools:
    """What making and sending a bulletin needs: the store, the clock, the slot placer."""

    store: AudioStore
    clock: Clock
    place_slots: PlaceSlots


def import_alert(session: Session, alert: Alert, *, unit: AdminUnit | None, tools: Tools,
                 feed: CapFeed | None = None) -> Outcome:
    """Take one alert in for ``unit`` (None: the unit its area names); see the module's rules."""
    if alert.status != "Actual" or alert.msg_type not in TAKEN:
        return Outcome(alert.identifier, "skipped", None,
                       f"Bỏ qua: status {alert.status or '-'}, msgType {alert.msg_type} "
                       "(skipped: only Actual Alert, Update and Cancel are taken in)")
    earlier = _referenced(session, alert, unit)
    if unit is None:
        unit = _owner_from(session, alert, earlier)
    seen = session.scalar(select(CapAlert).where(
        CapAlert.unit_id == unit.id, CapAlert.sender == alert.sender,
        CapAlert.identifier == alert.identifier, CapAlert.sent == alert.sent))
    if seen is not None:
        return Outcome(alert.identifier, "duplicate", seen.bulletin_id,
                       f"Đã nhận cảnh báo này trước đó (already imported): {seen.note}")
    record = CapAlert(
        unit_id=unit.id, sender=alert.sender, identifier=alert.identifier, sent=alert.sent,
        msg_type=alert.msg_type, feed_id=feed.id if feed is not None else None,
        received_at=tools.clock.now(), note="")
    earlier = [b for b in earlier if b.unit_id == unit.id]
    if alert.msg_type == "Cancel":
        outcome = _cancel(session, alert, record, earlier, tools)
    else:
        outcome = _draft(session, alert, unit, record, earlier, tools, feed)
    record.note = outcome.message
    session.add(record)
    session.flush()
    return outcome


def _referenced(session: Session, alert: Alert, unit: AdminUnit | None) -> list[Bulletin]:
    """The bulletins made from the alerts ``alert`` references (in ``unit`` if given)."""
    if not alert.references:
        return []
    named = or_(*(and_(CapAlert.sender == r.sender, CapAlert.identifier == r.identifier,
                       CapAlert.sent == r.sent) for r in alert.references))
    query = select(Bulletin).join(CapAlert, CapAlert.bulletin_id == Bulletin.id).where(named)
    if unit is not None:
        query = query.where(CapAlert.unit_id == unit.id)
    return list(session.scalars(query.order_by(Bulletin.id)))


def _owner_from(session: Session, alert: Alert, earlier: list[Bulletin]) -> AdminUnit:
    """Without --unit: the unit of the referenced bulletins (a Cancel), else the nearest
    unit holding every unit the area names."""
    if alert.msg_type == "Cancel" and earlier:
        return earlier[-1].unit
    info = pick_info(alert.infos)
    units = _unit_names(session, None)
    matched = match_area(info.areas if info else (), units)
    if not matched.unit_ids:
        raise CapError(f"Không khớp vùng cảnh báo {alert.identifier} với đơn vị nào, hãy dùng "
                       "--unit (the alert's area matches no unit; give --unit)")
    chains = [ancestors(session.get_one(AdminUnit, uid)) for uid in matched.unit_ids]
    common = set.intersection(*({u.id for u in chain} for chain in chains))
    owner = next((u for u in chains[0] if u.id in common), None)
    if owner is None:
        raise CapError("Vùng cảnh báo thuộc nhiều tỉnh không chung cấp trên, hãy dùng --unit "
                       "(the area spans units with no common parent; give --unit)")
    return owner


def _unit_names(session: Session, owner: AdminUnit | None) -> list[UnitName]:
    """Units an area may name: the owner's chain and subtree, or every unit."""
    query = select(AdminUnit.id, AdminUnit.code, AdminUnit.name)
    if owner is not None:
        reach = subtree_ids(session, owner) | {u.id for u in ancestors(owner)}
        query = query.where(AdminUnit.id.in_(reach))
    return [UnitName(r.id, r.code, r.name) for r in session.execute(query)]


def _cancel(session: Session, alert: Alert, record: CapAlert, earlier: list[Bulletin],
            tools: Tools) -> Outcome:
    """Cancel every still pending or active bulletin of the referenced alerts."""
    stopped = []
    for bulletin in earlier:
        if bulletin.status in (BulletinStatus.pending, BulletinStatus.active):
            cancel_bulletin(session, bulletin, by=None, role=None, clock=tools.clock)
            stopped.append(bulletin.id)
    record.references_bulletin_id = earlier[-1].id if earlier else None
    if not stopped:
        return Outcome(alert.identifier, "skipped", None,
                       "Không có thông báo nào để hủy (nothing left to cancel)")
    listed = ", ".join(str(i) for i in stopped)
    return Outcome(alert.identifier, "cancelled", stopped[-1],
                   f"Đã hủy thông báo {listed} (cancelled)")


def _draft(session: Session, alert: Alert, unit: AdminUnit, record: CapAlert,
           earlier: list[Bulletin], tools: Tools, feed: CapFeed | None) -> Outcome:
    info = pick_info(alert.infos)
    if info is None:
        return Outcome(alert.identifier, "skipped", None,
                       "Cảnh báo không có phần info (the alert has no info)")
    record.severity = info.severity[:16] or None
    now = tools.clock.now()
    if info.expires is not None and info.expires <= now:
        return Outcome(alert.identifier, "skipped", None,
                       "Cảnh báo đã hết hạn (the alert has expired)")
    matched = match_area(info.areas, _unit_names(session, unit))
    targets = targets_for(matched.unit_ids, unit.id, {u.id for u in ancestors(unit)},
                          subtree_ids(session, unit))
    if not targets:
        return Outcome(alert.identifier, "skipped", None,
                       f"Vùng cảnh báo không thuộc {unit.code} {unit.name} "
                       "(the alert's area is not this unit's)")
    try:
        with session.begin_nested():
            bulletin = _make(session, unit, info, targets, tools)
    except LoaError as err:  # a rule of bulletins (text too long, window): kept as the note
        return Outcome(alert.identifier, "skipped", None,
                       f"Không tạo được thông báo (no bulletin made): {err}")
    record.bulletin_id = bulletin.id
    replaced = ""
    if earlier:
        link_reference(session, record, bulletin, earlier[-1])
        replaced = _withdraw_drafts(session, earlier, tools)
    if (feed is not None and feed.auto_extreme
            and bulletin.priority is BulletinPriority.emergency):
        approve_bulletin(session, bulletin, by=None, role=None, clock=tools.clock,
                         place_slots=tools.place_slots)
        return Outcome(alert.identifier, "sent", bulletin.id,
                       f"Khẩn cấp (Extreme), đơn vị chọn phát ngay: đã gửi thông báo "
                       f"{bulletin.id} (Extreme alert sent at once, as the unit chose)")
    return Outcome(alert.identifier, "drafted", bulletin.id,
                   f"Thông báo {bulletin.id} ({bulletin.priority.value}) chờ duyệt "
                   f"(draft bulletin awaiting approval){replaced}")


def _withdraw_drafts(session: Session, earlier: list[Bulletin], tools: Tools) -> str:
    """An Update replaces the drafts of the alerts it references that nobody approved yet:
    the queue holds the latest text only. Sent ones are left to the series (a new one,
    once sent, supersedes them)."""
    withdrawn = [b for b in earlier if b.status is BulletinStatus.pending]
    for draft in withdrawn:
        cancel_bulletin(session, draft, by=None, role=None, clock=tools.clock)
    if not withdrawn:
        return ""
    listed = ", ".join(str(b.id) for b in withdrawn)
    return f"; thay bản nháp {listed} (replaces draft {listed})"


def _make(session: Session, unit: AdminUnit, info: Info, targets: Sequence[int],
          tools: Tools) -> Bulletin:
    """The held bulletin: level from severity, text and title from the info, until expires."""
    return create_bulletin(
        session, unit=unit, author=None, role=None, title=bulletin_title(info),
        priority=priority_for(info.severity), text=bulletin_text(info),
        unit_targets=[session.get_one(AdminUnit, t) for t in targets],
        valid_until=info.expires, store=tools.store, clock=tools.clock,
        place_slots=tools.place_slots, hold=True)


def link_reference(session: Session, record: CapAlert, bulletin: Bulletin,
                   referenced: Bulletin) -> None:
    """An Update's bulletin follows the one made from the alert it references.

    Recorded on the alert (``references_bulletin_id``), and the two are put in one
    series (the earlier one's, else a new one named after it), so that sending the new
    one supersedes the old (``playlists.bulletin_series``). A series belongs to one
    unit: an Update imported by another unit is linked, not joined.
    """
    record.references_bulletin_id = referenced.id
    if referenced.unit_id != bulletin.unit_id:
        return
    if referenced.series_id is None:
        referenced.series_id = series_named(
            session, referenced.unit, f"{referenced.title} (#{referenced.id})", by=None,
            now=bulletin.created_at).id
    bulletin.series_id = referenced.series_id
