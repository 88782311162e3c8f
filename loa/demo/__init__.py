"""`loa demo`: a real province, two communes, a campaign and the month's programme."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from loa import migrate
from loa.clock import VN
from loa.db import transaction
from loa.playlists.campaigns import add_campaign
from loa.playlists.models import Programme
from loa.playlists.programmes import approve, import_programme
from loa.playlists.rendering import render
from loa.playlists.review import sign_approval, submit
from loa.scheduler.service import plan
from loa.services import Services
from loa.stations.accounts import User
from loa.stations.models import AdminUnit
from loa.stations.players import add_player
from loa.stations.service import add_station
from loa.stations.units import get_unit, import_units
from loa.web.users import add_user

HERE = Path(__file__).parent
PROVINCE = "31"  # Thành phố Hải Phòng, official code of the 2025 reform
COMMUNES = ("11560", "11557")  # Phường Thủy Nguyên, Phường Thiên Hương
DEMO_PASSWORD = "loa-demo-2026"
OPERATOR, LEADER = "canbo", "lanhdao"
DEMO_USERS = (
    ("admin", "admin"),
    (OPERATOR, "operator"),
    ("kiemtra", "auditor"),
    (LEADER, "leader"),
)


def _jingle(folder: Path) -> Path:
    """A short synthetic jingle (three rising tones), made here rather than downloaded."""
    path = folder / "jingle.mp3"
    if not path.exists():
        tones = "".join(
            f"sine=frequency={f}:duration=0.6[t{i}];" for i, f in enumerate((523, 659, 784))
        )
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-filter_complex",
                f"{tones}[t0][t1][t2]concat=n=3:v=0:a=1,afade=t=out:st=1.4:d=0.4",
                path,
            ],
            check=True,
        )
    return path


def _programme_file(folder: Path, month: str) -> Path:
    text = (HERE / "programme.toml").read_text(encoding="utf-8").replace("{month}", month)
    path = folder / "programme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def seed_demo(services: Services) -> Iterator[str]:
    """Seed once (running again keeps what is there), render, approve and plan the month."""
    migrate.upgrade(services.settings.database_url)
    now = services.clock.now()
    month = now.astimezone(VN).strftime("%Y-%m")
    folder = services.settings.home / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    with transaction(services.sessions) as session:
        if session.scalar(select(AdminUnit.id).where(AdminUnit.code == PROVINCE)) is None:
            import_units(session, PROVINCE)
            for i, code in enumerate(COMMUNES, start=1):
                ward = get_unit(session, code).name
                add_station(session, f"HP-{code}", code, f"Đài truyền thanh {ward}")
                _, token = add_player(session, f"HP-{code}", f"Cụm loa {i}")
                yield f"Thiết bị phát của đài HP-{code}: token {token}"
            add_campaign(
                session, services.store, "CDS", "Chuyển đổi số", PROVINCE, jingle=_jingle(folder)
            )
    with transaction(services.sessions) as session:
        for username, role in DEMO_USERS:  # a demo seeded before a role existed gains its user
            if session.scalar(select(User.id).where(User.username == username)) is None:
                add_user(session, username, DEMO_PASSWORD, role, PROVINCE)
        names = ", ".join(name for name, _ in DEMO_USERS)
        yield f"Người dùng: {names} — mật khẩu {DEMO_PASSWORD}"
    with transaction(services.sessions) as session:
        programme = session.scalar(select(Programme).where(Programme.month == month))
        if programme is None or programme.status.value == "draft":
            programme = import_programme(session, services.store, _programme_file(folder, month))
            yield f"Đang dựng chương trình {programme.id} (rendering)…"
            outcome = render(session, services.store, services.settings, programme.id, now)
            yield f"Đã dựng: {(outcome.programme.duration_ms or 0) / 1000:.0f} giây"
            # canbo wrote and submitted it, lanhdao approved it: the page shows who and when.
            programme.created_by = OPERATOR
            submit(session, programme.id, OPERATOR, now)
            sign_approval(session, programme.id, LEADER)
            approve(session, programme.id, now)
        report = plan(session, month, now, services.settings.airing_gap)
    for row in report.rows:
        yield f"Lịch tháng {month}, đài {row.station}: {row.total} lượt phát"
