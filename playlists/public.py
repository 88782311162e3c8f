"""What residents of a unit can listen to again: the programmes its stations have aired."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.playlists.models import Airing, AiringStatus, Programme, ProgrammeStatus
from loa.stations.models import AdminUnit, Station
from loa.stations.units import subtree_ids


def public_programmes(session: Session, unit: AdminUnit) -> list[Programme]:
    """The approved programmes a station in ``unit``'s subtree has aired, newest month first.

    A programme residents could not have heard yet (approved, planned, not aired)
    is not offered to "listen again"; nor are drafts, programmes without audio, or
    those aired only outside the unit (a sibling's stations).
    """
    aired_here = (
        select(Airing.id)
        .join(Station, Station.id == Airing.station_id)
        .where(
            Airing.programme_id == Programme.id,
            Airing.status == AiringStatus.aired,
            Station.unit_id.in_(subtree_ids(session, unit)),
        )
        .exists()
    )
    return list(
        session.scalars(
            select(Programme)
            .where(
                Programme.status == ProgrammeStatus.approved,
                Programme.master_sha256.is_not(None),
                aired_here,
            )
            .order_by(Programme.month.desc(), Programme.campaign_id.desc(), Programme.id.desc())
        )
    )
