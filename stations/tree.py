"""The whole admin-unit tree in one query, for set-based planning and reports.

Walking ``unit.parent`` lazily costs one query per unit; the country has some
3,400 units, so a planner or a report that covers it reads the tree once and
answers "which units are above this one" from memory.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.stations.models import AdminUnit


class UnitTree:
    """Every unit's parent, read once; chains are worked out on demand and kept."""

    def __init__(self, parents: dict[int, int | None]) -> None:
        self._parents = parents
        self._chains: dict[int, list[int]] = {}

    @classmethod
    def load(cls, session: Session) -> UnitTree:
        rows = session.connection().execute(select(AdminUnit.id, AdminUnit.parent_id))
        return cls(dict(rows.all()))  # one fetch, not a driver call per row

    def chain(self, unit_id: int) -> list[int]:
        """The unit's id, then its parent's, up to the root (as ``units.ancestors``)."""
        found = self._chains.get(unit_id)
        if found is None:
            parent = self._parents.get(unit_id)
            found = [unit_id, *(self.chain(parent) if parent is not None else [])]
            self._chains[unit_id] = found
        return found

    def is_under(self, unit_id: int, root_id: int) -> bool:
        """Whether ``unit_id`` is ``root_id`` or below it."""
        return root_id in self.chain(unit_id)
