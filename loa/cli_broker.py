"""`loa broker`: the Mosquitto password files, kept in step with the players (design §5)."""

from __future__ import annotations

from pathlib import Path

import click

from loa.cli_context import LoaContext, pass_loa
from loa.db import transaction
from loa.errors import LoaError

# The server's login publishes to every player: a password nobody guesses.
MIN_SERVER_PASSWORD = 16
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"
# After a player is added, rotated or revoked: where its broker login changes.
PASSWD_HINT = ("Tài khoản MQTT đổi khi tệp mật khẩu được ghi lại: loa broker passwd-file "
               "(the broker login changes once the password file is rewritten: "
               "loa broker passwd-file --out …, then reload mosquitto)")
RELOAD_HINT = ("Nạp lại Mosquitto để áp dụng: systemctl reload mosquitto "
               "(reload the broker to apply: systemctl reload mosquitto, or kill -HUP its pid)")


@click.group()
def broker() -> None:
    """Tài khoản MQTT của thiết bị phát và máy chủ (the broker's logins)."""


@broker.command("passwd-file")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The players' password file (mosquitto's password_file of the player "
                   "listener).")
@click.option("--server-out", type=click.Path(dir_okay=False, path_type=Path),
              help="The server's password file (its own listener): the login in LOA_MQTT_URL.")
@pass_loa
def passwd_file(loa: LoaContext, out: Path, server_out: Path | None) -> None:
    """Write the broker's password files from the players (not revoked) and LOA_MQTT_URL.

    A file already up to date is left alone, so this may run every minute; the
    broker reads a changed file when it is reloaded (SIGHUP).
    """
    from loa.player.broker import parse_broker_url
    from loa.stations.broker_auth import (
        players_password_lines,
        server_password_line,
        write_password_file,
    )

    server_line = None
    if server_out is not None:
        url = loa.services.settings.mqtt_url
        address = parse_broker_url(url) if url else None
        if address is None or not address.username or not address.password:
            raise LoaError("LOA_MQTT_URL phải có tên và mật khẩu của máy chủ, "
                           "vd. mqtt://loa-server:MẬT-KHẨU@127.0.0.1:1884 (LOA_MQTT_URL must "
                           "carry the server's broker login)")
        if len(address.password) < MIN_SERVER_PASSWORD:
            raise LoaError(f"Mật khẩu MQTT của máy chủ phải dài ít nhất {MIN_SERVER_PASSWORD} "
                           f"ký tự; tạo một mật khẩu: {GENERATE} (the server's broker password "
                           f"must be at least {MIN_SERVER_PASSWORD} characters)")
        server_line = server_password_line(address.username, address.password, server_out)
    with transaction(loa.services.sessions) as session:
        lines, without = players_password_lines(session)
    changed = write_password_file(out, lines)
    click.echo(f"{out}: {len(lines)} thiết bị, {'đã ghi' if changed else 'không đổi'} "
               f"({len(lines)} players, {'written' if changed else 'unchanged'})")
    if server_out is not None and server_line is not None:
        server_changed = write_password_file(server_out, [server_line])
        changed = changed or server_changed
        click.echo(f"{server_out}: {'đã ghi' if server_changed else 'không đổi'} "
                   f"({'written' if server_changed else 'unchanged'})")
    if without:
        click.echo(f"{without} thiết bị chưa có tài khoản MQTT: cấp lại mã bằng `loa player "
                   f"rotate-token ID` ({without} players have no broker login yet: rotate "
                   f"their token)", err=True)
    if changed:
        click.echo(RELOAD_HINT, err=True)
