"""The pages' language: Vietnamese by default, English on a switch, and the error pages.

Message ids are the Vietnamese text itself, so templates read as the page does; the
``en`` catalogue maps them to English. CLI messages and the player API's JSON keep
their "Vietnamese (English)" form: only the web pages switch.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import Babel, get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from loa.compliance.export import STATUS_VI
from loa.errors import bilingual
from loa.playlists.relay_models import RelaySlot
from loa.playlists.relays import window_of
from loa.stations.windows import days_in_words, describe_windows, parse_windows

bp = Blueprint("i18n", __name__)
LANGUAGES = ("vi", "en")
COOKIE = "loa_lang"
API_PREFIX = "/api/"
_SAFE_NEXT = re.compile(r"/(?![/\\])[^\s\\]*")  # a path on this site, never //host or /\host

# Every machine value a page shows, by its kind; the keys are what the database stores.
LABELS: dict[str, dict[str, Any]] = {
    "report": {
        "compliant": _l("Đạt"),
        "short": _l("Chưa đủ lượt phát"),
        "in_progress": _l("Đang thực hiện"),
        "no_programme": _l("Chưa có chương trình"),
        "too_short": _l("Chương trình quá ngắn"),
        "too_long": _l("Chương trình quá dài"),
        "evidence_broken": _l("Nhật ký bị sửa đổi"),
    },
    "outlook": {
        "met": _l("Đạt"),
        "on_track": _l("Đang thực hiện"),
        "at_risk": _l("Có nguy cơ"),
        "failed": _l("Không đạt"),
    },
    "programme": {
        "draft": _l("Bản nháp"),
        "rendered": _l("Đã dựng"),
        "approved": _l("Đã duyệt"),
    },
    "airing": {
        "planned": _l("Đã xếp lịch"),
        "published": _l("Đã gửi xuống thiết bị"),
        "aired": _l("Đã phát"),
        "missed": _l("Bỏ lỡ"),
        "failed": _l("Phát lỗi"),
        "cancelled": _l("Đã hủy"),
    },
    "calendar": {  # an airing on a station's calendar (web/stations_page.py)
        "planned": _l("Đã lên lịch"),
        "make_up": _l("Phát bù"),
        "aired": _l("Đã phát"),
        "missed": _l("Bị lỡ"),
        "cancelled": _l("Đã hủy"),
    },
    "day": {  # a block of a station's day (scheduler.day_plan)
        "relay": _l("Phát tiếp sóng"),
        "airing": _l("Chuyên mục"),
        "bulletin": _l("Phát thông báo"),
        "emergency": _l("Khẩn cấp"),
        "free": _l("Trống"),
    },
    "next": {  # the heading of the station page's "next" card: what comes next
        "relay": _l("Tiếp sóng tiếp theo"),
        "airing": _l("Lượt phát tiếp theo"),
        "bulletin": _l("Thông báo tiếp theo"),
        "emergency": _l("Phát khẩn cấp tiếp theo"),
        "nothing": _l("Tiếp theo"),
    },
    "relay": {  # a required relay slot's month verdict (compliance.relay_audit)
        "compliant": _l("Đạt"),
        "in_progress": _l("Tháng đang diễn ra"),
        "short": _l("Chưa đủ thời lượng"),
    },
    "segment": {
        "tts": _l("Đọc văn bản"),
        "clip": _l("Đoạn ghi âm"),
        "jingle": _l("Nhạc hiệu"),
        "silence": _l("Khoảng lặng"),
        "bed": _l("Nhạc nền"),
    },
    "channel": {  # loa.notify: how an alert reached someone
        "inbox": _l("Việc cần làm"),
        "email": _l("Thư điện tử"),
        "webhook": _l("Webhook"),
    },
    "notify_delivery": {  # an alert's delivery on one channel (loa.notify)
        "pending": _l("Đang chờ gửi"),
        "sent": _l("Đã gửi"),
        "failed": _l("Gửi không được"),
        "skipped": _l("Chưa cấu hình kênh"),
    },
    "bulletin": {
        "pending": _l("Chờ lãnh đạo duyệt"),
        "active": _l("Đang phát"),
        "cancelled": _l("Đã hủy"),
        "ended": _l("Đã kết thúc"),
    },
    "delivery": {  # a station's delivery of a bulletin (playlists/delivery_states.py)
        "waiting": _l("Chưa nhận"),
        "pushed": _l("Đã báo xuống"),
        "fetched": _l("Đã nhận"),
        "playing": _l("Đang phát"),
        "cut": _l("Bị ngắt"),
        "failed": _l("Lỗi phát"),
        "completed": _l("Đã phát"),
    },
    "priority": {
        "normal": _l("Thông thường"),
        "priority": _l("Ưu tiên"),
        "emergency": _l("Khẩn cấp"),
    },
    "mode": {"prefetch": _l("Tải trước"), "live": _l("Trực tiếp")},
    "voice": {"vi": _l("giọng Bắc"), "vi-vn-x-central": _l("giọng Trung"),
              "vi-vn-x-south": _l("giọng Nam")},
    "tts_engine": {"espeak-ng": _l("eSpeak NG (không cần mạng)"),
                   "gtts": _l("Google (cần mạng)")},
    "state": {"idle": _l("Đang chờ"), "playing": _l("Đang phát")},
    "role": {
        "operator": _l("Cán bộ đài"),
        "auditor": _l("Kiểm tra"),
        "admin": _l("Quản trị"),
        "leader": _l("Lãnh đạo UBND"),
    },
    "user_state": {
        "active": _l("Đang dùng"),
        "disabled": _l("Đã khóa"),
        "removed": _l("Đã xóa"),
    },
    "event": {
        "airing.started": _l("Bắt đầu phát"),
        "airing.completed": _l("Phát xong"),
        "airing.failed": _l("Phát lỗi"),
        "airing.interrupted": _l("Bị ngắt"),
        "bulletin.started": _l("Bắt đầu phát thông báo"),
        "bulletin.completed": _l("Phát xong thông báo"),
        "bulletin.failed": _l("Phát thông báo lỗi"),
        "relay.started": _l("Bắt đầu tiếp sóng"),
        "relay.dropout": _l("Tiếp sóng bị gián đoạn"),
        "relay.completed": _l("Tiếp sóng xong"),
        "relay.failed": _l("Tiếp sóng lỗi"),
        "heartbeat": _l("Báo tình trạng"),
        "key.enrolled": _l("Đăng ký khóa thiết bị"),
        "player.revoked": _l("Thu hồi thiết bị"),
        "player.token_rotated": _l("Cấp mã mới"),
    },
    "level": {
        "country": _l("Quốc gia"), "province": _l("Tỉnh"), "district": _l("Huyện"),
        "commune": _l("Xã"),
    },
    "weekday": {  # the month calendar's columns: thứ Hai (T2) … Chủ nhật (CN)
        "T2": _l("T2"), "T3": _l("T3"), "T4": _l("T4"), "T5": _l("T5"),
        "T6": _l("T6"), "T7": _l("T7"), "CN": _l("CN"),
    },
}

ERRORS: dict[int, tuple[Any, Any]] = {
    400: (_l("Yêu cầu không hợp lệ"), _l("Dữ liệu gửi lên không đúng. Hãy quay lại và thử lại.")),
    403: (_l("Không có quyền"), _l("Tài khoản của bạn không được làm việc này.")),
    404: (_l("Không tìm thấy trang"), _l("Trang này không có hoặc không thuộc phạm vi của bạn.")),
    405: (_l("Không được phép"), _l("Trang này không nhận yêu cầu kiểu này.")),
    413: (_l("Tệp quá lớn"), _l("Tệp gửi lên quá lớn. Hãy chọn tệp nhỏ hơn rồi thử lại.")),
    500: (_l("Lỗi máy chủ"), _l("Đã có lỗi ở máy chủ. Hãy thử lại sau ít phút.")),
}


def select_locale() -> str:
    """The language the person chose (a cookie), Vietnamese until they choose."""
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in LANGUAGES else "vi"


def label(value: Any, kind: str) -> str:
    """A stored value (a status, a role, an event…) as words in the page's language.

    Cases: an enum or its string; a value this table does not know yet shows as stored.
    """
    key = getattr(value, "value", value)
    if value is None:
        return "—"
    found = LABELS.get(kind, {}).get(key)
    if found is None and kind == "report":
        found = STATUS_VI.get(key)  # a verdict the report knows and this table not yet
    return str(found) if found is not None else str(key)


def in_language(message: Any) -> str:
    """A "Vietnamese (English)" message from the rooms below, in the page's language only.

    Cases: "Không tìm thấy đài TN (no such station)" is "Không tìm thấy đài TN" on a
    Vietnamese page and "no such station" on an English one; no brackets → as it is.
    """
    vietnamese, english = bilingual(str(message))
    return english if str(get_locale()) == "en" else vietnamese


def _language() -> str:
    return "en" if str(get_locale()) == "en" else "vi"


def windows_in_language(windows: list[str]) -> str:
    """A station's broadcast windows in words, each set of days once with its times
    ("Thứ Hai đến thứ Bảy: 05:30-06:30, 17:00-18:00; Chủ nhật: 17:00-18:00"), in the
    page's language."""
    return describe_windows(parse_windows(",".join(windows)), _language())


