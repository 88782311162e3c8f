"""Whether a bulletin made from a template may go: every blank filled, no example left.

A storm bulletin once went out with its template's example storm, time and position.
The rule here is pure (template, values, title, text in; the blanks still to fill out);
the form and the CLI ask it before creating a bulletin, and the service refuses a text
that still carries a blank's mark whatever made it (``marks_left``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from loa.errors import LoaError
from loa.playlists.bulletin_templates import TEMPLATES, Blank, BulletinTemplate

# An example shorter than this ("112", "12", "xã") is too common to tell a leftover from
# a value the author wrote elsewhere in the text; its blank's mark still catches it.
MIN_EXAMPLE = 4


class UnfilledBlanks(LoaError):
    """Sending refused: these blanks of the template are still empty or hold their example."""

    def __init__(self, blanks: Iterable[Blank]) -> None:
        self.blanks = tuple(blanks)
        vi = ", ".join(b.label_vi for b in self.blanks)
        en = ", ".join(b.label_en for b in self.blanks)
        super().__init__(f"Chưa điền chỗ trống của mẫu, hoặc còn giá trị ví dụ: {vi} "
                         f"(fill in the template's blanks, in place of any example: {en})")


def fill_marks(template: BulletinTemplate, values: Mapping[str, str], written: str) -> str:
    """``written`` with each blank's mark replaced by the value typed for it, if any.

    The page's script does this as the blanks are typed; the server does it again so a
    page without the script, or a text edited by hand around the marks, is filled too.
    """
    for blank in template.blanks:
        value = values.get(blank.key, "").strip()
        if value:
            written = written.replace(blank.marker, value)
    return written


def unfilled_blanks(template: BulletinTemplate, values: Mapping[str, str], title: str,
                    text: str) -> list[Blank]:
    """The blanks to fill before the bulletin may go, in the template's order.

    Cases:
    - a blank's mark ("[Tên cơn bão]") is still in the title or text: to fill;
    - a blank left empty whose mark is gone (the sentence was rewritten by hand): fine;
    - a blank's example (of at least MIN_EXAMPLE characters) is in the title or text:
      to fill, unless a typed value holds it (the author chose it: "sốt xuất huyết",
      "Tây Bắc") or the template's own wording does;
    - comparisons ignore case, accents' encoding (NFC) and runs of spaces.
    """
    written = _plain(f"{title}\n{text}")
    typed = [_plain(v) for v in values.values() if v.strip()]
    own_words = _plain(template.own_words())
    found = []
    for blank in template.blanks:
        if _plain(blank.marker) in written:
            found.append(blank)
            continue
        example = _plain(blank.example)
        if (len(example) >= MIN_EXAMPLE and _holds(written, example)
                and not _holds(own_words, example) and not any(_holds(v, example) for v in typed)):
            found.append(blank)
    return found


def check_blanks(template: BulletinTemplate, values: Mapping[str, str], title: str,
                 text: str) -> None:
    """Raise UnfilledBlanks naming every blank still to fill; nothing if it may go."""
    blanks = unfilled_blanks(template, values, title, text)
    if blanks:
        raise UnfilledBlanks(blanks)


def marks_left(title: str, text: str | None) -> list[Blank]:
    """The blanks of any template whose mark is still in ``title`` or ``text``."""
    written = f"{title}\n{text or ''}"
    seen: dict[str, Blank] = {}
    for template in TEMPLATES.values():
        for blank in template.blanks:
            if blank.marker in written:
                seen.setdefault(blank.marker, blank)
    return list(seen.values())


def check_marks(title: str | None, text: str | None) -> None:
    """Raise UnfilledBlanks if any template's blank mark is left in ``title`` or ``text``."""
    blanks = marks_left(title or "", text)
    if blanks:
        raise UnfilledBlanks(blanks)


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


def _holds(text: str, phrase: str) -> bool:
    """Whether ``phrase`` is in ``text`` as whole words (7h30 is not in 17h30)."""
    return re.search(rf"(?<![\w.,/]){re.escape(phrase)}(?![\w/]|[.,]\d)", text) is not None
