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


# What a web form may choose: Piper's voice is a model file on the server, set from the
# command line only (a page never names a server path).
WEB_VOICES: dict[str, tuple[str, ...]] = {
    "espeak-ng": ("vi", "vi-vn-x-central", "vi-vn-x-south"),
    "gtts": ("vi",),
}


def check_web_voice(engine: str, voice: str) -> None:
    """Refuse an engine or voice the admin page does not offer.

    Cases: ("espeak-ng", "vi-vn-x-south") passes; ("gtts", "vi-vn-x-south") and
    ("piper", "/etc/passwd") are refused.
    """
    if voice not in WEB_VOICES.get(engine, ()):
        raise LoaError(f"Bộ đọc hoặc giọng đọc không hợp lệ: {engine} {voice} "
                       "(unknown TTS engine or voice)")


def edit_campaign(
    session: Session,
    store: AudioStore,
    campaign: Campaign,
    *,
    title: str,
    min_airings: int,
    min_minutes: float,
    max_minutes: float,
    first_month: str | None,
    last_month: str | None,
    tts_engine: str,
    tts_voice: str,
    jingle: Path | None = None,
) -> Campaign:
    """A campaign's new title, rule numbers, months, voice and (if given) jingle.

    Its code and unit stay. Months already planned keep their airings; the next planning
    and the next render use the new values. Nothing changes if any value is refused.
    """
    if not title.strip() or len(title.strip()) > 300:
        raise LoaError("Tên chiến dịch cần 1 đến 300 ký tự (campaign title: 1-300 characters)")
    _check_rule(min_airings, min_minutes, max_minutes, first_month, last_month)
    if (tts_engine, tts_voice) != (campaign.tts_engine, campaign.tts_voice):
        check_web_voice(tts_engine, tts_voice)
    sha = store_clip(session, store, jingle).sha256 if jingle else campaign.jingle_sha256
    campaign.topic = title.strip()
    campaign.min_airings = min_airings
    campaign.min_s, campaign.max_s = round(min_minutes * 60), round(max_minutes * 60)
    campaign.first_month, campaign.last_month = first_month, last_month
    campaign.tts_engine, campaign.tts_voice = tts_engine, tts_voice
    campaign.jingle_sha256 = sha
    session.flush()
    return campaign
