"""Offers: a normal bulletin from a unit above reaches each target commune as an offer.

Thông tư 39/2020/TT-BTTTT: bulletins come down from the provincial and central source
information system, and the commune decides about normal ones. So a normal bulletin
whose owner unit is not the station's own unit (a province, a district or a central
unit sending to the communes below it) is placed into a station's windows only once
the station's commune accepts it: its operator, leader or admin accepts, or declines
with a reason the sender reads; one not answered within ``LOA_OFFER_HOURS`` is accepted
by the scheduler's ``offers`` job. Priority bulletins and emergencies are never offers,
nor is a bulletin a unit sends to its own stations.

Pure rules first (``is_offer``, ``answer_refused``, ``decline_reason``, ``offer_due``,
``auto_accept_due``), then the database edge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from loa.clock import Clock
from loa.errors import LoaError
from loa.playlists.models import (
    Bulletin,
    BulletinOffer,
    BulletinOfferState,
    BulletinPriority,
    BulletinStatus,
)
from loa.stations.accounts import Role
from loa.stations.models import Station

# The same hook as ``playlists.bulletins.PlaceSlots`` (kept apart: that module imports this).
PlaceSlots = Callable[[Session, Bulletin, datetime], object]

ANSWERERS = frozenset({Role.operator, Role.leader, Role.admin})
ACCEPTED = (BulletinOfferState.accepted, BulletinOfferState.auto_accepted)
MAX_REASON = 500


def is_offer(priority: BulletinPriority, owner_unit_id: int, station_unit_id: int) -> bool:
    """Whether a bulletin of ``priority`` owned by ``owner_unit_id`` reaches a station of
    ``station_unit_id`` as an offer: a normal one from another unit (one above; a bulletin
    targets only its owner's subtree). A unit's bulletin to its own stations is no offer."""
    return priority is BulletinPriority.normal and owner_unit_id != station_unit_id


def offer_due(offered_at: datetime, hours: int) -> datetime:
    """When an offer not answered is accepted by itself (LOA_OFFER_HOURS after it came)."""
    return offered_at + timedelta(hours=hours)


def auto_accept_due(state: BulletinOfferState, offered_at: datetime, bulletin_live: bool,
                    now: datetime, hours: int) -> bool:
    """Whether the clock accepts an offer now: still offered, its bulletin still active and
    within its window, and ``hours`` passed since it came (at the due instant itself too)."""
    return (state is BulletinOfferState.offered and bulletin_live
            and now >= offer_due(offered_at, hours))


def answer_refused(
    state: BulletinOfferState, *, bulletin_live: bool, station_unit_id: int,
    user_unit_id: int | None, role: str | None,
) -> str | None:
    """Why a user (``role`` of ``user_unit_id``; both None: a script) may not answer an offer
    to a station of ``station_unit_id``, or None.

    Cases: only an offer still waiting is answered (accepted, declined or accepted by
    the clock is final); its bulletin must still be active within its window; the
    commune decides: an operator, leader or admin of the station's own unit, not of a
    unit above (the sender's side) nor of another commune; an auditor never.
    """
    if role is not None and str(role) not in ANSWERERS:
        return "Chỉ cán bộ vận hành, lãnh đạo hoặc quản trị được trả lời (this role may not answer)"
    if role is not None and user_unit_id != station_unit_id:
        return ("Chỉ xã có đài này được trả lời đề nghị "
                "(only the station's own commune answers its offer)")
    if state is not BulletinOfferState.offered:
        return "Đề nghị này đã được trả lời (the offer was already answered)"
    if not bulletin_live:
        return "Thông báo không còn hiệu lực (the bulletin is no longer active)"
    return None


def decline_reason(text: str | None) -> str:
    """The reason a commune gives for declining, one line: needed, at most MAX_REASON."""
    reason = " ".join((text or "").split())
    if not reason:
        raise LoaError("Cần nêu lý do từ chối (a reason is needed to decline)")
    if len(reason) > MAX_REASON:
        raise LoaError(f"Lý do tối đa {MAX_REASON} ký tự (reason at most {MAX_REASON})")
    return reason


# --- the database edge -------------------------------------------------------------------


def _live(bulletin: Bulletin, now: datetime) -> bool:
    return bulletin.status is BulletinStatus.active and bulletin.valid_until > now


def make_offers(session: Session, bulletin: Bulletin, stations: Iterable[Station],
                now: datetime) -> list[BulletinOffer]:
    """As ``bulletin`` is sent: an offer for each of ``stations`` it reaches as one."""
    made = [
        BulletinOffer(bulletin_id=bulletin.id, station_id=st.id,
                      state=BulletinOfferState.offered, offered_at=now)
        for st in stations if is_offer(bulletin.priority, bulletin.unit_id, st.unit_id)
    ]
    session.add_all(made)
    session.flush()
    return made


def placeable(session: Session, bulletin: Bulletin, stations: Sequence[Station]) -> list[Station]:
    """Which of ``stations`` (the bulletin's targets) get its plays: those it was not offered
    to, and those whose commune accepted it (or the clock did). The offer rows made when it
    was sent are the record: a bulletin sent before offers existed (none) is placed as it
    was; a station added below since it was offered (no row of its own) waits, like one
    not answered, for nothing airs unasked."""
    if bulletin.priority is not BulletinPriority.normal:
        return list(stations)
    answers = {station_id: state for station_id, state in session.execute(
        select(BulletinOffer.station_id, BulletinOffer.state)
        .where(BulletinOffer.bulletin_id == bulletin.id))}
    if not answers:
        return list(stations)
    return [st for st in stations
            if answers.get(st.id) in ACCEPTED
            or (st.id not in answers and not is_offer(bulletin.priority, bulletin.unit_id,
                                                       st.unit_id))]


def get_offer(session: Session, bulletin_id: int, station: Station) -> BulletinOffer:
    """The offer, locked until commit: a commune answering and the clock accepting at the
    same moment answer one after the other, the second finding it answered."""
    offer = session.scalar(select(BulletinOffer).where(
        BulletinOffer.bulletin_id == bulletin_id, BulletinOffer.station_id == station.id)
        .with_for_update())
    if offer is None:
        raise LoaError(f"Thông báo {bulletin_id} không phải đề nghị gửi tới đài {station.code} "
                       "(no such offer to this station)")
    return offer


def _answer(session: Session, offer: BulletinOffer, by: str | None, role: str | None,
            user_unit_id: int | None, now: datetime) -> None:
    refused = answer_refused(
        offer.state, bulletin_live=_live(offer.bulletin, now),
        station_unit_id=offer.station.unit_id, user_unit_id=user_unit_id, role=role)
    if refused:
        raise LoaError(refused)
    offer.answered_by, offer.answered_at = by, now


def accept_offer(
    session: Session, offer: BulletinOffer, *, by: str | None, role: str | None,
    user_unit_id: int | None, clock: Clock, place_slots: PlaceSlots,
) -> None:
    """The commune accepts: the bulletin's plays go into that station's windows as any
    normal bulletin's (``place_slots`` places the stations accepted and not yet placed)."""
    now = clock.now()
    _answer(session, offer, by, role, user_unit_id, now)
    offer.state = BulletinOfferState.accepted
    session.flush()
    place_slots(session, offer.bulletin, now)


def decline_offer(
    session: Session, offer: BulletinOffer, *, by: str | None, role: str | None,
    user_unit_id: int | None, reason: str | None, clock: Clock,
) -> None:
    """The commune declines with a reason the sender reads; its station plays nothing of it."""
    text = decline_reason(reason)
    _answer(session, offer, by, role, user_unit_id, clock.now())
    offer.state, offer.reason = BulletinOfferState.declined, text
    session.flush()


def accept_due_offers(session: Session, now: datetime, hours: int,
                      place_slots: PlaceSlots) -> list[BulletinOffer]:
    """The ``offers`` job: every offer not answered within ``hours`` (LOA_OFFER_HOURS) of an
    active bulletin is accepted by the clock and placed; the offers accepted."""
    found = session.scalars(
        select(BulletinOffer).join(Bulletin, Bulletin.id == BulletinOffer.bulletin_id)
        .where(BulletinOffer.state == BulletinOfferState.offered,
               BulletinOffer.offered_at <= now - timedelta(hours=hours),
               Bulletin.status == BulletinStatus.active, Bulletin.valid_until > now)
        .options(joinedload(BulletinOffer.bulletin))
        .order_by(BulletinOffer.bulletin_id, BulletinOffer.id)
        .with_for_update(of=BulletinOffer)  # an answer under way first (see get_offer)
    ).unique().all()
    due = [o for o in found
           if auto_accept_due(o.state, o.offered_at, _live(o.bulletin, now), now, hours)]
    for offer in due:
        offer.state, offer.answered_at = BulletinOfferState.auto_accepted, now
    session.flush()
    for bulletin in {o.bulletin_id: o.bulletin for o in due}.values():
        place_slots(session, bulletin, now)
    return due


def waiting_offers(session: Session, unit_ids: Iterable[int], now: datetime) -> list[BulletinOffer]:
    """The offers waiting for an answer from the communes ``unit_ids`` (their stations'
    units), oldest first, with their bulletin and station loaded: what the commune's offers
    page, `loa bulletin offers` and a "bulletin offer waiting" notice read."""
    return list(session.scalars(
        select(BulletinOffer)
        .join(Bulletin, Bulletin.id == BulletinOffer.bulletin_id)
        .join(Station, Station.id == BulletinOffer.station_id)
        .where(BulletinOffer.state == BulletinOfferState.offered,
               Station.unit_id.in_(list(unit_ids)),
               Bulletin.status == BulletinStatus.active, Bulletin.valid_until > now)
        .options(joinedload(BulletinOffer.bulletin).joinedload(Bulletin.unit),
                 joinedload(BulletinOffer.station))
        .order_by(BulletinOffer.offered_at, BulletinOffer.bulletin_id, Station.code)
    ).unique())


def offers_waiting_for(session: Session, unit_id: int, now: datetime) -> list[BulletinOffer]:
    """The offers unit ``unit_id`` (a commune) has to answer now: for notifications."""
    return waiting_offers(session, [unit_id], now)


@dataclass(frozen=True)
class StationOffer:
    """One station's answer to an offer, as the sender's page and the CLI show it."""

    code: str
    name: str
    state: BulletinOfferState
    answered_by: str | None
    answered_at: datetime | None
    reason: str | None
    due: datetime  # when the clock accepts it if still waiting


def offers_of(session: Session, bulletin: Bulletin, hours: int,
              station_ids: set[int] | None = None) -> list[StationOffer]:
    """Per station the bulletin was offered to (those of ``station_ids`` only unless None),
    by code: offered, accepted, declined with the reason, or accepted by the clock."""
    rows = session.execute(
        select(BulletinOffer, Station).join(Station, Station.id == BulletinOffer.station_id)
        .where(BulletinOffer.bulletin_id == bulletin.id).order_by(Station.code)
    ).all()
    return [
        StationOffer(st.code, st.name, o.state, o.answered_by, o.answered_at, o.reason,
                     offer_due(o.offered_at, hours))
        for o, st in rows if station_ids is None or st.id in station_ids
    ]
