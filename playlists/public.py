"""What residents of a unit can listen to again: the approved programmes its stations air."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.playlists.models import Programme, ProgrammeStatus
from loa.playlists.programmes import Candidate, nearest_programme
from loa.stations.models import AdminUnit
from loa.stations.units import ancestors


def public_programmes(session: Session, unit: AdminUnit) -> list[Programme]:
    """The approved programmes a station of ``unit`` airs, newest month first.

    Cases: the unit's own programmes and those relayed from its district and
    province, one per campaign and month as planning picks it (its own wins
    over a relayed one, which is then not aired here); drafts, rendered but
    unapproved ones, those without audio, and those of other units (a sibling,
    a unit below) never show.
    """
    chain = [u.id for u in ancestors(unit)]
    found = session.scalars(
        select(Programme).where(
            Programme.unit_id.in_(chain),
            Programme.status == ProgrammeStatus.approved,
            Programme.master_sha256.is_not(None),
        )
    ).all()
    by_slot: dict[tuple[int, str], list[Programme]] = {}
    for p in found:
        by_slot.setdefault((p.campaign_id, p.month), []).append(p)
    chosen = {
        nearest_programme(chain, [Candidate(p.unit_id, p.id) for p in group])
        for group in by_slot.values()
    }
    kept = [p for p in found if p.id in chosen]
    return sorted(kept, key=lambda p: (p.month, p.campaign_id, p.id), reverse=True)
