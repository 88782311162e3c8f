"""Commands that keep the unit tree, stations, players and campaigns (users: loa.cli_users)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from loa.audio.tts import engine_names
from loa.cli_broker import PASSWD_HINT
from loa.cli_context import ROW_ID, LoaContext, pass_loa
from loa.clock import VN_ZONE_NAME
from loa.compliance import keylog
from loa.db import transaction
from loa.errors import LoaError
from loa.playlists.campaigns import add_campaign
from loa.playlists.lexicon import remove_acronym, set_acronym, unit_acronyms
from loa.stations.cli import PLAYER_COMMANDS
from loa.stations.players import add_player
from loa.stations.service import DEFAULT_WINDOWS, add_station
from loa.stations.units import add_unit, get_unit, import_units, set_unit_report

CLI_USER = "loa (dòng lệnh)"  # who revoked or rotated, as the chain entry records it


@click.group()
def unit() -> None:
    """Đơn vị hành chính (admin units)."""


@unit.command("add")
@click.argument("code")
@click.argument("name")
@click.option(
    "--level", required=True, type=click.Choice(["country", "province", "district", "commune"])
)
@click.option("--parent", "parent_code", help="Mã đơn vị cấp trên (parent unit code)")
@pass_loa
def unit_add(loa: LoaContext, code: str, name: str, level: str, parent_code: str | None) -> None:
    """Add the country, a province, district or commune."""
    with transaction(loa.services.sessions) as session:
        added = add_unit(session, code, name, level, parent_code)
        click.echo(f"Đã thêm đơn vị {added.code} {added.name} ({added.level.value})")


@unit.command("set")
@click.argument("code")
@click.option("--signer-name", help="Người ký báo cáo, ví dụ Nguyễn Văn A")
@click.option("--signer-title", help="Chức vụ người ký, ví dụ KT. CHỦ TỊCH / PHÓ CHỦ TỊCH")
@click.option("--place", help="Địa danh ghi trên báo cáo, ví dụ Hải Phòng")
@click.option("--report-to", help="Kính gửi, ví dụ UBND thành phố Hải Phòng")
@pass_loa
def unit_set(loa: LoaContext, code: str, **fields: str | None) -> None:
    """Set who signs the unit's reports, where, and to whom they go ("" clears one)."""
    with transaction(loa.services.sessions) as session:
        changed = set_unit_report(session, code, **fields)
        click.echo(
            f"{code}: ký {changed.signer_title or '—'} "
            f"{changed.signer_name or '—'}, địa danh {changed.place or '—'}, "
            f"kính gửi {changed.report_to or '—'}"
        )


@unit.command("import")
@click.option("--province", "province_code", help="Chỉ một tỉnh, ví dụ 31 (Hải Phòng)")
@pass_loa
def unit_import(loa: LoaContext, province_code: str | None) -> None:
    """Load the official provinces and communes of the 2025 reform (all: under the country VN)."""
    with transaction(loa.services.sessions) as session:
        added, kept = import_units(session, province_code)
    click.echo(f"Đã thêm {added} xã/phường, giữ nguyên {kept} (added {added}, kept {kept})")


@click.group()
def station() -> None:
    """Đài truyền thanh (stations)."""


@station.command("add")
@click.argument("code")
@click.option("--unit", "unit_code", required=True)
@click.option("--name", required=True)
@click.option("--windows", default=DEFAULT_WINDOWS, show_default=True)
@click.option("--timezone", default=VN_ZONE_NAME, show_default=True)
@pass_loa
def station_add(
    loa: LoaContext, code: str, unit_code: str, name: str, windows: str, timezone: str
) -> None:
    """Add a station with its broadcast windows (local time), each with its own days."""
    from loa.stations.service import station_windows
    from loa.stations.windows import windows_in_words

    with transaction(loa.services.sessions) as session:
        added = add_station(session, code, unit_code, name, windows, timezone)
        planned = _plan_new(loa, session, [added.id])
        click.echo(f"Đã thêm đài {added.code}: {added.name}, khung giờ "
                   f"{windows_in_words(station_windows(added))}")
    click.echo(f"Đã xếp {planned} lượt phát (planned {planned} airings)")


