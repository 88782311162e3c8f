"""Each user's alert settings: e-mail, channels beside the inbox, quiet hours."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loa.errors import LoaError
from loa.notify.models import Channel, NotifyProfile

OPTIONAL = (Channel.email, Channel.webhook)  # the inbox is always on
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
MAX_EMAIL = 254


def profile_of(session: Session, user_id: int) -> NotifyProfile:
    """The user's settings; a user who never set any has the inbox only."""
    return session.get(NotifyProfile, user_id) or NotifyProfile(user_id=user_id, channels="")


def channels_of(profile: NotifyProfile) -> list[Channel]:
    """The channels an event reaches this user by: the inbox, then those chosen.

    Cases: e-mail chosen without an address is not a channel (nowhere to send).
    """
    chosen = {c for c in (profile.channels or "").split(",") if c}
    found = [Channel.inbox]
    for channel in OPTIONAL:
        if channel.value in chosen and (channel is not Channel.email or profile.email):
            found.append(channel)
    return found


def _clock_time(raw: str, what: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return time.fromisoformat(raw).strftime("%H:%M")
    except ValueError as exc:
        raise LoaError(f"{what} phải có dạng GG:PP, ví dụ 22:00 ({what} must be HH:MM)") from exc


def set_profile(
    session: Session, user_id: int, email: str, channels: list[str], quiet_from: str,
    quiet_until: str,
) -> NotifyProfile:
    """Store a user's settings, refusing an address or a time that cannot be used."""
    email = email.strip()
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        raise LoaError(f"Địa chỉ thư điện tử không hợp lệ: {email} (not an e-mail address)")
    unknown = set(channels) - {c.value for c in OPTIONAL}
    if unknown:
        raise LoaError(f"Kênh không hợp lệ: {', '.join(sorted(unknown))} (unknown channel)")
    if Channel.email.value in channels and not email:
        raise LoaError("Cần nhập địa chỉ thư điện tử để nhận thư (an e-mail address is needed)")
    start = _clock_time(quiet_from, "Giờ bắt đầu yên tĩnh")
    end = _clock_time(quiet_until, "Giờ kết thúc yên tĩnh")
    if (start is None) != (end is None) or (start is not None and start == end):
        raise LoaError("Giờ yên tĩnh cần cả giờ bắt đầu và giờ kết thúc, khác nhau "
                       "(quiet hours need a different start and end)")
    profile = session.get(NotifyProfile, user_id) or NotifyProfile(user_id=user_id)
    profile.email = email or None
    profile.channels = ",".join(c.value for c in OPTIONAL if c.value in channels)
    profile.quiet_from, profile.quiet_until = start, end
    session.add(profile)
    session.flush()
    return profile


def quiet_until(
    quiet_from: str | None, quiet_end: str | None, now: datetime, tz: ZoneInfo
) -> datetime | None:
    """When the user's quiet hours end, if ``now`` falls inside them; else None.

    Cases: 22:00–06:00 at 23:30 → 06:00 next morning; at 05:00 → 06:00 the same day;
    at 12:00 → None; 12:00–13:30 at 12:00 → 13:30 (the start is inside, the end is not).
    """
    if not quiet_from or not quiet_end:
        return None
    local = now.astimezone(tz)
    start, end = time.fromisoformat(quiet_from), time.fromisoformat(quiet_end)
    at = local.time()
    inside = start <= at < end if start < end else (at >= start or at < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends
