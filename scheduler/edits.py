"""An operator adds, moves or cancels one airing of a station by hand.

The same lock, closed-month check and after-commit notice as the planner; the
slot rule is pure (``check_slot``) and the warning reuses the month's outlook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loa.compliance.close import check_month_open
from loa.errors import LoaError
from loa.playlists.models import Airing, AiringStatus, Campaign, Programme
from loa.playlists.programmes import applicable_programme
from loa.playlists.schedule import month_airings
from loa.scheduler.bulletin_air import station_month_slot_busy
from loa.scheduler.locks import lock_schedule
from loa.scheduler.outlook import HOLDING, busy_of, room_left
from loa.scheduler.planning import Busy
from loa.stations.models import Station
from loa.stations.push import notify_after_commit
from loa.stations.service import station_windows
from loa.stations.windows import Window

EDITABLE = (AiringStatus.planned, AiringStatus.published)


@dataclass(frozen=True)
class Edit:
    airing: Airing
    warning: str | None  # the count can no longer be reached in the windows left


def refuse_past(start: datetime, now: datetime) -> None:
    """A player could not hold an airing that starts now or earlier."""
    if start <= now:
        raise LoaError("Lỗi: giờ phát đã qua (the time is in the past)")


def check_slot(
    start: datetime,
    length: timedelta,
    windows: list[Window],
    tz: ZoneInfo,
    busy: list[Busy],
    now: datetime,
    gap: timedelta,
) -> None:
    """Refuse an airing at ``start`` the station cannot carry, saying why.

    Cases: starting now or earlier → refused; not wholly inside one window on
    that weekday → refused; within ``gap`` of another airing on air → refused
    (as the planner keeps it clear).
    """
    refuse_past(start, now)
    local, end = start.astimezone(tz), (start + length).astimezone(tz)
    inside = any(
        local.weekday() in w.days
        and end.date() == local.date()
        and w.start <= local.time()
        and end.time() <= w.end
        for w in windows
    )
    if not inside:
        shown = ", ".join(str(w) for w in windows) or "không có"
        raise LoaError(
            f"Lỗi: {local:%H:%M %d/%m/%Y} không nằm trọn trong khung giờ phát của đài "
            f"({shown}) ({local:%H:%M %d/%m/%Y} is outside the station's broadcast windows)"
        )
    for taken in busy:
        if start < taken.end + gap and taken.start < start + length + gap:
            raise LoaError(
                f"Lỗi: trùng với lượt phát lúc {taken.start.astimezone(tz):%H:%M %d/%m/%Y} "
                f"(overlaps the airing at {taken.start.astimezone(tz):%H:%M %d/%m/%Y})"
            )


def _month_of(start: datetime, station: Station) -> str:
    return start.astimezone(ZoneInfo(station.timezone)).strftime("%Y-%m")


def _warning(
    session: Session, station: Station, campaign: Campaign, month: str,
    now: datetime, gap: timedelta,
) -> str | None:
    """A warning when the airings left of ``campaign`` no longer reach its count this month."""
    airings = month_airings(session, station, month)
    mine = [a for a in airings if a.programme.campaign_id == campaign.id]
    held = sum(a.status in HOLDING for a in mine)
    wanted = campaign.min_airings - held
    if wanted <= 0:
        return None
    length = max((a.programme.air_ms or 0 for a in mine), default=campaign.min_s * 1000)
    tz = ZoneInfo(station.timezone)
    busy = busy_of(airings) + station_month_slot_busy(session, station.id, month)
    room = room_left(
        month, station_windows(station), tz, round(length / 1000), wanted, busy, now, gap
    )
    if held + room >= campaign.min_airings:
        return None
    return (
        f"Cảnh báo: chỉ còn {held + room}/{campaign.min_airings} lượt có thể phát trong tháng "
        f"{month}, không đủ số lần yêu cầu (only {held + room}/{campaign.min_airings} airings "
        f"can still air in {month}: the required count can no longer be reached)"
    )


def _place(
    session: Session, station: Station, programme: Programme, start: datetime,
    now: datetime, gap: timedelta, moving: Airing | None = None,
) -> str:
    """Check ``start`` for ``programme`` on ``station``; its month, which must be open."""
    month = _month_of(start, station)
    check_month_open(session, month, "sửa lịch phát (edit the schedule)")
    others = [a for a in month_airings(session, station, month) if a is not moving]
    length = timedelta(milliseconds=programme.air_ms or 0)
    tz = ZoneInfo(station.timezone)
    busy = busy_of(others) + station_month_slot_busy(session, station.id, month)
    check_slot(start, length, station_windows(station), tz, busy, now, gap)
    return month


def _notify(session: Session, station: Station) -> None:
    notify_after_commit(session, (p.id for p in station.players if not p.revoked))


def add_airing(
    session: Session, station: Station, campaign: Campaign, start: datetime,
    now: datetime, gap: timedelta,
) -> Edit:
    """Add one airing of the campaign's programme for that month on ``station`` at ``start``."""
    lock_schedule(session)
    start = start.astimezone(UTC)
    month = _month_of(start, station)
    check_month_open(session, month, "sửa lịch phát (edit the schedule)")  # says more than "past"
    refuse_past(start, now)
    programme = applicable_programme(session, station.unit, campaign.id, month)
    if programme is None or not programme.duration_ms:
        raise LoaError(
            f"Lỗi: chưa có chương trình được duyệt của {campaign.code} cho tháng {month} "
            f"(no approved programme of {campaign.code} for {month})"
        )
    _place(session, station, programme, start, now, gap)
    airing = Airing(programme=programme, station=station, starts_at=start)
    session.add(airing)
    session.flush()
    _notify(session, station)
    return Edit(airing, _warning(session, station, campaign, month, now, gap))


