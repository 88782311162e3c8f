"""Commands for the month's work: programmes, planning, and the audit.

Each command imports what only it uses: `loa audit report` (a country's JSON) loads
neither the planner nor the render cache, nor the PDF and spreadsheet libraries.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from loa.cli_context import ROW_ID, LoaContext, UserError, pass_loa
from loa.compliance.audit import Reading, station_month_report
from loa.compliance.periods import period_months, range_period
from loa.db import transaction
from loa.playlists.campaigns import check_month
from loa.stations.units import get_unit, subtree_ids

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from loa.scheduler.service import PlanReport


@click.group()
def programme() -> None:
    """Chương trình phát thanh hằng tháng (monthly programmes)."""


@programme.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_loa
def programme_import(loa: LoaContext, file: Path) -> None:
    """Create a programme from a TOML file; prints its id."""
    from loa.playlists.programmes import import_programme

    with transaction(loa.services.sessions) as session:
        imported = import_programme(session, loa.services.store, file)
        click.echo(imported.id)


@programme.command("render")
@click.argument("programme_id", type=ROW_ID)
@pass_loa
def programme_render(loa: LoaContext, programme_id: int) -> None:
    """Render the programme into one loudness-normalised MP3."""
    from loa.compliance.close import check_programme_open
    from loa.playlists.rendering import (
        render,  # the audio stack loads only for the commands using it
    )

    services = loa.services
    with (
        transaction(services.sessions) as session,
        click.progressbar(length=1, label="Đang dựng (rendering)", file=sys.stderr) as bar,
    ):
        check_programme_open(session, programme_id, "dựng chương trình (render)")

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
@click.option(
    "--by",
    "approver",
    help="Tên đăng nhập của lãnh đạo duyệt (the approving leader's username), lưu vào hồ sơ",
)
@pass_loa
def programme_approve(loa: LoaContext, programme_id: int, approver: str | None) -> None:
    """Approve a rendered programme within its campaign's bounds, and plan its month."""
    from loa.compliance.close import check_programme_open
    from loa.notify import events
    from loa.playlists.review import sign_approval
    from loa.scheduler.service import approve_and_plan

    services = loa.services
    with transaction(services.sessions) as session:
        check_programme_open(session, programme_id, "duyệt chương trình (approve)")
        if approver is not None:
            approver = _approver(session, approver)
        sign_approval(session, programme_id, approver)
        approved, report = approve_and_plan(
            session, programme_id, services.clock.now(), services.settings.airing_gap
        )
        events.programme_approved(session, approved, services.clock.now())  # its author hears
        by = f" (người duyệt: {approver})" if approver else ""
        click.echo(f"Đã duyệt chương trình {approved.id}: {approved.title}{by}")
    _echo_plan(report, changed_only=True)


def _approver(session: Session, username: str) -> str:
    """The named user, if a leader or admin may approve under that name."""
    from sqlalchemy import select

    from loa.errors import LoaError
    from loa.stations.accounts import Role, User

    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise LoaError(f"Không có người dùng {username!r} (unknown user)")
    if user.role not in (Role.leader, Role.admin):
        raise LoaError(
            f"Người dùng {user.username} không phải lãnh đạo, không được duyệt (not a leader)"
        )
    return user.username


@click.command("plan")
@click.option("--month", required=True, help="YYYY-MM")
@pass_loa
def plan_command(loa: LoaContext, month: str) -> None:
    """Plan the required airings of every campaign on every station for a month."""
    from loa.scheduler.service import plan as plan_airings

    services = loa.services
    with transaction(services.sessions) as session:
        report = plan_airings(
            session, check_month(month), services.clock.now(), services.settings.airing_gap
        )
    _echo_plan(report)


def _echo_plan(report: PlanReport, changed_only: bool = False) -> None:
    """One line per station and campaign: airings added, cancelled, held, and any warning."""
    for row in report.rows:
        if changed_only and not (row.planned or row.cancelled):
            continue
        line = f"{row.station}\t{row.campaign}\t+{row.planned}\t{row.total} lượt"
        if row.cancelled:
            line += f"\t-{row.cancelled} lượt bị thay (replaced)"
        click.echo(line + (f"\t{row.warning}" if row.warning else ""))


