"""What a programme, a render and a unit's render queue may hold.

Each limit is met as a message, in Vietnamese (English), before anything is stored or
queued: no input a user can type or upload makes a render that exhausts the server.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loa.audio.errors import ClipError
from loa.errors import LoaError
from loa.playlists.assets import minutes_text
from loa.playlists.bulletin_limits import MAX_TEXT
from loa.playlists.jobs import ACTIVE
from loa.playlists.models import Campaign, Programme, RenderJob
from loa.stations.models import AdminUnit

MAX_TTS_CHARS = MAX_TEXT  # one spoken segment holds what one bulletin may say
MAX_SEGMENTS = 200  # a 30-minute programme of 10-second items; real ones have 10 to 40
MAX_BED_S = 3 * 3600  # the bed is streamed, so its length costs decoding time, not memory
# A render whose estimate passes the campaign's maximum by this factor is refused: the
# estimate is rough (±20 % for speech), so twice the maximum is surely a mistake.
OVER_MAX = 2.0
MAX_RENDER_S = 2 * 3600  # whatever the campaign allows: a render's memory grows with its length
MAX_QUEUED_PER_UNIT = 5  # renders queued or running for one unit's programmes at once
# What a render writes per second of programme, besides the reserve: both MP3s
# (64 + 128 kbps) and its cached speech (22.05 kHz WAV + 44.1 kHz float32).
_RENDER_BYTES_PER_S = (64_000 + 128_000) // 8 + 22_050 * 2 + 44_100 * 4


def _n(count: int) -> str:
    """A count as Vietnamese write it: 10.000."""
    return f"{count:,}".replace(",", ".")


def gap_words(ms: int) -> tuple[str, str]:
    """How far a length misses a bound, in Vietnamese and in English words.

    Cases: rounded up to the whole second, so a shortfall of 0.4 s reads "1 giây" and never
    "0 giây"; under a minute it is seconds only ("59 giây"); whole minutes drop the seconds
    ("2 phút"); otherwise both ("1 phút 5 giây"). Nothing missed (0 or less) reads "0 giây".
    """
    seconds = max(0, math.ceil(ms / 1000))
    minutes, rest = divmod(seconds, 60)
    if minutes == 0:
        return f"{seconds} giây", f"{seconds} s"
    if rest == 0:
        return f"{minutes} phút", f"{minutes} min"
    return f"{minutes} phút {rest} giây", f"{minutes} min {rest} s"


def check_text_length(position: int, text: str) -> None:
    """A spoken segment's text of at most MAX_TTS_CHARS characters."""
    if len(text) > MAX_TTS_CHARS:
        raise LoaError(
            f"Đoạn {position}: văn bản đọc tối đa {_n(MAX_TTS_CHARS)} ký tự, đoạn này có "
            f"{_n(len(text))} ký tự; hãy chia thành nhiều đoạn "
            f"(text at most {MAX_TTS_CHARS} characters)"
        )


def check_segment_count(count: int) -> None:
    """``count`` segments fit in one programme."""
    if count > MAX_SEGMENTS:
        raise LoaError(
            f"Một chương trình có tối đa {MAX_SEGMENTS} đoạn (at most {MAX_SEGMENTS} segments)"
        )


def bed_too_long(duration_ms: int, max_ms: int, name: str) -> NoReturn:
    raise ClipError(
        f"Nhạc nền dài {minutes_text(duration_ms)}, tối đa {minutes_text(max_ms)} "
        f"(music bed too long): {name}"
    )


def check_bed_length(duration_ms: int, name: str) -> None:
    """A music bed of at most MAX_BED_S."""
    if duration_ms > MAX_BED_S * 1000:
        bed_too_long(duration_ms, MAX_BED_S * 1000, name)


def render_ceiling_s(campaign: Campaign) -> float:
    """The longest a programme of ``campaign`` may be rendered to, in seconds."""
    return min(campaign.max_s * OVER_MAX, MAX_RENDER_S)


def check_render_length(estimate_ms: int, campaign: Campaign) -> None:
    """Refuse a render whose estimated length is far above what the campaign allows."""
    ceiling = render_ceiling_s(campaign)
    if estimate_ms > ceiling * 1000:
        raise LoaError(
            f"Chương trình ước tính dài {minutes_text(estimate_ms)}, quá xa mức tối đa "
            f"{minutes_text(campaign.max_s * 1000)} của chiến dịch (không dựng quá "
            f"{minutes_text(round(ceiling * 1000))}); hãy bớt nội dung rồi dựng lại "
            f"(estimated length far above the campaign's maximum)"
        )


def check_free_space(folders: list[Path], reserve_mb: int, estimate_ms: int) -> None:
    """Refuse a render when a volume it writes to (audio store, cache) would fall under
    the reserve: a full disk stops every upload, backup and database write with it."""
    need = reserve_mb * 1024 * 1024 + estimate_ms * _RENDER_BYTES_PER_S // 1000
    for folder in folders:
        existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        free = shutil.disk_usage(existing).free
        if free < need:
            raise LoaError(
                f"Ổ đĩa chứa âm thanh còn trống {_n(free // 1048576)} MB, cần ít nhất "
                f"{_n(need // 1048576)} MB để dựng; hãy giải phóng dung lượng hoặc báo quản trị "
                f"(not enough free disk space to render)"
            )


def check_unit_queue(session: Session, unit_id: int) -> None:
    """Refuse one more render while the unit already has MAX_QUEUED_PER_UNIT waiting or running.

    The unit's row is locked on PostgreSQL, so two requests at once count one after the other.
    """
    locked = select(AdminUnit.id).where(AdminUnit.id == unit_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(locked.with_for_update())
    queued = session.scalar(
        select(func.count(RenderJob.id))
        .join(Programme, Programme.id == RenderJob.programme_id)
        .where(Programme.unit_id == unit_id, RenderJob.status.in_(ACTIVE))
    )
    if (queued or 0) >= MAX_QUEUED_PER_UNIT:
        raise LoaError(
            f"Đơn vị đang có {queued} chương trình chờ dựng (tối đa {MAX_QUEUED_PER_UNIT}); "
            f"hãy chờ các bản đang dựng xong (too many renders queued for this unit)"
        )
