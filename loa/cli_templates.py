"""Bulletins from templates on the command line: `loa bulletin templates` lists them,
`loa bulletin send --template NAME --field KEY=VALUE …` fills one.

The same rule as the form (``playlists.template_check``): the bulletin is refused while a
blank is left or an example stays, naming the blanks in "Vietnamese (English)".
"""

from __future__ import annotations

from dataclasses import dataclass

import click

from loa.errors import LoaError
from loa.playlists.bulletin_templates import TEMPLATES, UNIT_BLANK, BulletinTemplate
from loa.playlists.template_check import check_blanks, fill_marks


@dataclass(frozen=True)
class Drafted:
    """A template's bulletin as the command will send it, and the template's suggestions."""

    title: str
    text: str | None  # None: a recording is sent
    priority: str
    repeat_count: int
    every_min: int
    valid_hours: int


def find_template(name: str) -> BulletinTemplate:
    """The template called ``name``; a LoaError listing the names otherwise."""
    template = TEMPLATES.get(name)
    if template is None:
        raise LoaError(f"Không có mẫu {name!r}; các mẫu: {', '.join(TEMPLATES)} "
                       f"(no such template; see `loa bulletin templates`)")
    return template


def parse_fields(template: BulletinTemplate, pairs: tuple[str, ...]) -> dict[str, str]:
    """``--field KEY=VALUE`` options as the blanks' values; a key the template lacks is refused."""
    values: dict[str, str] = {}
    known = [b.key for b in template.blanks]
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise LoaError(f"--field {pair!r} phải có dạng KHÓA=GIÁ_TRỊ (must be KEY=VALUE)")
        if key not in known:
            raise LoaError(f"Mẫu {template.key} không có chỗ trống {key!r}; có: "
                           f"{', '.join(known)} (no such blank in this template)")
        values[key] = value.strip()
    return values


def drafted_bulletin(name: str, pairs: tuple[str, ...], unit_name: str, *,
                     title: str | None, text: str | None, recording: bool) -> Drafted:
    """The bulletin ``--template``/``--field`` make for the unit called ``unit_name``.

    Cases: ``--title``/``--text`` given replace the template's, their marks filled from the
    fields; a recording keeps only the title (checked alone); the unit's blank defaults to
    the unit's name; UnfilledBlanks names every blank left or holding its example.
    """
    from loa.web.bulletin_form import unit_phrase  # the page's wording of a unit in a sentence

    template = find_template(name)
    values = {UNIT_BLANK: unit_phrase(unit_name)} | parse_fields(template, pairs)
    draft_title, draft_text = template.draft(values)
    title = fill_marks(template, values, title) if title else draft_title
    spoken = None if recording else (fill_marks(template, values, text) if text else draft_text)
    check_blanks(template, values, title, spoken or "")
    return Drafted(title, spoken, template.priority, template.repeat_count,
                   template.repeat_every_min, template.valid_hours)


@click.command("templates")
@click.argument("name", required=False)
def templates(name: str | None) -> None:
    """Bulletin templates and their blanks (--field KEY=VALUE): key, label, example."""
    chosen = [find_template(name)] if name else list(TEMPLATES.values())
    for template in chosen:
        click.echo(f"{template.key}\t{template.name_vi} ({template.name_en})\t{template.priority}"
                   f"\t{template.title}")
        for blank in template.blanks:
            hint = (" — mặc định: tên đơn vị (default: the unit's name)"
                    if blank.key == UNIT_BLANK else "")
            click.echo(f"  {blank.key}\t{blank.label_vi} ({blank.label_en})\t"
                       f"ví dụ (example): {blank.example}{hint}")