@click.group()
def audit() -> None:
    """Kiểm tra, báo cáo (audit and reports)."""


@audit.command("report")
@click.option("--unit", "unit_code", required=True)
@click.option("--month", help="YYYY-MM")
@click.option("--period", help="YYYY-MM, YYYY-H1 (6 tháng), YYYY-H2 hoặc YYYY (cả năm)")
@click.option("--from", "first", help="YYYY-MM: tháng đầu của kỳ (first month, with --to)")
@click.option("--to", "last", help="YYYY-MM: tháng cuối của kỳ (last month, with --from)")
@click.option("--campaign", "campaign_code")
@click.option("--number", default="", help="Số văn bản của báo cáo PDF (the PDF's document number)")
@click.option("--recommendations", default="",
              help="Kiến nghị in trong báo cáo PDF (the PDF's recommendations)")
@click.option("--by", "by", default=None,
              help="Người lập báo cáo PDF, lưu cùng bản đã gửi (who made the PDF)")
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
    first: str | None,
    last: str | None,
    campaign_code: str | None,
    number: str,
    recommendations: str,
    by: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """One row per station-month: required, counted, programme, status and chain head.

    A PDF is kept, with its number and recommendations, as the copy sent up
    (`loa audit exports`)."""
    from loa.compliance.export import to_csv

    if [bool(month), bool(period), bool(first or last)].count(True) != 1:
        raise UserError(
            "cần đúng một trong --month, --period hoặc --from/--to "
            "(give --month, --period or --from/--to)"
        )
    if fmt in ("xlsx", "pdf") and output is None:
        raise UserError(f"định dạng {fmt} cần --output FILE ({fmt} needs --output)")
    if first or last:
        period = range_period(first, last)
    months = [check_month(month)] if month else period_months(period or "")
    reading = Reading.of(loa.services.settings, loa.services.clock.now())
    with transaction(loa.services.sessions) as session:
        unit = get_unit(session, unit_code)
        rows = [
            row
            for m in months
            for row in station_month_report(session, unit, m, reading, campaign_code)
        ]
        # The spreadsheet and PDF libraries load only for the formats that need them.
        if fmt == "xlsx":
            from loa.compliance.export import to_xlsx
            from loa.compliance.relay_audit import period_verdicts
            from loa.compliance.totals import report_totals

            title = f"Báo cáo phát thanh {unit.name}, kỳ {period or month}"
            relays = period_verdicts(session, unit, months, loa.services.clock.now(),
                                     loa.services.settings.relay_min_share)
            content = to_xlsx(rows, title, report_totals(session, unit, rows), relays)
        elif fmt == "pdf":
            from loa.compliance.report_exports import export_pdf

            content = export_pdf(session, unit, rows, period or month or "", reading, number,
                                 recommendations, by).content
    if output is not None and fmt in ("xlsx", "pdf"):
        output.write_bytes(content)
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


@audit.command("exports")
@click.option("--unit", "unit_code", required=True)
@click.option("--id", "export_id", type=int, help="Một bản đã lập: ghi ra --output (one copy)")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
@pass_loa
def audit_exports(
    loa: LoaContext, unit_code: str, export_id: int | None, output: Path | None
) -> None:
    """The reports a unit (and those below) sent up, newest first; or one copy, as it was sent."""
    from loa.clock import VN
    from loa.compliance.report_exports import unit_exports

    with transaction(loa.services.sessions) as session:
        unit = get_unit(session, unit_code)
        exports = unit_exports(session, subtree_ids(session, unit))
        if export_id is None:
            for e in exports:
                click.echo(f"{e.id}\t{e.period}\tsố {e.number or '……'}\t{e.created_by or '—'}\t"
                           f"{e.created_at.astimezone(VN):%H:%M %d/%m/%Y}\t{e.sha256}")
            return
        found = next((e for e in exports if e.id == export_id), None)
        if found is None:
            raise UserError(f"không có bản báo cáo {export_id} của {unit_code} "
                            "(no such report of this unit)")
        if output is None:
            raise UserError("cần --output FILE (--id needs --output)")
        output.write_bytes(found.content)
    click.echo(f"Đã ghi {output} (sha256 {found.sha256})")


