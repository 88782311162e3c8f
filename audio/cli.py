"""The ``loa tts`` command group: try the normaliser and the engines from a shell."""

from __future__ import annotations

from pathlib import Path

import click

from loa.audio.errors import AudioError
from loa.audio.normalize import normalize_vi
from loa.audio.tts import engine_names, get_engine

tts = click.Group("tts", help="Đọc văn bản tiếng Việt (TTS): chuẩn hóa và thử giọng đọc.")

# The host program may put a callable giving a unit's acronyms (its code, or None for the
# global ones) in ``ctx.meta`` under this key; audio/ itself keeps no database.
ACRONYM_SOURCE = "audio.acronyms"
UNIT_OPTION = click.option(
    "--unit", "unit_code", help="Đọc như chương trình của đơn vị này (its acronyms apply)"
)


def _spoken(text: str, unit_code: str | None) -> str:
    source = click.get_current_context().meta.get(ACRONYM_SOURCE)
    return normalize_vi(text, source(unit_code) if source else None)


@tts.command("normalize")
@click.argument("text")
@UNIT_OPTION
def normalize_command(text: str, unit_code: str | None) -> None:
    """In ra dạng đọc của TEXT (số, ngày, từ viết tắt đã được viết thành chữ)."""
    click.echo(_spoken(text, unit_code))


@tts.command("say")
@click.argument("text")
@click.option("--engine", default="espeak-ng", type=click.Choice(engine_names()))
@click.option("--voice", default="vi", help="vi, vi-vn-x-central, vi-vn-x-south, ...")
@click.option("--rate", type=int, default=None, help="Tốc độ đọc (từ/phút).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@UNIT_OPTION
def say_command(
    text: str, engine: str, voice: str, rate: int | None, out: Path, unit_code: str | None
) -> None:
    """Đọc TEXT (đã chuẩn hóa) ra tệp WAV để nghe thử."""
    try:
        get_engine(engine).synthesize(_spoken(text, unit_code), voice, out, rate=rate)
    except AudioError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(out))
