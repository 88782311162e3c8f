"""Many stations at once from a CSV file: all of them, or none with every error by line.

Columns ``code, unit, name, windows`` and optionally ``players``. Windows are
written as for one station, each with its own days ("T2-T7 05:30-06:30;
T2-T7 17:00-18:00"; ";" or "," between windows, empty for the default); players
are names separated by ";", each given a token that is shown once. The file is
UTF-8 (Excel: "CSV UTF-8"); a unit code Excel stripped of its leading zeros
("00070" saved as 70) is matched by padding it to the official codes' width
(packaging/stations-sample.csv). The rows go in with one INSERT per table (executemany),
so the country's 3,321 stations take seconds, not the hours of one command each.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from loa.clock import VN_ZONE_NAME
from loa.errors import LoaError
from loa.stations.broker_auth import login_hash
from loa.stations.models import AdminUnit, Player, PlayerMode, Station
from loa.stations.players import hash_token
from loa.stations.service import DEFAULT_WINDOWS
from loa.stations.windows import parse_windows, parse_written_windows, windows_in_words
from loa.stations.zones import add_default_zones

COLUMNS = ("code", "unit", "name", "windows")
MAX_ERRORS = 50  # shown; the count says how many more
_CHUNK = 5000


class StationImportError(LoaError):
    """The file was refused; ``errors`` holds each problem, "Dòng N: …" first by line."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        shown = errors[:MAX_ERRORS]
        more = len(errors) - len(shown)
        tail = [f"… và {more} lỗi khác (and {more} more)"] if more else []
        super().__init__("\n".join([*shown, *tail]))


@dataclass(frozen=True)
class StationLine:
    line: int
    code: str
    unit: str
    name: str
    windows: list[str]
    players: list[str]


@dataclass
class Imported:
    stations: int = 0
    station_ids: list[int] = field(default_factory=list)  # to plan their month at once
    # (station code, player name, player id, token): tokens are shown once, never stored.
    players: list[tuple[str, str, int, str]] = field(default_factory=list)
    # Each set of windows, as stored, and how many stations have it: said back in words.
    windows: Counter[tuple[str, ...]] = field(default_factory=Counter)

    def windows_said(self) -> list[tuple[int, str]]:
        """(stations, their windows in words "Vietnamese (English)"), most common first."""
        return [(count, windows_in_words(parse_windows(",".join(stored))))
                for stored, count in self.windows.most_common()]


UTF8_NEEDED = (
    "Tệp CSV phải mã hóa UTF-8: trong Excel chọn Lưu thành \"CSV UTF-8 (Comma delimited) "
    "(*.csv)\" (the CSV must be UTF-8: in Excel, Save As \"CSV UTF-8 (Comma delimited)\")"
)


