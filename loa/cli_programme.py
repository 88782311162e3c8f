"""Commands for the month's work: programmes, planning, and the audit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from audio.cache import prune_cache
from compliance.audit import station_month_report, verify_audio, verify_chains
from compliance.export import to_csv, to_xlsx
from compliance.pdf import report_title, to_pdf
from compliance.periods import period_months
from loa.cli_context import ROW_ID, LoaContext, UserError, pass_loa
from loa.db import transaction
from playlists.campaigns import check_month
from playlists.programmes import approve, import_programme
from playlists.rendering import render, render_cache
from scheduler.service import plan as plan_airings
from stations.units import get_unit


@click.group()
def programme() -> None:
    """Chương trình phát thanh hằng tháng (monthly programmes)."""


@programme.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_loa
def programme_import(loa: LoaContext, file: Path) -> None:
    """Create a programme from a TOML file; prints its id."""
    with transaction(loa.services.sessions) as session:
        imported = import_programme(session, loa.services.store, file)
        click.echo(imported.id)


@programme.command("render")
@click.argument("programme_id", type=ROW_ID)
@pass_loa
def programme_render(loa: LoaContext, programme_id: int) -> None:
    """Render the programme into one loudness-normalised MP3."""
    services = loa.services
    with (
        transaction(services.sessions) as session,
        click.progressbar(length=1, label="Đang dựng (rendering)", file=sys.stderr) as bar,
    ):

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        outcome = render(
            session, services.store, services.settings, programme_id, services.clock.now(), progress
        )
    rendered = outcome.programme
    click.echo(f"sha256: {rendered.master_sha256}")
    click.echo(f"duration_s: {(rendered.duration_ms or 0) / 1000:.1f}")
    for segment in rendered.segments:
        if segment.render_note:
            click.echo(f"Đoạn {segment.position}: {segment.render_note}", err=True)
    if outcome.problem:
        click.echo(f"Cảnh báo: chương trình {outcome.problem}; chưa thể duyệt", err=True)


@programme.command("approve")
@click.argument("programme_id", type=ROW_ID)
@pass_loa
def programme_approve(loa: LoaContext, programme_id: int) -> None:
    """Approve a rendered programme whose length is within its campaign's bounds."""
    with transaction(loa.services.sessions) as session:
        approved = approve(session, programme_id, loa.services.clock.now())
        click.echo(f"Đã duyệt chương trình {approved.id}: {approved.title}")


@click.command("plan")
@click.option("--month", required=True, help="YYYY-MM")
@pass_loa
def plan_command(loa: LoaContext, month: str) -> None:
    """Plan the required airings of every campaign on every station for a month."""
    services = loa.services
    with transaction(services.sessions) as session:
        report = plan_airings(session, check_month(month), services.clock.now(), services.publisher)
    for row in report.rows:
        line = f"{row.station}\t{row.campaign}\t+{row.planned}\t{row.total} lượt"
        click.echo(line + (f"\t{row.warning}" if row.warning else ""))


@click.group()
def audit() -> None:
    """Kiểm tra, báo cáo (audit and reports)."""


@audit.command("report")
@click.option("--unit", "unit_code", required=True)
@click.option("--month", help="YYYY-MM")
@click.option("--period", help="YYYY-MM, YYYY-H1 (6 tháng), YYYY-H2 hoặc YYYY (cả năm)")
@click.option("--campaign", "campaign_code")
@click.option("--format", "fmt", default="json", type=click.Choice(["json", "csv", "xlsx", "pdf"]))
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (needed for xlsx and pdf)",
)
@pass_loa
def audit_report(
    loa: LoaContext,
    unit_code: str,
    month: str | None,
    period: str | None,
    campaign_code: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """One row per station-month: required, counted, programme, status and chain head."""
    if bool(month) == bool(period):
        raise UserError("cần đúng một trong --month hoặc --period (give --month or --period)")
    if fmt in ("xlsx", "pdf") and output is None:
        raise UserError(f"định dạng {fmt} cần --output FILE ({fmt} needs --output)")
    months = [check_month(month)] if month else period_months(period or "")
    with transaction(loa.services.sessions) as session:
        unit = get_unit(session, unit_code)
        rows = [r for m in months for r in station_month_report(session, unit, m, campaign_code)]
        title = f"Báo cáo phát thanh {unit.name}, kỳ {period or month}"
        unit_name = unit.name
        heading = report_title(session, rows) if fmt == "pdf" else ""
    if output is not None and fmt in ("xlsx", "pdf"):
        output.write_bytes(
            to_xlsx(rows, title)
            if fmt == "xlsx"
            else to_pdf(rows, heading, unit_name, period or month or "", loa.services.clock.now())
        )
        click.echo(f"Đã ghi {output} ({len(rows)} dòng)")
        return
    text = (
        json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2)
        if fmt == "json"
        else to_csv(rows)
    )
    if output is None:
        click.echo(text, nl=fmt == "json")
    else:
        output.write_text(text, encoding="utf-8")


@audit.command("verify")
@pass_loa
def audit_verify(loa: LoaContext) -> None:
    """Recompute hash chains, signatures and programme audio hashes."""
    with transaction(loa.services.sessions) as session:
        checked, breaks = verify_chains(session)
        bad_audio = verify_audio(session, loa.services.store)
    for b in breaks:
        click.echo(
            f"Nhật ký đài {b.station}, mục seq={b.seq} (id {b.entry_id}): {b.reason}",
            err=True,
        )
    for sha in bad_audio:
        click.echo(
            f"Tệp âm thanh {sha} bị thiếu hoặc sai mã băm (audio missing or altered)", err=True
        )
    if breaks or bad_audio:
        sys.exit(1)
    click.echo(f"OK: {checked} mục nhật ký, chuỗi nguyên vẹn (chains intact)")


def register(cli: click.Group) -> None:
    for command in (programme, plan_command, audit):
        cli.add_command(command)


@click.command("prune-cache")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Xóa tệp không dùng trong ngần này ngày (default: LOA_TTS_CACHE_DAYS, 90)",
)
@pass_loa
def prune_cache_command(loa: LoaContext, days: int | None) -> None:
    """Free the render cache of speech and sounds no render used lately."""
    settings = loa.services.settings
    pruned = prune_cache(render_cache(settings), days or settings.tts_cache_days)
    click.echo(f"Đã xóa {pruned.files} tệp, {pruned.bytes / 1e6:.1f} MB (pruned)")
