"""The new-bulletin form: its values as typed (to show again), and what they mean when sent.

The page keeps every value as the person typed it, so a preview or a refusal shows
the form as it was; ``BulletinForm.checked`` turns it into the service's arguments
or raises LoaError in "Vietnamese (English)", which the page shows in its language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from loa.clock import VN
from loa.errors import LoaError
from loa.playlists.bulletin_limits import (
    DEFAULT_VALIDITY,
    EVERY_HOURS,
    MAX_REPEAT_EVERY_S,
    MAX_REPEATS,
)
from loa.playlists.bulletin_templates import UNIT_BLANK, BulletinTemplate, get_template
from loa.playlists.models import BulletinPriority
from loa.playlists.template_check import check_blanks, fill_marks
from loa.stations.accounts import Role
from loa.stations.models import AdminUnit, Station, Zone
from loa.web.i18n import label

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
SOURCES = ("text", "audio")


def unit_phrase(name: str) -> str:
    """A unit's name inside a sentence: "Phường Thủy Nguyên" reads "phường Thủy Nguyên"."""
    return name[:1].lower() + name[1:]


def emergency_senders(emergency_roles: str) -> str:
    """Who may send a unit's emergency bulletins, in a sentence of the page's language
    ("Chỉ lãnh đạo UBND và quản trị được phát thông báo khẩn cấp"), for those who may not.

    Cases: the roles as the unit lists them ("leader,admin"), named in the order of ``Role``;
    an unknown role is skipped; nobody at all says so.
    """
    allowed = {r.strip() for r in emergency_roles.split(",")}
    names = [unit_phrase(label(role, "role")) for role in Role if role.value in allowed]
    if not names:
        return gettext("Đơn vị chưa cho vai trò nào phát thông báo khẩn cấp")
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + gettext(" và ") + names[-1]
    return gettext("Chỉ %(who)s được phát thông báo khẩn cấp", who=who)


def local_value(moment: datetime | None) -> str:
    """An instant as a datetime-local field shows it (Vietnam time), or ""."""
    return moment.astimezone(VN).strftime(LOCAL_FORMAT) if moment else ""


def parse_local(text: str, what: str) -> datetime | None:
    """A datetime-local value in Vietnam time as an aware instant; "" is None."""
    text = text.strip()
    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError as err:
        raise LoaError(f"{what}: thời điểm {text!r} không hợp lệ (invalid time)") from err
    if naive.tzinfo is not None or not 1970 <= naive.year <= 2999:
        raise LoaError(f"{what}: thời điểm {text!r} không hợp lệ (invalid time)")
    return naive.replace(tzinfo=VN)


def _whole(text: str, low: int, high: int, message: str) -> int:
    try:
        value = int(text.strip() or "x")
    except ValueError as err:
        raise LoaError(message) from err
    if not low <= value <= high:
        raise LoaError(message)
    return value


def zone_key(station: Station, zone: Zone) -> str:
    """How the form names a zone: "STATION/ZONE" (a zone code has no "/")."""
    return f"{station.code}/{zone.code}"


@dataclass
class Targets:
    """What the person may send to, by the codes the form posts: the units and stations of
    their subtree, the zones of its stations that have more than one, and the languages
    of those zones other than Vietnamese (a recording may be added in each)."""

    units: dict[str, AdminUnit]
    stations: dict[str, Station]
    zones: dict[str, Zone]
    languages: list[str]


