"""The unit's reports page: make the PDF sent up (number, recommendations), list every copy sent."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from loa.clock import VN
from loa.compliance.audit import station_month_report
from loa.compliance.models import ReportExport
from loa.compliance.periods import period_months, range_period
from loa.compliance.report_exports import export_pdf, unit_exports
from loa.errors import LoaError
from loa.stations.accounts import Role
from loa.stations.models import AdminUnit
from loa.web import auth
from loa.web.context import db, services
from loa.web.ui import reading

bp = Blueprint("reports", __name__)
MAKERS = (Role.auditor, Role.operator, Role.leader)


def period_choices(month: str) -> list[tuple[str, str]]:
    """The periods a report is usually made for, with their names: so far this year, this
    month, then the halves and the whole of this year and the last."""
    year, shown = int(month[:4]), f"{month[5:]}/{month[:4]}"
    choices = [
        (f"{year}-01..{month}", gettext("từ tháng 01 đến tháng %(month)s", month=shown)),
        (month, gettext("tháng %(month)s", month=shown)),
    ]
    for y in (year, year - 1):
        choices += [
            (f"{y}-H1", gettext("6 tháng đầu năm %(year)s", year=y)),
            (f"{y}-H2", gettext("6 tháng cuối năm %(year)s", year=y)),
            (str(y), gettext("cả năm %(year)s", year=y)),
        ]
    return choices


def make_pdf(period: str, number: str, recommendations: str) -> tuple[int, bytes]:
    """The user's unit's report for ``period``, made and kept: its id and bytes (LoaError on
    bad input)."""
    months = period_months(period)
    now = reading()
    with db() as s:
        unit = s.get_one(AdminUnit, g.unit.id)
        rows = [r for m in months for r in station_month_report(s, unit, m, now)]
        export = export_pdf(s, unit, rows, period, now, number, recommendations,
                            g.user.username)
        s.commit()
        return export.id, export.content


def _attachment(content: bytes, name: str) -> Response:
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/audit.pdf")
@auth.login_required(*MAKERS)
def audit_pdf() -> Response:
    """The 6-month (YYYY-H1), annual (YYYY), month or from/to report as the PDF sent up, kept
    like one made on the reports page. ``so`` is its document number (blank without)."""
    first, last = request.args.get("from"), request.args.get("to")
    try:
        period = range_period(first, last) if first or last else request.args.get("period", "")
        _id, content = make_pdf(period, request.args.get("so", ""), "")
    except LoaError as err:
        abort(400, str(err))
    return _attachment(content, f"loa-{g.unit.code}-{period}.pdf")


@bp.route("/reports", methods=["GET", "POST"])
@auth.login_required(*MAKERS)
def reports() -> Any:
    """The form (period, number, recommendations) and the copies this unit and those below sent."""
    month = services().clock.now().astimezone(VN).strftime("%Y-%m")
    if request.method == "POST":
        period = request.form.get("period", "")
        try:
            made, _content = make_pdf(period, request.form.get("number", ""),
                                      request.form.get("recommendations", ""))
        except LoaError as err:
            flash(str(err), "error")
            return render_template("reports.html", choices=period_choices(month),
                                   exports=_listed(), form=request.form), 400
        flash(gettext("Đã lập báo cáo kỳ %(period)s: bản lưu số %(id)s, tải về ở bên dưới.",
                      period=period, id=made), "success")
        return redirect(url_for("reports.reports", made=made))
    return render_template("reports.html", choices=period_choices(month), exports=_listed(),
                           form={"period": request.args.get("period", "")})


def _listed() -> list[ReportExport]:
    with db() as s:
        found = unit_exports(s, g.visible_units)
        s.expunge_all()
        return found


@bp.route("/reports/<id:export_id>.pdf")
@auth.login_required(*MAKERS)
def download(export_id: int) -> Response:
    """A copy as it was sent: the stored bytes, for this unit's subtree only (else 404)."""
    with db() as s:
        export = s.get(ReportExport, export_id)
        if export is None or export.unit_id not in g.visible_units:
            abort(404)
        return _attachment(export.content, f"loa-{export.period}-{export.id}.pdf")
