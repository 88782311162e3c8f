"""Report files as they are sent up: made from the rows, and each one kept (DESIGN §6)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.compliance.audit import Reading, ReportRow
from loa.compliance.findings_data import report_findings
from loa.compliance.models import ReportExport
from loa.compliance.pdf import letter_of, report_title, to_pdf
from loa.compliance.periods import period_months
from loa.compliance.relay_audit import period_verdicts
from loa.compliance.relay_findings import relay_findings
from loa.compliance.totals import report_totals
from loa.errors import LoaError
from loa.stations.models import AdminUnit

MAX_RECOMMENDATIONS = 5000  # characters: a page of "Kiến nghị"


def export_pdf(
    session: Session,
    unit: AdminUnit,
    rows: Sequence[ReportRow],
    period: str,
    reading: Reading,
    number: str = "",
    recommendations: str = "",
    by: str | None = None,
) -> ReportExport:
    """The unit's report for ``period`` as PDF (with its required relays), kept with its
    number, author and recommendations so the copy sent up can be shown again."""
    recommendations = recommendations.strip()
    if len(recommendations) > MAX_RECOMMENDATIONS:
        raise LoaError(f"Kiến nghị dài quá {MAX_RECOMMENDATIONS} ký tự "
                       f"(recommendations longer than {MAX_RECOMMENDATIONS} characters)")
    letter = letter_of(unit, number)
    # The verdicts the workbook's "Tiếp sóng" sheet carries, for the same unit and months.
    relays = period_verdicts(session, unit, period_months(period), reading.now,
                             reading.relay_min_share)
    content = to_pdf(rows, report_title(session, rows), letter, report_totals(session, unit, rows),
                     report_findings(session, rows, reading), period, reading.now,
                     recommendations, relay_findings(relays, reading.relay_min_share))
    export = ReportExport(
        unit_id=unit.id, period=period, number=number, format="pdf", created_by=by,
        created_at=reading.now, recommendations=recommendations,
        sha256=hashlib.sha256(content).hexdigest(), size=len(content), content=content,
    )
    session.add(export)
    session.flush()
    return export


def unit_exports(session: Session, unit_ids: set[int]) -> list[ReportExport]:
    """The reports these units sent, newest first (their content is loaded only when read)."""
    return list(session.scalars(
        select(ReportExport)
        .where(ReportExport.unit_id.in_(unit_ids))
        .order_by(ReportExport.created_at.desc(), ReportExport.id.desc())
    ))
