"""Campaigns: the topic a unit subtree must air each month, with its rule's numbers."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session

from loa.audio.store import AudioStore
from loa.db import fail_if_exists, one_or_fail
from loa.errors import LoaError
from loa.playlists.assets import store_clip
from loa.playlists.models import Campaign
from loa.stations.units import get_unit

# A month has at most 31 days × 24 hours; past these a number is a typo, and past 2**31 a
# database error instead of a message.
MAX_AIRINGS = 1000
MAX_MINUTES = 24 * 60
MONTH = re.compile(r"(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])")


def check_month(month: str) -> str:
    """``month`` if it is "YYYY-MM" from 1970-01 to 2999-12, else a clear error.

    Cases: 2026-13 and 26-01 are not months; 0000-01 and 9999-12 are, on paper, but
    a station's zone pushes their bounds past what a datetime holds, and no
    programme airs then: a typo, refused here rather than failing deep inside.
    """
    if not isinstance(month, str) or not MONTH.fullmatch(month):
        raise LoaError(
            f"Tháng không hợp lệ {month!r}, cần dạng YYYY-MM từ 1970-01 đến 2999-12 "
            "(invalid month)"
        )
    return month


def get_campaign(session: Session, code: str) -> Campaign:
    message = f"Không tìm thấy chiến dịch {code!r} (campaign not found)"
    return one_or_fail(session, Campaign, message, code=code)


def _check_rule(
    min_airings: int,
    min_minutes: float,
    max_minutes: float,
    first_month: str | None,
    last_month: str | None,
) -> None:
    if not 1 <= min_airings <= MAX_AIRINGS:
        raise LoaError(
            f"Số lần phát tối thiểu phải từ 1 đến {MAX_AIRINGS} "
            f"(min airings must be 1..{MAX_AIRINGS})"
        )
    # Written so that NaN fails too: every comparison with NaN is false.
    if not 0 < min_minutes <= max_minutes <= MAX_MINUTES:
        raise LoaError(
            f"Cần 0 < thời lượng tối thiểu ≤ tối đa ≤ {MAX_MINUTES} phút "
            f"(need 0 < min minutes <= max <= {MAX_MINUTES})"
        )
    for month in (first_month, last_month):
        if month is not None:
            check_month(month)
    if first_month and last_month and last_month < first_month:
        raise LoaError("Tháng kết thúc trước tháng bắt đầu (last month before first month)")


def add_campaign(
    session: Session,
    store: AudioStore,
    code: str,
    title: str,
    unit_code: str,
    *,
    min_airings: int = 3,
    min_minutes: float = 10,
    max_minutes: float = 15,
    first_month: str | None = None,
    last_month: str | None = None,
    jingle: Path | None = None,
    allow_resume: bool = False,
    tts_engine: str = "espeak-ng",
    tts_voice: str = "vi",
) -> Campaign:
    """Create a campaign owned by ``unit_code``; its rule applies to every station below."""
    message = f"Mã chiến dịch {code!r} đã tồn tại (campaign code already exists)"
    fail_if_exists(session, Campaign, message, code=code)
    _check_rule(min_airings, min_minutes, max_minutes, first_month, last_month)
    campaign = Campaign(
        code=code,
        topic=title,
        unit=get_unit(session, unit_code),
        min_airings=min_airings,
        min_s=round(min_minutes * 60),
        max_s=round(max_minutes * 60),
        first_month=first_month,
        last_month=last_month,
        jingle_sha256=store_clip(session, store, jingle).sha256 if jingle else None,
        allow_resume=allow_resume,
        tts_engine=tts_engine,
        tts_voice=tts_voice,
    )
    session.add(campaign)
    session.flush()
    return campaign
