"""Offers from above (TT39) and the order of a window's priority heads: the pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from loa.errors import LoaError
from loa.playlists.bulletin_offers import (
    answer_refused,
    auto_accept_due,
    decline_reason,
    is_offer,
    offer_due,
)
from loa.playlists.models import BulletinOfferState, BulletinPriority
from loa.scheduler.bulletin_order import ahead_refused, swapped

PROVINCE, COMMUNE, OTHER = 1, 2, 3
SENT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
S = timedelta(seconds=1)


@pytest.mark.parametrize(("priority", "owner", "station_unit", "offered"), [
    (BulletinPriority.normal, PROVINCE, COMMUNE, True),  # from above: the commune decides
    (BulletinPriority.normal, COMMUNE, COMMUNE, False),  # a commune to its own station
    (BulletinPriority.normal, PROVINCE, PROVINCE, False),  # a province's own station
    (BulletinPriority.priority, PROVINCE, COMMUNE, False),  # takes the head of the window
    (BulletinPriority.emergency, PROVINCE, COMMUNE, False),  # plays at once
    (BulletinPriority.priority, COMMUNE, COMMUNE, False),
])
def test_which_bulletins_reach_a_station_as_an_offer(
    priority: BulletinPriority, owner: int, station_unit: int, offered: bool
) -> None:
    assert is_offer(priority, owner, station_unit) is offered


WAITING = BulletinOfferState.offered


@pytest.mark.parametrize(("state", "live", "user_unit", "role", "words"), [
    (WAITING, True, COMMUNE, "operator", None),
    (WAITING, True, COMMUNE, "leader", None),
    (WAITING, True, COMMUNE, "admin", None),
    (WAITING, True, None, None, None),  # a script acts for the server
    (WAITING, True, COMMUNE, "auditor", "this role may not answer"),
    (WAITING, True, OTHER, "operator", "only the station's own commune"),
    (WAITING, True, PROVINCE, "leader", "only the station's own commune"),  # the sender's side
    (WAITING, True, PROVINCE, "admin", "only the station's own commune"),
    (BulletinOfferState.accepted, True, COMMUNE, "leader", "already answered"),
    (BulletinOfferState.declined, True, COMMUNE, "leader", "already answered"),
    (BulletinOfferState.auto_accepted, True, None, None, "already answered"),
    (WAITING, False, COMMUNE, "leader", "no longer active"),
])
def test_who_answers_an_offer_and_when(
    state: BulletinOfferState, live: bool, user_unit: int | None, role: str | None,
    words: str | None,
) -> None:
    refused = answer_refused(state, bulletin_live=live, station_unit_id=COMMUNE,
                             user_unit_id=user_unit, role=role)
    if words is None:
        assert refused is None
    else:
        assert refused is not None and words in refused
        assert "(" in refused and refused.split("(")[0].strip()  # Vietnamese (English)


@pytest.mark.parametrize(("state", "live", "after", "hours", "due"), [
    (WAITING, True, timedelta(hours=2), 2, True),  # at the due instant itself
    (WAITING, True, timedelta(hours=2) - S, 2, False),
    (WAITING, True, timedelta(hours=5), 2, True),
    (WAITING, True, timedelta(hours=1), 1, True),  # LOA_OFFER_HOURS=1
    (WAITING, True, timedelta(hours=3), 4, False),
    (WAITING, False, timedelta(hours=3), 2, False),  # cancelled or ended: nothing to air
    (BulletinOfferState.declined, True, timedelta(hours=3), 2, False),  # a "no" stays a no
    (BulletinOfferState.accepted, True, timedelta(hours=3), 2, False),
])
def test_an_offer_not_answered_in_time_is_accepted_by_the_clock(
    state: BulletinOfferState, live: bool, after: timedelta, hours: int, due: bool
) -> None:
    assert auto_accept_due(state, SENT, live, SENT + after, hours) is due
    assert offer_due(SENT, hours) == SENT + timedelta(hours=hours)


@pytest.mark.parametrize(("given", "kept"), [
    ("Xã đang có lễ hội, loa dành cho chương trình riêng",
     "Xã đang có lễ hội, loa dành cho chương trình riêng"),
    ("  đã  phát\nthông báo tương tự  ", "đã phát thông báo tương tự"),
    ("x" * 500, "x" * 500),
])
def test_a_decline_keeps_its_reason_on_one_line(given: str, kept: str) -> None:
    assert decline_reason(given) == kept


@pytest.mark.parametrize(("given", "words"), [
    (None, "a reason is needed"), ("", "a reason is needed"), (" \n\t", "a reason is needed"),
    ("x" * 501, "at most 500"),
])
def test_a_decline_without_a_usable_reason_is_refused(given: str | None, words: str) -> None:
    with pytest.raises(LoaError, match=words):
        decline_reason(given)


T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 17:00 in Vietnam: a window opens
GAP = timedelta(seconds=30)


@pytest.mark.parametrize(("earlier_s", "later_s", "between"), [
    (60, 60, GAP),  # equal lengths, back to back
    (90, 40, GAP),  # the short one goes first
    (40, 90, GAP),  # the long one goes first
    (60, 60, timedelta(minutes=3)),  # room between them: the pair closes up
])
def test_moving_a_play_ahead_swaps_the_pair_and_never_ends_later(
    earlier_s: int, later_s: int, between: timedelta
) -> None:
    earlier = (T0, T0 + earlier_s * S)
    later_start = earlier[1] + between
    later = (later_start, later_start + later_s * S)
    first, second = swapped(earlier, later, GAP)
    assert first == (T0, T0 + later_s * S)  # the moved one opens where the other opened
    assert second[0] == first[1] + GAP and second[1] - second[0] == earlier_s * S
    assert second[1] <= later[1]  # what follows in the window keeps its place


NOW = T0 - timedelta(hours=3)


@pytest.mark.parametrize(("priority", "open_", "before", "words"), [
    (True, True, T0, None),
    (True, True, NOW + timedelta(minutes=1), None),  # just time for the players to refetch
    (False, True, T0, "only priority bulletins"),
    (True, False, T0, "no longer to air"),
    (True, True, None, "already first"),
    (True, True, NOW + timedelta(seconds=59), "about to air"),
    (True, True, NOW - timedelta(minutes=1), "about to air"),  # under way
])
def test_when_a_priority_play_may_move_ahead(
    priority: bool, open_: bool, before: datetime | None, words: str | None
) -> None:
    refused = ahead_refused(priority, open_, before, NOW)
    assert (refused is None) if words is None else (refused is not None and words in refused)
