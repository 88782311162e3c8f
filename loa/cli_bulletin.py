"""`loa bulletin`: send, list, approve, cancel and show bulletins (thông báo).

Only click and the context load at start; the database and audio modules load
inside each command, so `loa --help` stays quick.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from loa.cli_context import ROW_ID, LoaContext, pass_loa
from loa.cli_series import hourly_minutes, named_series, series_command, series_options
from loa.cli_templates import templates
from loa.playlists.bulletin_limits import MAX_REPEAT_EVERY_S, MAX_REPEATS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from loa.playlists.bulletin_delivery import StationDelivery, ZoneDelivery
    from loa.playlists.bulletins import PlaceSlots
    from loa.playlists.models import Bulletin
    from loa.stations.models import AdminUnit


def _instant(value: str | None, what: str) -> datetime | None:
    """An ISO instant from the command line; without an offset it is Vietnam time."""
    from loa.clock import VN
    from loa.errors import LoaError

    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise LoaError(f"{what} phải là thời điểm ISO, ví dụ 2026-12-01T17:00+07:00 "
                       f"({what} must be ISO 8601)") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=VN)
    return at.astimezone(UTC)


def _acting_user(session: Session, username: str, unit: AdminUnit) -> tuple[str, str]:
    """(username, role) of ``--by``, who must belong to the owner unit or a unit above it."""
    from sqlalchemy import select

    from loa.errors import LoaError
    from loa.stations.accounts import User
    from loa.stations.units import ancestors
    from loa.web.users import normal_username

    user = session.scalar(select(User).where(User.username == normal_username(username)))
    if user is None:
        raise LoaError(f"Không có người dùng {username!r} (unknown user)")
    if user.unit_id not in {u.id for u in ancestors(unit)}:
        raise LoaError(f"Người dùng {user.username} không thuộc đơn vị {unit.code} hay cấp trên "
                       "(user outside this unit)")
    return user.username, str(user.role)


def _slot_placer(gap: timedelta) -> PlaceSlots:
    """The scheduler's slot placer, loaded only when a bulletin goes into windows: an
    emergency plays at once, and the scheduler's modules would delay it (about 0.1 s)."""

    def place(session: Session, bulletin: Bulletin, now: datetime) -> object:
        from loa.scheduler.bulletin_slots import slot_placer

        return slot_placer(gap)(session, bulletin, now)

    return place


@click.group()
def bulletin() -> None:
    """Thông báo, bản tin khẩn cấp (bulletins and emergency broadcasts)."""


@bulletin.command("send")
@click.option("--unit", "unit_code", required=True, help="Đơn vị sở hữu (owner unit code)")
@click.option("--station", "station_codes", multiple=True,
              help="Chỉ gửi tới đài này (a target station; repeatable)")
@click.option("--target-unit", "target_units", multiple=True,
              help="Gửi tới đơn vị này và cấp dưới (a target unit; repeatable)")
@click.option("--zone", "zone_codes", multiple=True,
              help="Chỉ cụm loa này của đài --station (one zone of the one --station; "
                   "repeatable)")
@click.option("--variant", "variant_files", multiple=True, metavar="LANG=FILE",
              help="Bản ghi âm tiếng dân tộc, ví dụ hmn=ban-hmong.mp3 (a recorded language "
                   "variant; repeatable)")
@click.option("--priority", type=click.Choice(["normal", "priority", "emergency"]),
              help="Mức ưu tiên; với --template mặc định theo mẫu (with --template: the "
                   "template's)")
@click.option("--template", "template_name",
              help="Soạn từ mẫu, xem `loa bulletin templates` (start from a template)")
@click.option("--field", "fields", multiple=True, metavar="KEY=VALUE",
              help="Điền một chỗ trống của mẫu (fill a blank of the template; repeatable)")