def slot_days(slot: RelaySlot) -> str:
    """A relay slot's days in words, in the page's language: "thứ Hai đến thứ Bảy"."""
    return days_in_words(window_of(slot).days, _language())


@bp.route("/lang/<code>")
def switch(code: str) -> Response:
    """Remember the language chosen in the header and go back to the page it was chosen on."""
    target = request.args.get("next", "")
    if not _SAFE_NEXT.fullmatch(target):
        target = url_for("ui.dashboard")
    response = redirect(target)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=400 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def error_page(err: HTTPException) -> Any:
    """An error the person can read, with a way back; the player API keeps its JSON."""
    code = err.code or 500
    if request.path.startswith(API_PREFIX):
        return jsonify(error=f"{err.name} ({code})"), code
    title, advice = ERRORS.get(code, ERRORS[400] if code < 500 else ERRORS[500])
    detail = err.description if err.description != type(err).description else None
    came_from = urlsplit(request.referrer or "")
    back = came_from.path if came_from.netloc == request.host and came_from.path else None
    return render_template(
        "error.html", code=code, title=title, advice=advice, detail=detail, back=back
    ), code


def register(app: Flask) -> None:
    """Babel with the vi and en catalogues and the error pages (the switch's blueprint is
    registered with the others, by ``loa.web.wiring``)."""
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["in_language"] = in_language
    app.jinja_env.filters["windows"] = windows_in_language
    app.jinja_env.filters["slot_days"] = slot_days
    # Flask wraps an unexpected exception in InternalServerError, which this handler also takes.
    app.register_error_handler(HTTPException, error_page)