@audit.command("close")
@click.option("--month", required=True, help="YYYY-MM")
@pass_loa
def audit_close(loa: LoaContext, month: str) -> None:
    """Close a month: freeze every station-month's verdict (again: changes nothing)."""
    from loa.clock import VN
    from loa.compliance.close import close_month

    services = loa.services
    reading = Reading.of(services.settings, services.clock.now())
    with transaction(services.sessions) as session:
        closing = close_month(session, check_month(month), reading)
    when = f"{closing.closed_at.astimezone(VN):%H:%M %d/%m/%Y}"
    if closing.already:
        click.echo(f"Tháng {closing.month} đã khóa sổ lúc {when} (already closed)")
    else:
        click.echo(
            f"Đã khóa sổ tháng {closing.month} lúc {when}: "
            f"{closing.station_months} đài-tháng (closed)"
        )


@audit.command("verify")
@pass_loa
def audit_verify(loa: LoaContext) -> None:
    """Check every log entry against its signature and chain, key rows and anchors, and audio."""
    from loa.audio.store import unreadable_by_group
    from loa.compliance.verify import verify_audio, verify_chains

    settings = loa.services.settings
    # Every file, not a sample: a file the service (or nginx's group) cannot read fails a
    # player as surely as a missing one, and is not what a hash check run by root sees.
    unreadable = unreadable_by_group(settings.audio_dir, group=bool(settings.accel_redirect),
                                     shards=1 << 16)
    with transaction(loa.services.sessions) as session:
        result = verify_chains(session)
        bad_audio = verify_audio(session, loa.services.store)
    for path in unreadable:
        click.echo(f"Tệp âm thanh {path} không đọc được bởi dịch vụ hoặc nhóm của kho "
                   "(audio unreadable by the service or the store's group)", err=True)
    for p in result.problems:
        where = "" if p.station is None else f" đài {p.station}"
        where += "" if p.seq is None else f", mục seq={p.seq}"
        click.echo(f"Nhật ký{where}: {p.reason}", err=True)
    for sha in bad_audio:
        click.echo(
            f"Tệp âm thanh {sha} bị thiếu hoặc sai mã băm (audio missing or altered)", err=True
        )
    if result.problems or bad_audio or unreadable:
        sys.exit(1)
    click.echo(
        f"OK: {result.checked} mục nhật ký, {result.anchors} mốc đối chiếu, chuỗi nguyên vẹn "
        f"(chains intact, {result.anchors} anchors matched)"
    )


@audit.command("checkpoint")
@pass_loa
def audit_checkpoint(loa: LoaContext) -> None:
    """Append every station's chain head to the checkpoint file under LOA_HOME."""
    from loa.compliance.anchors import checkpoint_file, write_checkpoint

    path = checkpoint_file(loa.services.settings.home)
    with transaction(loa.services.sessions) as session:
        stations = write_checkpoint(session, path, loa.services.clock.now())
    click.echo(f"Đã ghi mốc của {stations} đài vào {path} (checkpoint written)")




@click.command("prune-cache")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Xóa tệp không dùng trong ngần này ngày (default: LOA_TTS_CACHE_DAYS, 90)",
)
@pass_loa
def prune_cache_command(loa: LoaContext, days: int | None) -> None:
    """Free the render cache of speech and sounds no render used lately, and the audio store
    of what killed renders left there."""
    from loa.audio.cache import prune_cache
    from loa.audio.store import sweep_temporary
    from loa.playlists.rendering import render_cache

    settings = loa.services.settings
    pruned = prune_cache(render_cache(settings), days or settings.tts_cache_days)
    swept = sweep_temporary(settings.audio_dir)
    click.echo(f"Đã xóa {pruned.files} tệp, {pruned.bytes / 1e6:.1f} MB (pruned); "
               f"{swept} tệp tạm cũ trong kho âm thanh (stale temporaries swept)")


def _relay_audit() -> None:
    """`loa audit relay` lives with the relay commands (loa/cli_relay.py)."""
    from loa.cli_relay import audit_relay

    audit.add_command(audit_relay)


_relay_audit()


def _add_variant_commands() -> None:
    from loa.cli_zones import variant  # `loa programme variant add` (zones' languages)

    programme.add_command(variant)


_add_variant_commands()
