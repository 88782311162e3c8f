"""Operator and auditor pages: the month at a glance, programmes, stations, audit export."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    render_template,
    request,
)
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from loa.clock import VN
from loa.compliance.audit import Reading, ReportRow, station_month_report
from loa.compliance.evidence import station_month_evidence
from loa.compliance.export import STATUS_VI, to_csv, to_xlsx
from loa.compliance.periods import period_months, range_period
from loa.compliance.relay_audit import period_verdicts, station_verdicts
from loa.compliance.totals import report_totals
from loa.errors import LoaError
from loa.playlists.campaigns import check_month
from loa.playlists.editing import estimated_lengths
from loa.playlists.models import Airing, Campaign, Programme, ProgrammeStatus
from loa.playlists.programmes import get_programme
from loa.playlists.relay_models import RelaySlot
from loa.playlists.variants import variants_of
from loa.scheduler.outlook import OUTLOOK_VI
from loa.stations.accounts import Role
from loa.stations.models import AdminUnit, Station
from loa.stations.units import subtree_ids
from loa.stations.zones import zone_languages
from loa.web import auth, glance
from loa.web.audio_files import send_audio
from loa.web.context import db, services

bp = Blueprint("ui", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month() -> str:
    default = services().clock.now().astimezone(VN).strftime("%Y-%m")
    try:
        return check_month(request.args.get("month", default))
    except LoaError:
        abort(400)


def reading() -> Reading:
    """Reports judged now, with the configured start tolerance."""
    svc = services()
    return Reading.of(svc.settings, svc.clock.now())


@bp.app_template_filter("local")
def local_time(value: Any, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return value.astimezone(VN).strftime(fmt) if value else "—"


@bp.route("/")
@auth.login_required()
def dashboard() -> Any:
    month, svc, now = _month(), services(), reading()
    with db() as s:
        rows = station_month_report(s, g.unit, month, now)
        found = glance.glances(s, rows, now.now, svc.settings.airing_gap)
        auditing = g.user.role in (Role.auditor, Role.admin)
        chart = glance.compliance_chart(s, g.unit, month, now) if auditing else []
        relays = glance.relay_shares(s, g.unit, month, now.now, svc.settings.relay_min_share)
        relay_only = glance.relay_only(s, relays, rows)
        online = glance.players_online(
            s, {r.station for r in rows} | {o.station for o in relay_only}, now.now,
            svc.settings.player_poll_s,
        )
    done = sum(r.status == "compliant" for r in rows)
    return render_template(
        "dashboard.html", month=month, rows=found, done=done, labels=STATUS_VI,
        outlooks=OUTLOOK_VI, online=online, chart=chart, relays=relays,
        relay_only=relay_only, min_share=svc.settings.relay_min_share,
    )


@bp.route("/audit.csv")
@auth.login_required(Role.auditor, Role.operator)
def audit_csv() -> Response:
    month = _month()
    with db() as s:
        rows = station_month_report(s, g.unit, month, reading())
    name = f"loa-audit-{g.unit.code}-{month}.csv"
    return Response(
        "\ufeff" + to_csv(rows),
        mimetype="text/csv",  # BOM: Excel reads UTF-8
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def _period_rows(s: Any) -> tuple[str, list[ReportRow]]:
    """The period asked for (``period``, or ``from`` and ``to``) and its rows (400 if bad)."""
    first, last = request.args.get("from"), request.args.get("to")
    try:
        period = range_period(first, last) if first or last else request.args.get("period", "")
        months = period_months(period)
    except LoaError as err:
        abort(400, str(err))
    now = reading()
    return period, [r for m in months for r in station_month_report(s, g.unit, m, now)]


def _download(data: bytes, mimetype: str, period: str, ext: str) -> Response:
    name = f"loa-{g.unit.code}-{period}.{ext}"
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@bp.route("/audit.xlsx")
@auth.login_required(Role.auditor, Role.operator)
def audit_xlsx() -> Response:
    """The 6-month (YYYY-H1) or annual (YYYY) report as a workbook."""
    with db() as s:
        period, rows = _period_rows(s)
        totals = report_totals(s, s.get(AdminUnit, g.unit.id), rows)
        relays = period_verdicts(s, s.get_one(AdminUnit, g.unit.id),
                                 period_months(period), services().clock.now(),
                                 services().settings.relay_min_share)
    data = to_xlsx(rows, f"Báo cáo phát thanh {g.unit.name}, kỳ {period}", totals, relays)
    return _download(data, XLSX, period, "xlsx")


@bp.route("/audit/<station_code>/<month>")
@auth.login_required()
def evidence(station_code: str, month: str) -> Any:
    """One station-month: the verdict, the airings planned, every log entry and its reading."""
    try:
        check_month(month)
    except LoaError:
        abort(404)
    with db() as s:
        station = auth.own_station(s, station_code)
        campaign = s.scalar(select(Campaign).where(Campaign.code == request.args.get("campaign")))
        if campaign is None:
            abort(404)
        judged = reading()
        found = station_month_evidence(s, station, campaign, month, judged)
        if found is None:
            abort(404)
        min_share = services().settings.relay_min_share
        relays = station_verdicts(s, [station], month, judged.now, min_share)
        return render_template(
            "evidence.html",
            station=station,
            campaign=campaign,
            month=month,
            evidence=found,
            labels=STATUS_VI,
            programme=s.get(Programme, found.row.programme_id) if found.row.programme_id else None,
            relays=relays,
            relay_slots={slot.id: slot for slot in s.scalars(
                select(RelaySlot).where(RelaySlot.id.in_([v.slot_id for v in relays])))},
            min_share=min_share,
            zone_names={z.code: z.name for z in station.zones},
        )


@bp.route("/programmes")
@auth.login_required()
def programmes() -> Any:
    with db() as s:
        found = s.scalars(
            select(Programme)
            .where(or_(Programme.unit_id.in_(g.visible_units),
                       Programme.unit_id.in_(g.above_units)
                       & (Programme.status == ProgrammeStatus.approved)))
            .options(selectinload(Programme.unit), selectinload(Programme.campaign))
            .order_by(Programme.month.desc(), Programme.id)
        ).all()
        # Drafts show an estimate: from the segments' stored figures, never their texts.
        estimates = estimated_lengths(s, [p.id for p in found if p.duration_ms is None])
        return render_template("programmes.html", programmes=found, estimates=estimates)


def visible_programme(s: Any, programme_id: int) -> Programme:
    """The programme if the user may see it (own subtree, or approved above), else 404."""
    try:
        programme = get_programme(s, programme_id)
    except LoaError:
        abort(404)
    if not auth.can_see_programme(programme.unit_id, programme.status):
        abort(404)  # not 403: do not reveal what exists outside the user's subtree
    return programme


@bp.route("/programmes/<id:programme_id>")
@auth.login_required()
def programme(programme_id: int) -> Any:
    with db() as s:
        found = visible_programme(s, programme_id)
        airings = s.scalars(
            select(Airing)
            .where(Airing.programme_id == found.id, Airing.station_id.in_(_station_ids(s)))
            .order_by(Airing.starts_at)
        ).all()
        # The languages its stations' zones speak: what it may be recorded in for them.
        languages = zone_languages(s, subtree_ids(s, found.unit))
        return render_template(
            "programme.html", programme=found, airings=airings, editable=may_edit(found),
            variants=sorted(variants_of(s, [found.id]).get(found.id, {}).values(),
                            key=lambda v: v.language),
            languages=languages,
        )


def may_edit(programme: Programme) -> bool:
    """Whether the user writes programmes of its unit (approval and renders aside)."""
    return programme.unit_id in g.visible_units and g.user.role in (Role.operator, Role.admin)


def _station_ids(s: Any) -> list[int]:
    return list(s.scalars(select(Station.id).where(Station.unit_id.in_(g.visible_units))))


@bp.route("/programmes/<id:programme_id>/audio")
@auth.login_required()
def programme_audio(programme_id: int) -> Any:
    with db() as s:
        found = visible_programme(s, programme_id)
        if not found.master_sha256:
            abort(404)
        path = services().store.path(found.master_sha256)
    if not path.is_file():
        abort(404)  # the row without its file (a restored database): nothing to hear, not a 500
    return send_audio(path, "audio/mpeg")


@bp.route("/stations")
@auth.login_required()
def stations() -> Any:
    with db() as s:
        found = s.scalars(
            select(Station).where(Station.unit_id.in_(g.visible_units)).order_by(Station.code)
        ).all()
        return render_template("stations.html", stations=found, now=services().clock.now())