@station.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--tokens",
    "tokens_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ghi mã truy cập của thiết bị vào tệp CSV này (the new players' tokens, shown once)",
)
@pass_loa
def station_import(loa: LoaContext, file: Path, tokens_file: Path | None) -> None:
    """Add the stations of a CSV file (code, unit, name, windows[, players]): all or none."""
    from loa.stations.bulk import decode_csv, import_stations

    text = decode_csv(file.read_bytes())
    with transaction(loa.services.sessions) as session:
        done = import_stations(session, text)
        if done.players and tokens_file is None:
            raise LoaError(
                "Tệp có thiết bị: cần --tokens FILE để ghi mã truy cập, chỉ hiện một lần "
                "(players need --tokens FILE)"
            )
        if done.players and tokens_file is not None:
            _write_tokens(tokens_file, done.players)
        planned = _plan_new(loa, session, done.station_ids)
    click.echo(
        f"Đã thêm {done.stations} đài, {len(done.players)} thiết bị, xếp {planned} lượt phát "
        f"(added {done.stations} stations, {len(done.players)} players, {planned} airings)"
    )
    for count, said in done.windows_said():
        click.echo(f"  {count} đài (stations) — {said}")


def _plan_new(loa: LoaContext, session: Session, station_ids: list[int]) -> int:
    """Plan the due months of new stations at once (not at the nightly job): airings added."""
    from loa.scheduler.plan_months import plan_due_months

    reports = plan_due_months(session, loa.services.clock.now(),
                              loa.services.settings.airing_gap, station_ids)
    return sum(row.planned for report in reports for row in report.rows)


def _write_tokens(path: Path, players: list[tuple[str, str, int, str]]) -> None:
    """The tokens file, readable by its owner only: whoever holds a token is the player."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as out:
        path.chmod(0o600)
        # "\n", not csv's "\r\n": a token copied from a line must not bring a CR along.
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["station", "player", "player_id", "token"])
        writer.writerows(players)


@click.group()
def player() -> None:
    """Thiết bị phát (players)."""


@player.command("add")
@click.argument("station_code")
@click.option("--name", required=True)
@click.option("--mode", default="prefetch", type=click.Choice(["prefetch", "live"]))
@click.option("--zone", "zone_code", help="Mã cụm loa (zone code; default: the station's own)")
@pass_loa
def player_add(
    loa: LoaContext, station_code: str, name: str, mode: str, zone_code: str | None
) -> None:
    """Add a player; its token is shown once and only its hash is kept."""
    with transaction(loa.services.sessions) as session:
        added, token = add_player(session, station_code, name, mode, zone_code)
        player_id = added.id
    _echo_credentials(player_id, token)
    click.echo(
        "Lưu mã này ngay, nó sẽ không hiện lại (store the token now; it is not shown again)",
        err=True,
    )


def _echo_credentials(player_id: int, token: str) -> None:
    """The token and the broker login it gives (the reference agent derives the login itself).

    The token stays the last line, where scripts written before broker logins read it.
    """
    from loa.player.broker import player_password, player_username

    click.echo(PASSWD_HINT, err=True)
    click.echo(f"player_id: {player_id}")
    click.echo(f"mqtt_username: {player_username(player_id)}")
    click.echo(f"mqtt_password: {player_password(token)}")
    click.echo(f"token: {token}")


@player.command("rotate-token")
@click.argument("player_id", type=ROW_ID)
@pass_loa
def player_rotate_token(loa: LoaContext, player_id: int) -> None:
    """Give a player a new token (printed once); the old one stops working."""
    with transaction(loa.services.sessions) as session:
        token = keylog.rotate(session, player_id, loa.services.clock.now(), CLI_USER)
    _echo_credentials(player_id, token)


@player.command("revoke")
@click.argument("player_id", type=ROW_ID)
@pass_loa
def player_revoke(loa: LoaContext, player_id: int) -> None:
    """Refuse a player's token from now on (its past events stay verifiable)."""
    with transaction(loa.services.sessions) as session:
        keylog.revoke(session, player_id, loa.services.clock, CLI_USER)
    click.echo(f"Đã thu hồi thiết bị {player_id} (player revoked)")
    click.echo(PASSWD_HINT, err=True)