@click.option("--text", help="Nội dung đọc bằng giọng máy (text to speak)")
@click.option("--file", "audio", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tệp ghi âm (a recording)")
@click.option("--title", help="Tiêu đề (title)")
@click.option("--repeat", "repeat_count", type=click.IntRange(1, MAX_REPEATS), default=None,
              help="Số lần phát; với --every mà không có --repeat: phát lại đến hết hiệu lực "
                   "(plays; --every alone repeats until the window ends)")
@click.option("--every", "every_min", type=click.IntRange(0, MAX_REPEAT_EVERY_S // 60), default=0,
              help="Cách nhau bao nhiêu phút (minutes between plays)")
@click.option("--from", "valid_from", help="Bắt đầu, ISO (start)")
@click.option("--until", "valid_until", help="Hết hiệu lực, ISO (end of validity)")
@click.option("--by", "by", help="Người gửi (username); bỏ trống: script, gửi ngay")
@series_options
@pass_loa
def send(loa: LoaContext, unit_code: str, station_codes: tuple[str, ...],
         target_units: tuple[str, ...], zone_codes: tuple[str, ...],
         variant_files: tuple[str, ...], priority: str | None, template_name: str | None,
         fields: tuple[str, ...], text: str | None, audio: Path | None,
         title: str | None, repeat_count: int | None, every_min: int, valid_from: str | None,
         valid_until: str | None, by: str | None, series: str | None, every_hours: str | None,
         on_the_hour: bool, night: bool) -> None:
    """Create a bulletin and send it (an operator's normal/priority one waits for approval).

    With --template, the title, text, priority, repeats and validity default to the
    template's, and the bulletin is refused while a blank is left (see `templates`).
    With --zone, only those zones of the one --station hear it; each --variant plays in
    the zones of its language instead of the Vietnamese audio.
    """
    from loa.db import transaction
    from loa.errors import LoaError
    from loa.playlists.bulletins import create_bulletin
    from loa.stations.service import get_station
    from loa.stations.units import get_unit
    from loa.stations.zones import get_zone

    if fields and not template_name:
        raise LoaError("--field cần --template (--field needs --template)")
    if zone_codes and len(station_codes) != 1:
        raise LoaError("--zone cần đúng một --station (--zone needs exactly one --station)")
    variants = _variants(variant_files)
    every_min = hourly_minutes(every_min, every_hours, on_the_hour)
    if every_min and repeat_count == 1:
        raise LoaError("--every cần --repeat N (N > 1) (--every needs --repeat N above 1)")
    if repeat_count is not None and repeat_count > 1 and not every_min:
        raise LoaError("--repeat N cần --every PHÚT (--repeat needs --every MINUTES)")
    services = loa.services
    with transaction(services.sessions) as session:
        unit = get_unit(session, unit_code)
        author, role = _acting_user(session, by, unit) if by else (None, None)
        if template_name:
            from datetime import timedelta

            from loa.cli_templates import drafted_bulletin

            drafted = drafted_bulletin(template_name, fields, unit.name, title=title, text=text,
                                       recording=audio is not None)
            title, text, priority = drafted.title, drafted.text, priority or drafted.priority
            if repeat_count is None and not every_min and drafted.repeat_count > 1:
                repeat_count, every_min = drafted.repeat_count, drafted.every_min
            valid_until = valid_until or (services.clock.now() + timedelta(
                hours=drafted.valid_hours)).isoformat()
        if priority is None:
            raise LoaError("Chưa chọn --priority (choose --priority)")
        in_series = named_series(session, unit, series, author, services.clock)
        created = create_bulletin(
            session, unit=unit, author=author, role=role, title=title, priority=priority,
            text=text, audio=audio,
            unit_targets=[get_unit(session, c) for c in target_units],
            station_targets=[get_station(session, c) for c in station_codes
                             if not zone_codes],
            zone_targets=[get_zone(session, get_station(session, station_codes[0]), z)
                          for z in zone_codes],
            variants=variants,
            valid_from=_instant(valid_from, "--from"),
            valid_until=_instant(valid_until, "--until"),
            repeat_count=repeat_count if every_min else 1, repeat_every_s=every_min * 60,
            store=services.store, clock=services.clock,
            place_slots=_slot_placer(services.settings.airing_gap),
            series=in_series, on_the_hour=on_the_hour, night=night,
        )
        click.echo(created.id)


def _variants(given: tuple[str, ...]) -> dict[str, Path]:
    """--variant LANG=FILE, each language once, each file there."""
    from loa.errors import LoaError

    found: dict[str, Path] = {}
    for item in given:
        language, sep, file = item.partition("=")
        language = language.strip()
        if not sep or not language or not file:
            raise LoaError(f"--variant {item!r}: cần NGÔN_NGỮ=TỆP, ví dụ hmn=ban-hmong.mp3 "
                           "(--variant needs LANG=FILE)")
        if language in found:
            raise LoaError(f"--variant: tiếng {language} hai lần (language given twice)")
        if not Path(file).is_file():
            raise LoaError(f"--variant: không thấy tệp {file!r} (no such file)")
        found[language] = Path(file)
    return found


@bulletin.command("list")
@click.option("--unit", "unit_code", help="Chỉ của đơn vị này và cấp dưới (this unit's subtree)")
@pass_loa
def list_command(loa: LoaContext, unit_code: str | None) -> None:
    """Bulletins, newest first: id, priority, status, sent time, title."""
    from sqlalchemy import select

    from loa.db import transaction
    from loa.playlists.bulletins import end_past_bulletins
    from loa.playlists.models import Bulletin
    from loa.stations.units import get_unit, subtree_ids

    with transaction(loa.services.sessions) as session:
        end_past_bulletins(session, loa.services.clock.now())
        query = select(Bulletin).order_by(Bulletin.id.desc())
        if unit_code:
            query = query.where(
                Bulletin.unit_id.in_(subtree_ids(session, get_unit(session, unit_code))))
        for b in session.scalars(query):
            sent = _iso(b.sent_at) or "-"
            click.echo(f"{b.id}\t{b.priority.value}\t{b.status.value}\t{sent}\t{b.title}")


@bulletin.command("approve")
@click.argument("bulletin_id", type=ROW_ID)
@click.option("--by", "by", help="Lãnh đạo duyệt (the approving leader's username)")
@pass_loa
def approve(loa: LoaContext, bulletin_id: int, by: str | None) -> None:
    """Approve a pending normal or priority bulletin: it is sent."""
    from loa.db import transaction
    from loa.playlists.bulletins import approve_bulletin, get_bulletin
    from loa.scheduler.bulletin_slots import slot_placer

    with transaction(loa.services.sessions) as session:
        found = get_bulletin(session, bulletin_id)
        approver, role = _acting_user(session, by, found.unit) if by else (None, None)
        approve_bulletin(session, found, by=approver, role=role, clock=loa.services.clock,
                         place_slots=slot_placer(loa.services.settings.airing_gap))
        click.echo(f"Đã duyệt và gửi thông báo {found.id} (approved and sent)")


@bulletin.command("cancel")
@click.argument("bulletin_id", type=ROW_ID)
@click.option("--by", "by", help="Người hủy (username)")
@pass_loa
def cancel(loa: LoaContext, bulletin_id: int, by: str | None) -> None:
    """Cancel a bulletin: players stop it and drop its repeats."""
    from loa.db import transaction
    from loa.playlists.bulletins import cancel_bulletin, get_bulletin

    with transaction(loa.services.sessions) as session:
        found = get_bulletin(session, bulletin_id)
        who, role = _acting_user(session, by, found.unit) if by else (None, None)
        cancel_bulletin(session, found, by=who, role=role, clock=loa.services.clock)
        click.echo(f"Đã hủy thông báo {found.id} (cancelled)")


@bulletin.command("show")
@click.argument("bulletin_id", type=ROW_ID)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@pass_loa
def show(loa: LoaContext, bulletin_id: int, fmt: str) -> None:
    """A bulletin and its delivery table: each station's push, fetch, start, end and delay."""
    from loa.db import transaction
    from loa.playlists.bulletin_delivery import delivery
    from loa.playlists.bulletins import end_past_bulletins, get_bulletin

    with transaction(loa.services.sessions) as session:
        end_past_bulletins(session, loa.services.clock.now())
        found = get_bulletin(session, bulletin_id)
        rows = delivery(session, found)
        data = _show_data(found, rows, loa.services.clock.now())
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _show_text(data)


@bulletin.command("settings")
@click.option("--unit", "unit_code", required=True)
@click.option("--emergency-roles", help="Vai trò được gửi khẩn cấp, ví dụ leader,admin")
@click.option("--attention", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tín hiệu chú ý riêng của đơn vị (the unit's attention signal)")
@click.option("--inherit-attention", is_flag=True,
              help="Bỏ tín hiệu riêng: dùng của cấp trên (use the parent's signal again)")
@pass_loa
def settings(loa: LoaContext, unit_code: str, emergency_roles: str | None,
             attention: Path | None, inherit_attention: bool) -> None:
    """A unit's bulletin settings: who sends emergencies, and its attention signal."""
    from loa.db import transaction
    from loa.errors import LoaError
    from loa.playlists.bulletin_audio import set_attention
    from loa.playlists.bulletins import set_emergency_roles
    from loa.stations.units import get_unit

    if attention is not None and inherit_attention:
        raise LoaError("Chọn một: --attention hoặc --inherit-attention "
                       "(--attention or --inherit-attention, not both)")
    with transaction(loa.services.sessions) as session:
        unit = get_unit(session, unit_code)
        if emergency_roles is not None:
            set_emergency_roles(unit, emergency_roles.split(","))
        if attention is not None or inherit_attention:
            set_attention(session, loa.services.store, unit, attention)
        signal = unit.attention_sha256 or "(cấp trên / mặc định: inherited or default)"
        click.echo(f"{unit.code}: khẩn cấp (emergency): {unit.emergency_roles}; "
                   f"tín hiệu (attention): {signal}")


bulletin.add_command(templates)  # `loa bulletin templates` (loa/cli_templates.py)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="milliseconds")


def _show_data(b: Bulletin, rows: list[StationDelivery], now: datetime) -> dict[str, Any]:
    """The bulletin and, per station, its steps and delivery state (DESIGN §6): only a
    counted completion is ``completed``, and only those count in the top ``completed``."""
    from loa.playlists.delivery_states import DeliveryState

    started = sum(1 for r in rows if r.started_at is not None)
    states = [r.state(now) for r in rows]
    return {
        "id": b.id, "unit": b.unit.code, "title": b.title, "priority": b.priority.value,
        "status": b.status.value, "text": b.text, "audio_sha256": b.asset_sha256,
        "duration_ms": b.duration_ms, "valid_from": _iso(b.valid_from),
        "valid_until": _iso(b.valid_until), "repeat_count": b.repeat_count,
        "repeat_every_s": b.repeat_every_s, "created_by": b.created_by,
        "created_at": _iso(b.created_at), "approved_by": b.approved_by,
        "approved_at": _iso(b.approved_at), "sent_at": _iso(b.sent_at),
        "cancelled_by": b.cancelled_by, "cancelled_at": _iso(b.cancelled_at),
        "variants": [{"language": v.language, "sha256": v.asset_sha256,
                      "duration_ms": v.duration_ms} for v in b.variants],
        "zone_targets": sorted(f"{t.zone.station.code}/{t.zone.code}" for t in b.targets
                               if t.zone is not None),
        "stations": len(rows), "started": started,
        "completed": sum(state is DeliveryState.completed for state, _ in states),
        "delivery": [
            {"station": r.code, "name": r.name, "players": r.players,
             "pushed_at": _iso(r.pushed_at), "fetched_at": _iso(r.fetched_at),
             "started_at": _iso(r.started_at), "completed_at": _iso(r.completed_at),
             "plays": r.plays, "delay_ms": r.delay_ms, "state": state.value,
             "started": r.started_at is not None,
             "completed": state is DeliveryState.completed,
             "failed": state is DeliveryState.failed, "reason": reason,
             "zones": [_zone_data(z, now) for z in r.zones]}
            for r, (state, reason) in zip(rows, states, strict=True)
        ],
    }


def _zone_data(zone: ZoneDelivery, now: datetime) -> dict[str, Any]:
    """A zone's delivery: the audio its players were given (a variant names its sha256)."""
    state, reason = zone.state(now)
    return {"zone": zone.code, "name": zone.name, "language": zone.language,
            "sha256": zone.sha256, "players": len(zone.rows), "state": state.value,
            "completed": state.value == "completed", "reason": reason}


def _show_text(data: dict[str, Any]) -> None:
    click.echo(f"Thông báo {data['id']} [{data['priority']}, {data['status']}]: {data['title']}")
    click.echo(f"Gửi lúc (sent): {data['sent_at'] or '-'}   hiệu lực đến (until): "
               f"{data['valid_until']}")
    click.echo(f"Đã phát {data['completed']}/{data['stations']} đài (played through on "
               f"{data['completed']} of {data['stations']} stations; started on "
               f"{data['started']})")
    click.echo("station\tpushed\tfetched\tstarted\tcompleted\tplays\tdelay_ms\tstate\treason")
    for r in data["delivery"]:
        cells = [r["station"], r["pushed_at"], r["fetched_at"], r["started_at"],
                 r["completed_at"], r["plays"], r["delay_ms"], r["state"], r["reason"]]
        click.echo("\t".join("-" if c is None else str(c) for c in cells))
        if len(r["zones"]) > 1 or any(z["sha256"] != data["audio_sha256"] for z in r["zones"]):
            for z in r["zones"]:  # the zones of the station, each with the audio it was given
                click.echo(f"  {z['zone']}\t{z['language']}\t{z['state']}\t{z['sha256']}")


bulletin.add_command(series_command)
def _attach_offers() -> None:
    """The commune's answers to bulletins from above live in loa.cli_offers (TT39)."""
    from loa.cli_offers import accept, decline, offers

    for command in (offers, accept, decline):
        bulletin.add_command(command)


_attach_offers()


def _cap_commands() -> None:
    """`loa bulletin import-cap` lives with the other CAP commands (loa/cli_cap.py)."""
    from loa.cli_cap import import_cap

    bulletin.add_command(import_cap)


_cap_commands()
