"""Stations and their broadcast windows."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from loa.clock import VN_ZONE_NAME
from loa.db import fail_if_exists, one_or_fail
from loa.errors import LoaError
from loa.stations.models import Station
from loa.stations.units import get_unit
from loa.stations.windows import Window, parse_windows, parse_written_windows

DEFAULT_WINDOWS = "05:30-06:30,17:00-18:00"


def get_station(session: Session, code: str) -> Station:
    message = f"Không tìm thấy đài {code!r} (station not found)"
    return one_or_fail(session, Station, message, code=code)


def add_station(
    session: Session,
    code: str,
    unit_code: str,
    name: str,
    windows: str = DEFAULT_WINDOWS,
    timezone: str = VN_ZONE_NAME,
) -> Station:
    """Create a station of ``unit_code`` with its broadcast windows."""
    if not code.strip() or not name.strip():
        raise LoaError("Đài cần mã và tên (a station needs a code and a name)")
    message = f"Mã đài {code!r} đã tồn tại (station code already exists)"
    fail_if_exists(session, Station, message, code=code)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LoaError(f"Múi giờ không hợp lệ {timezone!r} (unknown time zone)") from exc
    parsed = parse_written_windows(windows)
    if not parsed:
        raise LoaError("Đài cần ít nhất một khung giờ phát (a station needs a broadcast window)")
    station = Station(
        code=code,
        unit=get_unit(session, unit_code),
        name=name,
        timezone=timezone,
        windows=[str(w) for w in parsed],
    )
    session.add(station)
    session.flush()
    from loa.stations.zones import add_default_zones  # zones import this module

    add_default_zones(session, [station.id])
    return station


def station_windows(station: Station) -> list[Window]:
    return parse_windows(",".join(station.windows))


def edit_station(session: Session, station: Station, name: str, windows: str) -> Station:
    """A station's new name and broadcast windows; its code and unit stay (records name them).

    Cases: an empty name or no window is refused, as when adding; months already planned
    keep their airings, the next planning uses the new windows.
    """
    if not name.strip():
        raise LoaError("Đài cần tên (a station needs a name)")
    if len(name.strip()) > 200:
        raise LoaError("Tên đài tối đa 200 ký tự (station name: at most 200 characters)")
    parsed = parse_written_windows(windows)
    if not parsed:
        raise LoaError("Đài cần ít nhất một khung giờ phát (a station needs a broadcast window)")
    station.name = name.strip()
    station.windows = [str(w) for w in parsed]
    session.flush()
    return station