@player.command("revoke-key")
@click.argument("player_id", type=ROW_ID)
@click.argument("key")
@pass_loa
def player_revoke_key(loa: LoaContext, player_id: int, key: str) -> None:
    """Stop one key of a player signing (KEY: its id or base64, see `loa player keys`)."""
    with transaction(loa.services.sessions) as session:
        row = keylog.revoke_key(session, player_id, key, loa.services.clock, CLI_USER)
        key_id = row.id
    click.echo(f"Đã thu hồi khóa {key_id} của thiết bị {player_id} (key revoked)")


@player.command("keys")
@click.argument("player_id", type=ROW_ID)
@pass_loa
def player_keys(loa: LoaContext, player_id: int) -> None:
    """List a player's keys as its station's chain has them: id, key, enrolled, in use."""
    from loa.compliance.key_entries import chain_key_entries
    from loa.stations.players import get_player

    with transaction(loa.services.sessions) as session:
        found = get_player(session, player_id)
        _enrolled, revoked = chain_key_entries(session, found)
        for row in sorted(found.keys, key=lambda k: k.id):
            state = "revoked" if row.public_key in revoked else "in use"
            click.echo(f"{row.id}\t{keylog.key_text(row.public_key)}\t"
                       f"{row.enrolled_at.isoformat(timespec='seconds')}\t{state}")


for _command in PLAYER_COMMANDS:
    player.add_command(_command)


@click.group()
def campaign() -> None:
    """Chiến dịch truyền thông (campaigns)."""


@campaign.command("add")
@click.argument("code")
@click.option("--title", required=True)
@click.option("--unit", "unit_code", required=True)
@click.option("--min-airings", default=3, show_default=True, type=int)
@click.option("--min-minutes", default=10.0, show_default=True, type=float)
@click.option("--max-minutes", default=15.0, show_default=True, type=float)
@click.option("--first-month", help="YYYY-MM")
@click.option("--last-month", help="YYYY-MM")
@click.option("--jingle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tts-engine", default="espeak-ng", show_default=True,
              type=click.Choice(engine_names()))
@click.option("--tts-voice", default="vi", show_default=True,
              help="vi, vi-vn-x-central, vi-vn-x-south (espeak-ng); vi (gtts)")
@click.option(
    "--allow-resume",
    is_flag=True,
    help="Cho phép phát tiếp khi thiết bị khởi động lại giữa chừng (resume after a restart)",
)
@pass_loa
def campaign_add(loa: LoaContext, code: str, title: str, unit_code: str, **options: Any) -> None:
    """Add a campaign: one programme a month, its length bounds and how often it airs."""
    with transaction(loa.services.sessions) as session:
        added = add_campaign(session, loa.services.store, code, title, unit_code, **options)
        click.echo(f"Đã thêm chiến dịch {added.code}: {added.topic}")


@click.group()
def acronym() -> None:
    """Từ viết tắt và cách đọc (the operators' acronym dictionary for TTS)."""


UNIT_OPTION = click.option(
    "--unit", "unit_code",
    help="Mã đơn vị: chỉ dùng cho chương trình của đơn vị đó và cấp dưới (none: every unit)",
)


@acronym.command("add")
@click.argument("word")
@click.argument("spoken")
@UNIT_OPTION
@pass_loa
def acronym_add(loa: LoaContext, word: str, spoken: str, unit_code: str | None) -> None:
    """Read WORD as SPOKEN from now on in the unit's subtree (also changes an existing one)."""
    with transaction(loa.services.sessions) as session:
        owner = get_unit(session, unit_code) if unit_code else None
        added = set_acronym(session, word, spoken, owner)
        click.echo(f"{added.word} → {added.spoken}")


@acronym.command("remove")
@click.argument("word")
@UNIT_OPTION
@pass_loa
def acronym_remove(loa: LoaContext, word: str, unit_code: str | None) -> None:
    """Forget a unit's acronym (what it inherits, or the built-in reading, applies again)."""
    with transaction(loa.services.sessions) as session:
        remove_acronym(session, word, get_unit(session, unit_code) if unit_code else None)
    click.echo(f"Đã xóa {word}")


@acronym.command("list")
@UNIT_OPTION
@pass_loa
def acronym_list(loa: LoaContext, unit_code: str | None) -> None:
    """The acronyms a unit added (without --unit: the global ones)."""
    with transaction(loa.services.sessions) as session:
        owner = get_unit(session, unit_code) if unit_code else None
        for word, spoken in unit_acronyms(session, owner).items():
            click.echo(f"{word}\t{spoken}")
