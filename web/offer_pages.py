"""Offers on the web: a commune answers the normal bulletins from above; plays reordered.

- ``/offers``: the offers waiting for the user's own unit (its communes' stations), each
  with "Nhận" and "Từ chối" (a reason needed), and those answered lately.
- A sender's bulletin page shows per station offered / accepted / declined with the
  reason (``offer_rows``, called by web/bulletin_pages.py).
- ``/bulletins/slots/<id>/ahead`` puts a priority play ahead of the one before it in its
  window (``scheduler.bulletin_order``), on a station of the user's own unit.

Who answers is the service's rule (``playlists.bulletin_offers.answer_refused``): an
operator, leader or admin of the station's own unit. A station outside the user's
subtree is a 404; one inside it but of another unit (a district's user looking at its
communes) is a 403: the commune decides.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from loa.errors import LoaError
from loa.playlists.bulletin_offers import (
    ANSWERERS,
    StationOffer,
    accept_offer,
    decline_offer,
    get_offer,
    offer_due,
    offers_of,
    waiting_offers,
)
from loa.playlists.models import Bulletin, BulletinOffer, BulletinOfferState, BulletinSlot
from loa.scheduler.bulletin_order import movable, move_ahead
from loa.scheduler.bulletin_slots import slot_placer
from loa.stations.models import Station
from loa.web import auth
from loa.web.context import db, services

bp = Blueprint("offers", __name__)
ANSWERED_SHOWN = 50  # answered offers listed under the waiting ones
STATES = {
    BulletinOfferState.offered: _l("Chờ xã trả lời"),
    BulletinOfferState.accepted: _l("Xã đã nhận"),
    BulletinOfferState.declined: _l("Xã từ chối"),
    BulletinOfferState.auto_accepted: _l("Tự động nhận (quá hạn trả lời)"),
}


def state_label(state: BulletinOfferState) -> str:
    return str(STATES[state])


def may_answer() -> bool:
    return g.user.role.value in ANSWERERS


@bp.route("/offers")
@auth.login_required()
def offers() -> Any:
    """The offers waiting for the user's own unit, oldest first, then those answered lately."""
    svc = services()
    now, hours = svc.clock.now(), svc.settings.offer_hours
    with db() as s:
        waiting = waiting_offers(s, [g.unit.id], now)
        answered = s.scalars(
            select(BulletinOffer).join(Station, Station.id == BulletinOffer.station_id)
            .where(Station.unit_id == g.unit.id,
                   BulletinOffer.state != BulletinOfferState.offered)
            .options(joinedload(BulletinOffer.bulletin).joinedload(Bulletin.unit),
                     joinedload(BulletinOffer.station))
            .order_by(BulletinOffer.answered_at.desc(), BulletinOffer.id.desc())
            .limit(ANSWERED_SHOWN)
        ).unique().all()
        rows = [(o, offer_due(o.offered_at, hours)) for o in waiting]
        s.expunge_all()  # loaded: the page renders after the session ends
    return render_template("offers.html", waiting=rows, answered=answered,
                           may_answer=may_answer(), state_label=state_label)


def _offer(s: Session, bulletin_id: int, station_id: int) -> BulletinOffer:
    """The offer to a station of the user's subtree (else 404) that the user may answer
    (else 403: only the station's own unit answers)."""
    station = s.get(Station, station_id)
    if station is None or station.unit_id not in g.visible_units:
        abort(404)
    try:
        offer = get_offer(s, bulletin_id, station)
    except LoaError:
        abort(404)
    if not may_answer() or g.user.unit_id != station.unit_id:
        abort(403)
    return offer


def _answer(bulletin_id: int, station_id: int, change: Any) -> Any:
    """Apply one answer in one transaction (rolled back if refused), flash, back to /offers."""
    try:
        with db() as s:
            flash(change(s, _offer(s, bulletin_id, station_id)), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("offers.offers"))


@bp.route("/offers/<id:bulletin_id>/stations/<id:station_id>/accept", methods=["POST"])
@auth.login_required(*ANSWERERS)
def accept(bulletin_id: int, station_id: int) -> Any:
    def change(s: Session, offer: BulletinOffer) -> str:
        svc = services()
        accept_offer(s, offer, by=g.user.username, role=g.user.role.value,
                     user_unit_id=g.user.unit_id, clock=svc.clock,
                     place_slots=slot_placer(svc.settings.airing_gap))
        return gettext("Đã nhận thông báo; đã xếp vào khung giờ phát của đài")

    return _answer(bulletin_id, station_id, change)


@bp.route("/offers/<id:bulletin_id>/stations/<id:station_id>/decline", methods=["POST"])
@auth.login_required(*ANSWERERS)
def decline(bulletin_id: int, station_id: int) -> Any:
    def change(s: Session, offer: BulletinOffer) -> str:
        decline_offer(s, offer, by=g.user.username, role=g.user.role.value,
                      user_unit_id=g.user.unit_id, reason=request.form.get("reason"),
                      clock=services().clock)
        return gettext("Đã từ chối thông báo; đơn vị gửi sẽ thấy lý do")

    return _answer(bulletin_id, station_id, change)


@bp.route("/bulletins/slots/<id:slot_id>/ahead", methods=["POST"])
@auth.login_required(*ANSWERERS)
def ahead(slot_id: int) -> Any:
    """Put a priority play ahead of the priority play before it in its window."""
    with db() as s:
        slot = s.get(BulletinSlot, slot_id)
        station = s.get(Station, slot.station_id) if slot is not None else None
        if slot is None or station is None or station.unit_id not in g.visible_units:
            abort(404)
        if station.unit_id != g.user.unit_id:
            abort(403)  # the commune orders its own window, not a unit above for it
        bulletin_id = slot.bulletin_id
    svc = services()
    try:
        with db() as s:
            passed = move_ahead(s, s.get_one(BulletinSlot, slot_id), svc.clock.now(),
                                svc.settings.airing_gap)
            flash(gettext("Đã cho phát trước «%(title)s»", title=passed.bulletin.title), "info")
    except LoaError as err:
        flash(str(err), "error")
    return redirect(url_for("bulletins.bulletin", bulletin_id=bulletin_id))


def offer_rows(s: Session, bulletin: Bulletin, stations: set[int] | None) -> list[StationOffer]:
    """The bulletin page's offers table: per station offered to (those of ``stations`` only
    unless None)."""
    return offers_of(s, bulletin, services().settings.offer_hours, stations)


def ahead_slots(s: Session, slots: list[BulletinSlot]) -> set[int]:
    """Which of the bulletin page's slots show "Phát trước": those of the user's own unit's
    stations, for a writer, that can move ahead now."""
    if g.user.role.value not in ANSWERERS:
        return set()
    own = set(s.scalars(select(Station.id).where(Station.unit_id == g.user.unit_id)))
    mine = [sl for sl in slots if sl.station_id in own]
    return movable(s, mine, services().clock.now())