@dataclass
class BulletinForm:
    """The form's fields as strings, the way the page shows them."""

    template: str = ""
    title: str = ""
    text: str = ""
    source: str = "text"
    priority: str = BulletinPriority.normal.value
    units: list[str] = field(default_factory=list)  # unit codes
    stations: list[str] = field(default_factory=list)  # station codes
    zones: list[str] = field(default_factory=list)  # "STATION/ZONE" (zone_key)
    valid_from: str = ""
    valid_until: str = ""
    repeat_count: str = "1"
    repeat_every_min: str = "0"
    blanks: dict[str, str] = field(default_factory=dict)  # the template's blanks as typed
    # A series (web/bulletin_series_pages.py): an existing name, or a new one.
    series: str = ""
    every_hours: str = "2"
    on_the_hour: bool = False
    night: bool = False

    @classmethod
    def from_template(
        cls, template: BulletinTemplate | None, unit: AdminUnit, now: datetime,
        emergency_allowed: bool,
    ) -> BulletinForm:
        """A fresh form: the template's draft, its blanks empty (their examples are only
        placeholders) but the unit's own name."""
        form = cls(units=[unit.code], valid_from=local_value(now))
        if template is None:
            form.valid_until = local_value(now + DEFAULT_VALIDITY)
            return form
        form.template = template.key
        form.blanks = {UNIT_BLANK: unit_phrase(unit.name)}
        form.title, form.text = template.draft(form.blanks)
        priority = template.priority
        if priority == BulletinPriority.emergency and not emergency_allowed:
            priority = BulletinPriority.priority.value  # the next level this role may choose
        form.priority = priority
        form.repeat_count = str(template.repeat_count)
        form.repeat_every_min = str(template.repeat_every_min if template.repeat_count > 1 else 0)
        form.valid_until = local_value(now + timedelta(hours=template.valid_hours))
        return form

    @classmethod
    def from_request(cls, values: MultiDict[str, str]) -> BulletinForm:
        template = get_template(values.get("template", ""))
        keys = [b.key for b in template.blanks] if template else []
        return cls(
            blanks={k: values.get(f"blank_{k}", "") for k in keys},
            template=values.get("template", ""),
            title=values.get("title", ""),
            text=values.get("text", ""),
            source=values.get("source", "text"),
            priority=values.get("priority", ""),
            units=values.getlist("unit"),
            stations=values.getlist("station"),
            zones=values.getlist("zone"),
            valid_from=values.get("valid_from", ""),
            valid_until=values.get("valid_until", ""),
            repeat_count=values.get("repeat_count", "1"),
            repeat_every_min=values.get("repeat_every_min", "0"),
            series=values.get("series", ""),
            every_hours=values.get("every_hours", "2"),
            on_the_hour=values.get("on_the_hour") == "1",
            night=values.get("night") == "1",
        )

    def checked(self, targets: Targets) -> dict[str, Any]:
        """The service's keyword arguments (not the audio); ``targets`` are those the person
        may choose, so a code from elsewhere is refused here."""
        units, stations, zones = targets.units, targets.stations, targets.zones
        title, text = self._template_filled()
        if self.priority not in BulletinPriority.__members__:
            raise LoaError("Chưa chọn mức ưu tiên (choose a priority)")
        if self.source not in SOURCES:
            raise LoaError("Chưa chọn nội dung: văn bản hoặc tệp ghi âm (text or recording)")
        unknown = [c for c in self.units if c not in units]
        unknown += [c for c in self.stations if c not in stations]
        unknown += [c for c in self.zones if c not in zones]
        if unknown:
            raise LoaError(f"Nơi nhận ngoài phạm vi: {', '.join(unknown)} (target out of scope)")
        if not self.units and not self.stations and not self.zones:
            raise LoaError("Chưa chọn nơi nhận (choose at least one unit or station)")
        count = _whole(self.repeat_count, 1, MAX_REPEATS,
                       f"Số lần phát từ 1 đến {MAX_REPEATS} (repeats 1..{MAX_REPEATS})")
        every = _whole(self.repeat_every_min, 0, MAX_REPEAT_EVERY_S // 60,
                       "Khoảng cách phát lại là số phút từ 0 (minutes between plays, from 0)")
        emergency = self.priority == BulletinPriority.emergency
        return {
            "title": title,
            "priority": BulletinPriority(self.priority),
            "text": text if self.source == "text" else None,
            "unit_targets": [units[c] for c in self.units],
            "station_targets": [stations[c] for c in self.stations],
            "zone_targets": [zones[c] for c in self.zones],
            # An emergency plays at once: the start the form showed has passed by now.
            "valid_from": None if emergency else parse_local(self.valid_from, "Bắt đầu"),
            "valid_until": parse_local(self.valid_until, "Hết hạn"),
            "repeat_count": count,
            "repeat_every_s": every * 60 if count > 1 else 0,
        } | hourly_args(self.every_hours, self.on_the_hour, self.night)

    def text_filled(self) -> str:
        """The text with the typed blanks put in their marks, as sending would read it."""
        template = get_template(self.template)
        return fill_marks(template, self.blanks, self.text) if template else self.text

    def _template_filled(self) -> tuple[str, str]:
        """The title and text with the typed blanks put in their marks; UnfilledBlanks while
        a blank is left or an example stays (a recording's title is checked alone)."""
        template = get_template(self.template)
        if template is None:
            return self.title, self.text
        title = fill_marks(template, self.blanks, self.title)
        text = self.text_filled() if self.source == "text" else ""
        check_blanks(template, self.blanks, title, text)
        return title, text


def hourly_args(every_hours: str, on_the_hour: bool, night: bool) -> dict[str, Any]:
    """On the hour: every N hours until the validity ends (the repeat boxes do not apply)."""
    if not on_the_hour:
        return {"night": night}
    if every_hours not in {str(h) for h in EVERY_HOURS}:
        hours = ", ".join(str(h) for h in EVERY_HOURS)
        raise LoaError(f"Phát đúng giờ tròn cách nhau {hours} giờ "
                       f"(on the hour every {hours} hours)")
    return {"on_the_hour": True, "night": night, "repeat_count": None,
            "repeat_every_s": int(every_hours) * 3600}
