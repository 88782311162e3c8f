"""The ``loa`` command line: the contract other tools script against.

Commands are loaded when they run, not when ``loa`` starts: `loa --help` lists
them from the table below without importing a database driver, Flask or the
audio libraries (tests/test_cli_start.py checks it), so it answers at once.
"""

from __future__ import annotations

from typing import Any

import click

from loa.cli_context import LoaGroup
from loa.collector import pause_for_start_up

# name -> (module, attribute, the one line `loa --help` shows). A new command: one row here.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "acronym": ("loa.cli_admin", "acronym",
                "Từ viết tắt và cách đọc (the operators' acronym dictionary)."),
    "audit": ("loa.cli_programme", "audit", "Kiểm tra, báo cáo (audit and reports)."),
    "backup": ("loa.cli_ops", "backup",
               "Sao lưu cơ sở dữ liệu và kho âm thanh vào một tệp (back up to one file)."),
    "broker": ("loa.cli_broker", "broker",
               "Tài khoản MQTT của thiết bị và máy chủ (the broker's password files)."),
    "bulletin": ("loa.cli_bulletin", "bulletin",
                 "Thông báo, bản tin khẩn cấp (bulletins and emergency broadcasts)."),
    "campaign": ("loa.cli_admin", "campaign", "Chiến dịch truyền thông (campaigns)."),
    "cap": ("loa.cli_cap", "cap", "Cảnh báo CAP 1.2: nguồn tin tự động (CAP 1.2 alert feeds)."),
    "demo": ("loa.cli_serve", "demo", "Seed Hải Phòng, two communes, a campaign and a rendered "
             "programme, and serve."),
    "init": ("loa.cli_init", "init", "Create or upgrade the database to the newest schema."),
    "notify": ("loa.cli_notify", "notify",
               "Cảnh báo: `loa notify test --user NAME` (alerts by e-mail and webhook)."),
    "plan": ("loa.cli_programme", "plan_command",
             "Plan the required airings of every campaign on every station for a month."),
    "player": ("loa.cli_admin", "player", "Thiết bị phát (players)."),
    "programme": ("loa.cli_programme", "programme",
                  "Chương trình phát thanh hằng tháng (monthly programmes)."),
    "relay": ("loa.cli_relay", "relay",
              "Tiếp sóng VOV, đài tỉnh (relay sources and relay slots)."),
    "restore": ("loa.cli_ops", "restore",
                "Khôi phục từ tệp sao lưu (restore a backup into an empty database)."),
    "scheduler": ("loa.cli_serve", "scheduler_command",
                  "Run the scheduler's jobs alone (beside `loa web`); one leader among all."),
    "secret": ("loa.cli_secret", "secret",
               "Khóa ký phiên đăng nhập: `loa secret generate` (the LOA_SECRET_KEY)."),
    "serve": ("loa.cli_serve", "serve", "Serve the web UI and the player API (waitress)."),
    "simulate": ("loa.cli_serve", "simulate",
                 "Run N reference agents against a fresh server on simulated time."),
    "station": ("loa.cli_admin", "station", "Đài truyền thanh (stations)."),
    "tts": ("loa.cli_tts", "tts",
            "Đọc văn bản tiếng Việt (TTS): chuẩn hóa và thử giọng đọc."),
    "unit": ("loa.cli_admin", "unit", "Đơn vị hành chính (admin units)."),
    "user": ("loa.cli_users", "user", "Người dùng (users)."),
    "web": ("loa.cli_serve", "web", "Serve the web UI and the player API with gunicorn workers."),
    "worker": ("loa.cli_ops", "worker", "Run queued render jobs (beside `loa web`)."),
    "zone": ("loa.cli_zones", "zone", "Cụm loa của đài (a station's loudspeaker zones)."),
}


class _Commands(dict[str, click.Command]):
    """The group's commands: a listed one is imported the first time it is asked for."""

    def __missing__(self, name: str) -> click.Command:
        if name not in COMMANDS:
            raise KeyError(name)
        import importlib

        module, attribute, _ = COMMANDS[name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        self[name] = command
        return command

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or super().__contains__(name)


class LazyGroup(LoaGroup):
    """A group whose commands are imported only when one of them runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(self.commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        try:
            return self.commands[cmd_name]
        except KeyError:
            return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing of `loa --help`, from the table: no command is imported for it."""
        rows = [
            (name, COMMANDS[name][2] if name in COMMANDS else self._short_help(ctx, name))
            for name in self.list_commands(ctx)
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def _short_help(self, ctx: click.Context, name: str) -> str:
        command = self.get_command(ctx, name)
        return command.get_short_help_str() if command is not None else ""


@click.group(cls=LazyGroup)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Loa: phát thanh cơ sở tự động (broadcast automation for grassroots radio)."""
    from loa.cli_context import prepare

    prepare(ctx)


def main() -> None:
    pause_for_start_up()  # until the command has loaded (``prepare``)
    cli(prog_name="loa")