def _editable(session: Session, station: Station, airing_id: int, now: datetime) -> Airing:
    airing = session.get(Airing, airing_id)
    if airing is None or airing.station_id != station.id:
        raise LoaError("Lỗi: không tìm thấy lượt phát (airing not found)")
    if airing.status not in EDITABLE or airing.starts_at <= now:
        raise LoaError("Lỗi: lượt phát đã qua hoặc đã kết thúc, không sửa được (airing is past)")
    check_month_open(session, _month_of(airing.starts_at, station), "sửa lịch phát (edit)")
    return airing


def move_airing(
    session: Session, station: Station, airing_id: int, start: datetime,
    now: datetime, gap: timedelta,
) -> Edit:
    """Move a future airing to ``start`` in the same month; players hear of it after commit."""
    lock_schedule(session)
    airing = _editable(session, station, airing_id, now)
    start = start.astimezone(UTC)
    month = _month_of(airing.starts_at, station)
    if _month_of(start, station) != month:
        raise LoaError(
            f"Lỗi: chỉ dời trong tháng {month}; tháng khác có số lần riêng "
            f"(move within {month} only: each month has its own count)"
        )
    _place(session, station, airing.programme, start, now, gap, moving=airing)
    airing.starts_at = start
    airing.status = AiringStatus.planned  # the player must fetch it again
    session.flush()
    _notify(session, station)
    return Edit(airing, _warning(session, station, airing.programme.campaign, month, now, gap))


def cancel_airing(
    session: Session, station: Station, airing_id: int, now: datetime, gap: timedelta
) -> Edit:
    """Cancel a future airing; the nightly re-plan refills the count if the windows allow."""
    lock_schedule(session)
    airing = _editable(session, station, airing_id, now)
    airing.status = AiringStatus.cancelled
    session.flush()
    _notify(session, station)
    month = _month_of(airing.starts_at, station)
    return Edit(airing, _warning(session, station, airing.programme.campaign, month, now, gap))


def local_start(text: str, station: Station) -> datetime:
    """A form's "YYYY-MM-DDTHH:MM" in the station's zone, as an aware instant."""
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise LoaError(
            f"Lỗi: thời điểm {text!r} không hợp lệ, cần dạng 2026-12-05T17:10 (invalid time)"
        ) from exc
    if naive.tzinfo is not None or not 1970 <= naive.year <= 2999:
        raise LoaError(f"Lỗi: thời điểm {text!r} không hợp lệ (invalid time)")
    return naive.replace(tzinfo=ZoneInfo(station.timezone))

