"""The units' acronym dictionaries: how TTS reads abbreviations local to them.

A unit's entries apply to the renders of its own subtree: a programme is read
with the entries of its owner unit and of every unit above it, the nearest
winning, over the global entries (no unit) and the normaliser's built-in words.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.playlists.models import Acronym
from loa.stations.models import AdminUnit
from loa.stations.units import ancestors

# Letters (with Vietnamese ones), digits and the joiners seen in the plans: TT&TT, VH-TT.
WORD = re.compile(r"[0-9A-Za-zÀ-ỹĐđ][0-9A-Za-zÀ-ỹĐđ&\-.]{0,31}")


def unit_acronyms(session: Session, unit: AdminUnit | None) -> dict[str, str]:
    """The entries a unit itself added (``None``: the global ones), word → spoken form."""
    owner = Acronym.unit_id.is_(None) if unit is None else Acronym.unit_id == unit.id
    return {a.word: a.spoken
            for a in session.scalars(select(Acronym).where(owner).order_by(Acronym.word))}


def operator_acronyms(session: Session, unit: AdminUnit | None = None) -> dict[str, str]:
    """What renders for ``unit`` read: global entries, then each unit down to ``unit``.

    Cases: without a unit, only the global entries; commune B's reading of a
    word never reaches commune A or the province above them; a commune's own
    reading overrides its district's, which overrides the global one.
    """
    words = unit_acronyms(session, None)
    for node in reversed(ancestors(unit) if unit is not None else []):
        words.update(unit_acronyms(session, node))
    return words


def inherited_acronyms(session: Session, unit: AdminUnit) -> dict[str, str]:
    """The entries ``unit`` reads from above it (global and its ancestors'), nearest winning."""
    return operator_acronyms(session, unit.parent)


def _find(session: Session, unit: AdminUnit | None, word: str) -> Acronym | None:
    owner = Acronym.unit_id.is_(None) if unit is None else Acronym.unit_id == unit.id
    return session.scalar(select(Acronym).where(owner, Acronym.word == word))


def set_acronym(session: Session, word: str, spoken: str, unit: AdminUnit | None = None) -> Acronym:
    """Add ``unit``'s reading of an acronym (global without a unit), or change it."""
    word, spoken = word.strip(), " ".join(spoken.split())
    if not WORD.fullmatch(word):
        raise LoaError(
            f"Từ viết tắt không hợp lệ {word!r}: một từ, tối đa 32 ký tự "
            "(one word, at most 32 characters)"
        )
    if not spoken or len(spoken) > 200:
        raise LoaError("Cách đọc cần từ 1 đến 200 ký tự (spoken form needs 1-200 characters)")
    acronym = _find(session, unit, word) or Acronym(word=word, unit_id=unit.id if unit else None)
    acronym.spoken = spoken
    session.add(acronym)
    session.flush()
    return acronym


def remove_acronym(session: Session, word: str, unit: AdminUnit | None = None) -> None:
    """Forget ``unit``'s own reading of ``word``; what it inherits applies again."""
    acronym = _find(session, unit, word.strip())
    if acronym is None:
        raise LoaError(f"Không có từ viết tắt {word!r} của đơn vị này (no such acronym here)")
    session.delete(acronym)
    session.flush()
