"""The operators' acronym dictionary: how TTS should read abbreviations local to them."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.errors import LoaError
from playlists.models import Acronym

# Letters (with Vietnamese ones), digits and the joiners seen in the plans: TT&TT, VH-TT.
WORD = re.compile(r"[0-9A-Za-zÀ-ỹĐđ][0-9A-Za-zÀ-ỹĐđ&\-.]{0,31}")


def operator_acronyms(session: Session) -> dict[str, str]:
    """Every acronym operators added, word → spoken form."""
    return {a.word: a.spoken for a in session.scalars(select(Acronym).order_by(Acronym.word))}


def set_acronym(session: Session, word: str, spoken: str) -> Acronym:
    """Add an acronym, or change how an existing one is read."""
    word, spoken = word.strip(), " ".join(spoken.split())
    if not WORD.fullmatch(word):
        raise LoaError(
            f"Từ viết tắt không hợp lệ {word!r}: một từ, tối đa 32 ký tự "
            "(one word, at most 32 characters)"
        )
    if not spoken or len(spoken) > 200:
        raise LoaError("Cách đọc cần từ 1 đến 200 ký tự (spoken form needs 1-200 characters)")
    acronym = session.get(Acronym, word) or Acronym(word=word)
    acronym.spoken = spoken
    session.add(acronym)
    session.flush()
    return acronym


def remove_acronym(session: Session, word: str) -> None:
    acronym = session.get(Acronym, word)
    if acronym is None:
        raise LoaError(f"Không có từ viết tắt {word!r} (no such acronym)")
    session.delete(acronym)
    session.flush()
