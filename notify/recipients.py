"""Who hears of an event: users by role over a unit (its own and those above it), or by name."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.stations.accounts import Role, User, UserState
from loa.stations.models import AdminUnit
from loa.stations.units import ancestors


def users_over(session: Session, unit: AdminUnit, roles: Iterable[Role]) -> list[User]:
    """Active users with one of ``roles`` whose subtree holds ``unit`` (its own and above).

    Cases: a leader of the commune and one of its province both hear of the commune's
    programme; a leader of a sibling commune does not (outside their subtree).
    """
    above = [u.id for u in ancestors(unit)]
    return list(session.scalars(
        select(User).where(User.unit_id.in_(above), User.role.in_(list(roles)),
                           User.state == UserState.active).order_by(User.id)
    ))


def users_nearest(session: Session, unit: AdminUnit, roles: Iterable[Role]) -> list[User]:
    """For each of ``roles``, the active users of the nearest unit up from ``unit`` (itself
    first) that has any: who answers for it, not everyone above.

    Cases: a commune with its own leader → that leader, not the province's; a commune
    with no admin → the province's admins; a sibling commune's users → never.
    """
    chain = [u.id for u in ancestors(unit)]
    found: list[User] = []
    for role in roles:
        candidates = users_over(session, unit, [role])
        nearest = min((chain.index(u.unit_id) for u in candidates), default=None)
        found += [u for u in candidates if chain.index(u.unit_id) == nearest]
    return found


def users_of(session: Session, unit: AdminUnit, roles: Iterable[Role]) -> list[User]:
    """Active users with one of ``roles`` of exactly ``unit`` (the leaders *of the unit*)."""
    return list(session.scalars(
        select(User).where(User.unit_id == unit.id, User.role.in_(list(roles)),
                           User.state == UserState.active).order_by(User.id)
    ))


def users_named(session: Session, names: Iterable[str | None]) -> list[User]:
    """The active users of these usernames (records name people as text; None is nobody)."""
    wanted = {n for n in names if n}
    if not wanted:
        return []
    return list(session.scalars(
        select(User).where(User.username.in_(wanted), User.state == UserState.active)
        .order_by(User.id)
    ))
