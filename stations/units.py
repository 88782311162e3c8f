"""The admin-unit tree: the country, provinces, optional districts, communes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.db import fail_if_exists, one_or_fail
from loa.errors import LoaError
from loa.stations.models import AdminUnit, Station, UnitLevel, UnitReport

# A child must sit strictly below its parent; district is optional.
_RANK = {UnitLevel.country: -1, UnitLevel.province: 0, UnitLevel.district: 1, UnitLevel.commune: 2}
# Roots: the country, or a province on its own (a one-province server has no country).
_ROOTS = (UnitLevel.country, UnitLevel.province)
COUNTRY_CODE, COUNTRY_NAME = "VN", "Việt Nam"


def get_unit(session: Session, code: str) -> AdminUnit:
    message = f"Không tìm thấy đơn vị hành chính {code!r} (unit not found)"
    return one_or_fail(session, AdminUnit, message, code=code)


def add_unit(
    session: Session, code: str, name: str, level: str, parent_code: str | None = None
) -> AdminUnit:
    """Create a unit under ``parent_code``; the country and a province may have no parent,
    others need one."""
    try:
        unit_level = UnitLevel(level)
    except ValueError as exc:
        raise LoaError(
            f"Cấp không hợp lệ {level!r}: country, province, district hoặc commune"
        ) from exc
    if not code.strip() or not name.strip():
        raise LoaError("Đơn vị cần mã và tên (a unit needs a code and a name)")
    message = f"Mã đơn vị {code!r} đã tồn tại (unit code already exists)"
    fail_if_exists(session, AdminUnit, message, code=code)
    parent = get_unit(session, parent_code) if parent_code else None
    if unit_level not in _ROOTS and parent is None:
        raise LoaError(f"Đơn vị cấp {level} cần --parent (needs a parent unit)")
    if parent is not None and _RANK[parent.level] >= _RANK[unit_level]:
        raise LoaError(f"Đơn vị cấp {level} không thể nằm dưới cấp {parent.level.value}")
    unit = AdminUnit(code=code, name=name, level=unit_level, parent=parent)
    session.add(unit)
    session.flush()
    return unit


REPORT_FIELDS = {"signer_title": 200, "signer_name": 200, "place": 100, "report_to": 200}


def set_unit_report(session: Session, code: str, **fields: str | None) -> UnitReport:
    """Set the unit's report signer, place and recipient; None keeps one, "" clears it."""
    unit = get_unit(session, code)
    settings = unit.report or UnitReport(unit_id=unit.id)
    unit.report = settings
    for name, value in fields.items():
        if value is None:
            continue
        value = " ".join(value.split())
        if len(value) > REPORT_FIELDS[name]:
            raise LoaError(
                f"{name} tối đa {REPORT_FIELDS[name]} ký tự (at most {REPORT_FIELDS[name]})"
            )
        setattr(settings, name, value or None)
    session.flush()
    return settings


def ancestors(unit: AdminUnit) -> list[AdminUnit]:
    """The unit itself, then its parent, up to the root (the province, or the country)."""
    chain = []
    node: AdminUnit | None = unit
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain


def subtree_ids(session: Session, unit: AdminUnit) -> set[int]:
    """Ids of ``unit`` and every unit below it."""
    tree = select(AdminUnit.id).where(AdminUnit.id == unit.id).cte(recursive=True)
    tree = tree.union_all(select(AdminUnit.id).where(AdminUnit.parent_id == tree.c.id))
    return set(session.scalars(select(tree.c.id)))


@dataclass(frozen=True, slots=True)
class StationRef:
    """A station as a report reads it: a row, not an ORM object (a country has thousands,
    and loading them as objects with their units cost its report 0.1-0.2 s)."""

    id: int
    code: str
    name: str
    unit_id: int
    timezone: str
    unit_name: str
    retired_at: datetime | None = None  # reports leave it out of the months after


def stations_under(session: Session, unit: AdminUnit) -> list[StationRef]:
    """Every station in ``unit``'s subtree, by code, with its unit's name (reports name it)."""
    tree = select(AdminUnit.id).where(AdminUnit.id == unit.id).cte(recursive=True)
    tree = tree.union_all(select(AdminUnit.id).where(AdminUnit.parent_id == tree.c.id))
    rows = session.connection().execute(
        select(Station.id, Station.code, Station.name, Station.unit_id, Station.timezone,
               AdminUnit.name, Station.retired_at)
        .join(AdminUnit, AdminUnit.id == Station.unit_id)
        .where(Station.unit_id.in_(select(tree.c.id)))
        .order_by(Station.code)
    )
    return [StationRef(*row) for row in rows.all()]  # one fetch, not a driver call per row


def import_units(session: Session, province_code: str | None = None) -> tuple[int, int]:
    """Load the official 2025 provinces and communes (vietnam-provinces); returns (added, kept).

    Codes are the official ones, zero-padded (province "31", commune "11560");
    units already present are kept as they are, so importing twice adds nothing.
    Cases: the whole country (no ``province_code``) also makes the national root
    "VN" (level country) the parent of every province, those imported before
    included, so one report and one campaign cover the country; one province
    alone stays a root (counted in neither figure).
    """
    from vietnam_provinces import Province, Ward

    provinces = list(Province.iter_all())
    if province_code is not None:
        provinces = [p for p in provinces if f"{p.code.value:02d}" == province_code.zfill(2)]
        if not provinces:
            raise LoaError(f"Không có tỉnh/thành mã {province_code!r} (unknown province code)")
    known = set(session.scalars(select(AdminUnit.code)))
    country = None
    if province_code is None:
        country = _ensure(session, known, COUNTRY_CODE, COUNTRY_NAME, UnitLevel.country, None)
    added = kept = 0
    for province in provinces:
        code = f"{province.code.value:02d}"
        parent = _ensure(session, known, code, province.name, UnitLevel.province, country)
        if country is not None and parent.parent is None:
            parent.parent = country  # a province imported alone before joins the country
        for ward in Ward.iter_by_province(province.code):
            ward_code = f"{ward.code.value:05d}"
            if ward_code in known:
                kept += 1
                continue
            _ensure(session, known, ward_code, ward.name, UnitLevel.commune, parent)
            added += 1
    session.flush()
    return added, kept


def _ensure(
    session: Session,
    known: set[str],
    code: str,
    name: str,
    level: UnitLevel,
    parent: AdminUnit | None,
) -> AdminUnit:
    if code in known:
        return get_unit(session, code)
    unit = AdminUnit(code=code, name=name, level=level, parent=parent)
    session.add(unit)
    known.add(code)
    return unit