def decode_csv(raw: bytes) -> str:
    """The file's text: UTF-8, with or without the byte-order mark Excel writes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LoaError(UTF8_NEEDED) from err


def unit_matcher(units: dict[str, tuple[int, str]]) -> Callable[[str], int | str]:
    """A function from a unit code as the file writes it to the unit's id, or why not.

    Official codes are digits of fixed widths (provinces 2, communes 5). Cases:
    the code as written; else, all digits and shorter, the one official code it
    is once padded with zeros ("70" → "00070"); a code that fits two units ("70"
    a province and "00070" a commune) is refused, naming both.
    """
    widths = sorted({len(code) for code in units if code.isdigit()})

    def match(written: str) -> int | str:
        found = [written] if written in units else []
        if written.isdigit():
            found += [written.zfill(w) for w in widths
                      if w > len(written) and written.zfill(w) in units]
        if len(found) == 1:
            return units[found[0]][0]
        if not found:
            return f"không tìm thấy đơn vị hành chính {written!r} (unit not found)"
        named = " hoặc ".join(f"{code} ({units[code][1]})" for code in found)
        return (f"mã đơn vị {written!r} có thể là {named}: ghi đủ mã, kể cả số 0 đầu "
                f"(unit code {written!r} is ambiguous: write it with its leading zeros)")

    return match


_BRACKETED = re.compile(r"^(?P<vi>.+?)\s*\((?P<en>[^()]+)\)\s*$", re.S)


def _line_error(line: int, message: str) -> str:
    """"Dòng N: … (line N: …)": one bracket, so an English page shows the reason too."""
    found = _BRACKETED.match(message)
    if found is None:
        return f"Dòng {line}: {message} (line {line})"
    return f"Dòng {line}: {found.group('vi')} (line {line}: {found.group('en')})"


def _check_line(line: int, raw: dict[str, str | None]) -> StationLine | str:
    """One data line checked on its own: the line, or why not."""
    value = {k: " ".join((raw.get(k) or "").split()) for k in (*COLUMNS, "players")}
    for column, limit in (("code", 32), ("unit", 32), ("name", 200)):
        if not value[column]:
            return _line_error(line, f"thiếu {column} (missing {column})")
        if len(value[column]) > limit:
            return _line_error(line, f"{column} dài quá {limit} ký tự (too long)")
    try:
        windows = parse_written_windows((value["windows"] or DEFAULT_WINDOWS).replace(";", ","))
    except LoaError as err:
        return _line_error(line, str(err))
    if not windows:  # ";" alone: as `loa station add`, a station needs a window
        return _line_error(line, "đài cần ít nhất một khung giờ phát (a station needs a window)")
    players = [p.strip() for p in value["players"].split(";") if p.strip()]
    if any(len(p) > 200 for p in players):
        return _line_error(line, "tên thiết bị dài quá 200 ký tự (player name too long)")
    return StationLine(
        line, value["code"], value["unit"], value["name"], [str(w) for w in windows], players
    )


def read_stations(text: str) -> list[StationLine]:
    """The file's lines, checked without the database; StationImportError lists what is wrong.

    Cases: the header must name code, unit, name and windows (any order, players
    optional), separated by "," or, when the header has no comma, ";"; blank lines
    are skipped; line numbers are the file's own, header included; a code given
    twice is refused on its second line.
    """
    if "\x00" in text:  # no database stores it (PostgreSQL refuses it in text)
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise StationImportError([_line_error(line, "có ký tự NUL (a NUL character)")])
    first = text.split("\n", 1)[0]
    # Excel under Vietnamese regional settings (decimal comma) separates columns with ";".
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _read_lines(reader)
    except csv.Error as err:  # a field past csv's limit (128 KiB): a broken file, not a crash
        raise StationImportError([_line_error(
            reader.line_num + 1, "dòng CSV không đọc được, trường quá dài (unreadable CSV line)"
        )]) from err


def _read_lines(reader: csv.DictReader[str]) -> list[StationLine]:
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise StationImportError([_line_error(1, (
            f"thiếu cột {', '.join(missing)}; cần code, unit, name, windows[, players] "
            "(missing columns)"))])
    reader.fieldnames = header
    lines: list[StationLine] = []
    errors: list[str] = []
    first_seen: dict[str, int] = {}
    for raw in reader:
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        checked = _check_line(reader.line_num, raw)
        if isinstance(checked, str):
            errors.append(checked)
            continue
        if checked.code in first_seen:
            errors.append(_line_error(checked.line, (
                f"mã đài {checked.code!r} trùng với dòng {first_seen[checked.code]} "
                "(duplicate code)")))
            continue
        first_seen[checked.code] = checked.line
        lines.append(checked)
    if errors:
        raise StationImportError(errors)
    if not lines:
        raise StationImportError([_line_error(2, "tệp không có đài nào (no stations)")])
    return lines


def _existing_codes(session: Session, codes: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(codes), _CHUNK):
        part = codes[i : i + _CHUNK]
        found.update(session.scalars(select(Station.code).where(Station.code.in_(part))))
    return found


def import_stations(
    session: Session, text: str, allowed_units: Collection[int] | None = None
) -> Imported:
    """Add every station (and player) of the CSV ``text``, or none: StationImportError.

    ``allowed_units`` (an admin's subtree) limits the units stations may join; a
    unit outside it reads as unknown, so nothing outside the subtree is revealed.
    """
    lines = read_stations(text)
    # Only the units the admin may use are matched against: outside the subtree reads as
    # unknown, and no message (an ambiguous code's candidates) names a unit there.
    match = unit_matcher({
        code: (unit_id, name)
        for code, unit_id, name in session.execute(
            select(AdminUnit.code, AdminUnit.id, AdminUnit.name))
        if allowed_units is None or unit_id in allowed_units
    })
    taken = _existing_codes(session, [s.code for s in lines])
    errors = []
    unit_ids: dict[int, int] = {}
    for s in lines:
        unit_id = match(s.unit)
        if isinstance(unit_id, str):
            errors.append(_line_error(s.line, unit_id))
        elif s.code in taken:
            errors.append(_line_error(s.line, f"mã đài {s.code!r} đã tồn tại (code exists)"))
        else:
            unit_ids[s.line] = unit_id
    if errors:
        raise StationImportError(errors)
    added = session.execute(insert(Station).returning(Station.id), [
        {"code": s.code, "unit_id": unit_ids[s.line], "name": s.name, "kind": "commune",
         "timezone": VN_ZONE_NAME, "windows": s.windows}
        for s in lines
    ]).scalars().all()
    add_default_zones(session, list(added))
    result = Imported(stations=len(lines), windows=Counter(tuple(s.windows) for s in lines),
                      station_ids=list(added))
    wanted = [s for s in lines if s.players]
    if wanted:
        result.players = _add_players(session, wanted)
    session.flush()
    return result


def _add_players(session: Session, lines: list[StationLine]) -> list[tuple[str, str, int, str]]:
    codes = [s.code for s in lines]
    ids: dict[str, int] = {}
    for i in range(0, len(codes), _CHUNK):
        ids.update(session.execute(
            select(Station.code, Station.id).where(Station.code.in_(codes[i:i + _CHUNK]))
        ).all())
    made = [(s.code, name, secrets.token_urlsafe(32)) for s in lines for name in s.players]
    rows = session.execute(
        insert(Player).returning(Player.id, sort_by_parameter_order=True),
        [
            {"station_id": ids[code], "name": name, "token_hash": hash_token(token),
             "broker_password_hash": login_hash(token),
             "mode": PlayerMode.prefetch, "revoked": False, "health": {}}
            for code, name, token in made
        ],
    ).scalars().all()
    return [
        (code, name, player_id, token)
        for (code, name, token), player_id in zip(made, rows, strict=True)
    ]
