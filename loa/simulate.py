"""Fleet simulator: N reference agents against a real server thread, on simulated time.

Also the pieces tests and benchmarks share: a server in a thread that can be
taken down and brought back on the same port, a clock that runs off the
server's, seeding a small world, and the loop that drives agents in simulated
time without sleeping.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from loa.clock import VN, FrozenClock
from loa.player.agent import Agent
from loa.player.clock import PlayerClock
from loa.player.config import AgentConfig

logger = logging.getLogger(__name__)


class SkewedClock:
    """Another clock shifted by a fixed offset: a player whose clock runs fast or slow."""

    def __init__(self, base: PlayerClock, offset: timedelta) -> None:
        self._base, self.offset = base, offset

    def now(self) -> datetime:
        return self._base.now() + self.offset

    def monotonic(self) -> float:
        """The base clock's count: changing ``offset`` later is a wall-clock step."""
        return self._base.monotonic()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Thousands of simulated requests would drown the output."""


class LiveServer:
    """The Flask app served over real HTTP from a thread; ``stop``/``start`` keep the port."""

    def __init__(self, app: Flask, host: str = "127.0.0.1") -> None:
        self.app, self.host, self.port = app, host, 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        self._server = make_server(self.host, self.port, self.app, threaded=True,
                                   request_handler=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)


def player_api_app(services: Any) -> Flask:
    """A Flask app serving only the player API over ``services`` (no operator pages)."""
    from loa.web import player_api

    app = Flask("loa.web")
    app.config.update(TESTING=True, MAX_CONTENT_LENGTH=256 * 1024 * 1024)
    app.extensions["loa"] = services
    app.register_blueprint(player_api.bp)
    return app


def run_until(agents: Iterable[Agent], clock: FrozenClock, until: datetime,
              after_tick: Callable[[datetime], None] | None = None) -> int:
    """Move ``clock`` (the server's) from wake-up to wake-up, ticking agents due; return ticks.

    Each agent's wake-up is measured on its own clock (which may run fast or
    slow), so time moves by the smallest wait any agent has.
    """
    agents = list(agents)
    ticks = stalled = 0
    while True:
        wait = min(a.next_wake() - a.now() for a in agents)
        if clock.now() + wait > until:
            clock.set(until)
            return ticks
        # An agent due again at once, over and over, must not stop time: nudge it on.
        stalled = stalled + 1 if wait <= timedelta(0) else 0
        clock.advance(seconds=max(wait.total_seconds(), 0.001 if stalled > 50 else 0.0))
        for agent in agents:
            if agent.next_wake() <= agent.now():
                agent.tick()
                ticks += 1
        if after_tick is not None:
            after_tick(clock.now())


def make_sine(path: Path, seconds: float = 1.0, frequency: int = 440) -> Path:
    """A short MP3 tone made by ffmpeg, as stand-in programme audio."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency={frequency}:duration={seconds}", "-ac", "1", "-b:a", "64k", str(path)],
        check=True,
    )
    return path


@dataclass
class SeededPlayer:
    player_id: int
    token: str
    station_id: int
    station_code: str


def seed_fleet(session: Session, store: Any, audio: Path, players: int, first: datetime,
               days: int, per_month: int = 3, duration_ms: int = 600_000) -> list[SeededPlayer]:
    """A province with ``players`` commune stations, one player each, and airings to play.

    The programme is approved with ``audio`` as its master; each station gets
    ``per_month`` airings per 30 days at 17:00 local, spread over ``days``.
    """
    from loa.playlists.models import Airing, AudioAsset, Campaign, Programme, ProgrammeStatus
    from loa.stations.players import add_player
    from loa.stations.service import add_station
    from loa.stations.units import add_unit

    stored = store.put_file(audio)
    session.merge(AudioAsset(sha256=stored.sha256, duration_ms=duration_ms, format="mp3",
                             bytes=stored.bytes))
    province = add_unit(session, "SIM", "Tỉnh mô phỏng", "province")
    tz = VN
    month = first.astimezone(tz).strftime("%Y-%m")
    campaign = Campaign(code="SIM-CDS", topic="Chuyển đổi số", unit=province)
    programme = Programme(campaign=campaign, unit=province, month=month, title="Chuyển đổi số",
                          status=ProgrammeStatus.approved, master_sha256=stored.sha256,
                          duration_ms=duration_ms, approved_at=first)
    session.add_all([campaign, programme])
    count = max(days * per_month // 30, 1)
    seeded = []
    for n in range(players):
        code = f"SIM{n:05d}"
        add_unit(session, f"U{code}", f"Xã mô phỏng {n}", "commune", "SIM")
        station = add_station(session, code, f"U{code}", f"Đài {code}")
        player, token = add_player(session, code, f"loa-{n}")
        local = first.astimezone(tz).replace(hour=17, minute=0, second=0, microsecond=0)
        for k in range(count):
            starts = (local + timedelta(days=1 + k * days // count)).astimezone(UTC)
            session.add(Airing(programme=programme, station_id=station.id, starts_at=starts))
        seeded.append(SeededPlayer(player.id, token, station.id, code))
    session.flush()
    return seeded


def simulate(players: int, days: int, start: datetime, poll_s: float = 3600.0,
             work: Path | None = None) -> dict[str, Any]:
    """Run ``players`` agents for ``days`` of simulated time; return what aired and arrived."""
    from loa import migrate
    from loa.app import build_services
    from loa.compliance.key_entries import SERVER_EVENTS
    from loa.compliance.models import AiringLogEntry
    from loa.settings import load_settings

    work = work or Path(tempfile.mkdtemp(prefix="loa-sim-"))
    settings = load_settings({"LOA_HOME": str(work / "server"), "LOA_SECRET_KEY": "sim"})
    settings.home.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    clock = FrozenClock(start)
    services = build_services(settings, clock=clock)
    with services.sessions.begin() as session:
        fleet = seed_fleet(session, services.store, make_sine(work / "tone.mp3"), players,
                           start, days)
    server = LiveServer(player_api_app(services)).start()
    agents = [
        Agent(AgentConfig(server=server.url, token=p.token, home=work / f"agent-{p.player_id}",
                          poll_s=poll_s, heartbeat_s=poll_s, bulletin_poll_s=poll_s), clock)
        for p in fleet
    ]
    try:
        ticks = run_until(agents, clock, start + timedelta(days=days))
        played = [entry for a in agents for entry in a.output.played]  # type: ignore[attr-defined]
        pending = sum(a.outbox.pending() for a in agents)
    finally:
        for agent in agents:
            agent.close()
        server.stop()
    with services.sessions() as session:
        logged = session.query(AiringLogEntry).filter(
            AiringLogEntry.event.not_in(SERVER_EVENTS)  # what players reported, not key enrolments
        ).count()
        completed = session.query(AiringLogEntry).filter_by(event="airing.completed").count()
    errors = sorted(abs(float(p["error_s"])) for p in played)
    return {"players": players, "days": days, "ticks": ticks, "aired": len(played),
            "log_entries": logged, "completed": completed, "outbox_pending": pending,
            "max_start_error_s": errors[-1] if errors else None, "work": str(work)}
