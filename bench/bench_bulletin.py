"""Delay from `loa bulletin send` (or the web form's POST) to the start of playback on 50
reference agents.

One process serves the player API over real HTTP (SQLite, then PostgreSQL); workers
run the agents (threads, null output, real clock). `loa bulletin send --priority
emergency --text ...` runs as a subprocess; the delay of each agent is the wall
time its null output started the bulletin minus the moment the command was
launched. Three runs: with the real Mosquitto (push) and without a broker (the
agents poll every LOA_BULLETIN_POLL_SECONDS, default 15), and the web path: a
leader, logged in, POSTs the new-bulletin form to the whole web app (served by the
same process over HTTP, publishing to the broker), timed from the POST. References
measured in the same run: the command alone (launch to exit: start-up, render,
commit, publish) or the POST's round trip, MQTT publish-to-receive over the same
broker, and a 304 of /player/bulletins.

Run: .venv/bin/python -m bench.bench_bulletin [--agents 50 --workers 2]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

COMMAND = ".venv/bin/python -m bench.bench_bulletin"
LOA = str(Path(sys.executable).parent / "loa")
MQTT_URL = "mqtt://127.0.0.1:1883"
TEXT = ("Bão số 3 đổ bộ vào đất liền trong đêm nay, gió mạnh cấp 8, giật cấp 10. "
        "Đề nghị bà con không ra khơi, chằng chống nhà cửa.")
WAIT_S = 40.0
WEB_USER, WEB_PASSWORD = "bench-leader", "mat-khau-dai-2026"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# -- worker: agents in threads ----------------------------------------------------------------

def worker(spec_path: Path) -> None:
    """Run the agents named in the spec; print 'ready', then write their bulletin starts."""
    from loa.player.agent import Agent
    from loa.player.clock import SystemClock
    from loa.player.config import AgentConfig
    from loa.player.runner import Runner

    spec = json.loads(spec_path.read_text())
    runners = []
    for n, token in enumerate(spec["tokens"]):
        config = AgentConfig(server=spec["server"], token=token,
                             home=Path(spec["home"]) / f"agent-{n}", mqtt_url=spec["mqtt"],
                             poll_s=3600, heartbeat_s=3600, bulletin_poll_s=spec["poll_s"])
        runners.append(Runner(Agent(config, SystemClock()), spec["mqtt"]).start())
    deadline = time.monotonic() + 60
    pause = threading.Event()
    for runner in runners:
        # Idle: synced, listening, and its key enrolled and first heartbeat delivered, so
        # the send does not meet the fleet's start-up writes at the server.
        while not runner.agent.link.synced.is_set() or (
                spec["mqtt"] and (runner.listener is None
                                  or not runner.listener.subscribed.is_set())) or (
                runner.agent.link.next_heartbeat is None or runner.agent.outbox.pending()):
            if time.monotonic() > deadline:
                raise SystemExit("agents not ready within 60 s")
            pause.wait(0.05)
    print("ready", flush=True)

    def started() -> list[float | None]:
        return [next((p["wall_time"] for p in r.agent.output.played if p["bulletin_id"]), None)
                for r in runners]

    deadline = time.monotonic() + WAIT_S
    while None in started() and time.monotonic() < deadline:
        pause.wait(0.05)
    Path(spec["out"]).write_text(json.dumps(started()))
    for runner in runners:
        runner.stop()


# -- the bench --------------------------------------------------------------------------------

class Fleet:
    """A served Loa with ``agents`` commune stations, one player each."""

    def __init__(self, work: Path, agents: int, database_url: str) -> None:
        from loa import migrate
        from loa.app import build_services
        from loa.clock import SystemClock
        from loa.settings import load_settings
        from loa.simulate import LiveServer, make_sine, player_api_app, seed_fleet
        from loa.web.users import add_user

        self.work = work
        self.env = {**os.environ, "LOA_HOME": str(work / "server"),
                    "LOA_DATABASE_URL": database_url,
                    "LOA_SECRET_KEY": "bench"}
        self.env.pop("LOA_NOW", None)
        settings = load_settings(self.env)
        settings.home.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(settings.database_url)
        services = build_services(settings, clock=SystemClock())
        first = datetime.now(UTC) + timedelta(days=2)  # their airings are days away: idle
        with services.sessions.begin() as session:
            seeded = seed_fleet(session, services.store, make_sine(work / "tone.mp3"), agents,
                                first, 1)
            add_user(session, WEB_USER, WEB_PASSWORD, "leader", "SIM")
        self.tokens = [s.token for s in seeded]
        self.first_player = seeded[0].player_id
        self.server = LiveServer(player_api_app(services)).start()
        self.web: LiveServer | None = None

    def run(self, mode: str, mqtt: str | None, poll_s: float, workers: int) -> dict:
        """Start the agents, send an emergency by the CLI (or the web form when ``mode`` is
        "web"), return the measured delays."""
        procs, outs = [], []
        share = -(-len(self.tokens) // workers)
        for w in range(workers):
            out = self.work / f"{mode}-{w}.json"
            spec = self.work / f"{mode}-{w}-spec.json"
            spec.write_text(json.dumps({
                "server": self.server.url, "tokens": self.tokens[w * share:(w + 1) * share],
                "home": str(self.work / mode / str(w)), "mqtt": mqtt, "poll_s": poll_s,
                "out": str(out)}))
            procs.append(subprocess.Popen([sys.executable, "-m", "bench.bench_bulletin",
                                           "--worker", str(spec)], stdout=subprocess.PIPE,
                                          text=True))
            outs.append(out)
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        post = self._web_form() if mode == "web" else None
        notice = NoticeWatch(self.first_player) if mqtt else None
        launched = time.time()
        if post is not None:
            bulletin_id = post()
        else:
            sent = subprocess.run(
                [LOA, "bulletin", "send", "--unit", "SIM", "--priority", "emergency",
                 "--title", "Bão số 3", "--text", TEXT],
                env={**self.env, **({"LOA_MQTT_URL": mqtt} if mqtt else {})},
                capture_output=True, text=True, timeout=120)
            assert sent.returncode == 0, sent.stderr
            bulletin_id = sent.stdout.split()[-1]
        exited = time.time()
        for proc in procs:
            proc.wait(timeout=WAIT_S + 30)
        starts = [s for out in outs for s in json.loads(out.read_text())]
        subprocess.run([LOA, "bulletin", "cancel", bulletin_id], env=self.env,
                       capture_output=True, timeout=120, check=True)
        delays = [s - launched for s in starts if s is not None]
        return {"delays": delays, "missing": starts.count(None), "command_s": exited - launched,
                "notice_s": (notice.arrived() - launched) if notice else None}

    def _web_form(self) -> Callable[[], str]:
        """The whole web app (pages and player API, publishing to the broker) served over
        HTTP, a leader of SIM logged in, the new-bulletin form loaded; the POST that sends
        the emergency, returning the bulletin's id."""
        import requests

        from loa.app import build_services, create_app, warm_bulletin_render
        from loa.clock import SystemClock
        from loa.settings import load_settings
        from loa.simulate import LiveServer

        services = build_services(load_settings({**self.env, "LOA_MQTT_URL": MQTT_URL}),
                                  clock=SystemClock())
        self.web = LiveServer(create_app(services)).start()
        warm_bulletin_render().join(60)  # as a `loa web` worker once started (loa.wsgi)
        browser = requests.Session()
        url = self.web.url
        answer = browser.post(f"{url}/login", data={
            "username": WEB_USER, "password": WEB_PASSWORD,
            "csrf_token": _csrf(browser.get(f"{url}/login", timeout=30).text)}, timeout=30)
        assert answer.ok and "/login" not in answer.url, "login refused"
        token = _csrf(browser.get(f"{url}/bulletins/new", timeout=30).text)
        form = {"csrf_token": token, "action": "send", "title": "Bão số 3", "text": TEXT,
                "source": "text", "priority": "emergency", "unit": "SIM",
                "repeat_count": "1", "repeat_every_min": "0"}

        def post() -> str:
            sent = browser.post(f"{url}/bulletins/new", data=form, allow_redirects=False,
                                timeout=120)
            assert sent.status_code == 302, sent.text[-2000:]
            return sent.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

        return post

    def list_command_s(self) -> float:
        """Launch to exit of `loa bulletin list`: the command's start-up and a query, no render."""
        began = time.time()
        subprocess.run([LOA, "bulletin", "list"], env=self.env, capture_output=True,
                       timeout=120, check=True)
        return time.time() - began

    def bulletins_304_ms(self, count: int = 50) -> float:
        """Median round trip of an unchanged /player/bulletins (304)."""
        import requests

        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.tokens[0]}"
        url = f"{self.server.url}/api/v1/player/bulletins"
        etag = session.get(url, timeout=10).headers["ETag"]
        times = []
        for _ in range(count):
            began = time.perf_counter()
            answer = session.get(url, headers={"If-None-Match": etag}, timeout=10)
            times.append(time.perf_counter() - began)
            assert answer.status_code == 304
        return statistics.median(times) * 1000

    def stop(self) -> None:
        self.server.stop()
        if self.web is not None:
            self.web.stop()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "form without a CSRF token"
    return found.group(1)


class NoticeWatch:
    """A subscriber on one player's topic: when the command's notice reached the broker's side."""

    def __init__(self, player_id: int) -> None:
        import paho.mqtt.client as mqtt

        from loa.player.broker import parse_broker_url, player_topic

        self._at: float | None = None
        self._got = threading.Event()
        subscribed = threading.Event()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        topic = player_topic(parse_broker_url(MQTT_URL), player_id)
        self._client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self._client.on_subscribe = lambda *_: subscribed.set()
        self._client.on_message = self._message
        self._client.connect("127.0.0.1", 1883)
        self._client.loop_start()
        assert subscribed.wait(10)

    def _message(self, *_a: object) -> None:
        if self._at is None:
            self._at = time.time()
            self._got.set()

    def arrived(self) -> float:
        self._got.wait(10)
        self._client.disconnect()
        self._client.loop_stop()
        assert self._at is not None, "no notice"
        return self._at


def mqtt_round_trip_ms(count: int = 50) -> float:
    """Median publish-to-receive over the broker (QoS 1), one client to another."""
    import paho.mqtt.client as mqtt

    got: dict[int, float] = {}
    arrived = threading.Condition()

    def on_message(_c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        with arrived:
            got[int(message.payload)] = time.perf_counter()
            arrived.notify_all()

    subscribed = threading.Event()
    listener = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    listener.on_connect = lambda c, *_: c.subscribe("loa/bench/ping", qos=1)
    listener.on_subscribe = lambda *_: subscribed.set()
    listener.on_message = on_message
    listener.connect("127.0.0.1", 1883)
    listener.loop_start()
    talker = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    talker.connect("127.0.0.1", 1883)
    talker.loop_start()
    assert subscribed.wait(10)
    times = []
    for n in range(count):
        began = time.perf_counter()
        talker.publish("loa/bench/ping", str(n), qos=1)
        with arrived:
            arrived.wait_for(lambda n=n: n in got, 5)
        times.append(got[n] - began)
    for client in (listener, talker):
        client.disconnect()
        client.loop_stop()
    return statistics.median(times) * 1000


def row(name: str, result: dict) -> str:
    d = result["delays"]
    return (f"| {name} | {len(d)} | {statistics.median(d):.2f} | {percentile(d, 0.99):.2f} | "
            f"{max(d):.2f} | {result['command_s']:.2f} |")


def measure(database: str, work: Path, args: argparse.Namespace) -> dict:
    """Both runs and the references on one database ("sqlite" or "postgresql")."""
    from contextlib import nullcontext

    from bench.bench_ingest import postgres_database

    place = postgres_database() if database == "postgresql" else nullcontext(
        f"sqlite:///{work / 'loa.db'}")
    with place as url:
        fleet = Fleet(work, args.agents, url)
        try:
            push = fleet.run("push", MQTT_URL, 3600.0, args.workers)
            web = fleet.run("web", MQTT_URL, 3600.0, args.workers)
            poll = fleet.run("poll", None, args.poll, args.workers)
            return {"push": push, "web": web, "poll": poll, "http_ms": fleet.bulletins_304_ms(),
                    "list_s": fleet.list_command_s()}
        finally:
            fleet.stop()


def _after_notice(result: dict) -> str:
    after = [d - result["notice_s"] for d in result["delays"]]
    return (f"median {statistics.median(after):.3f} s, p99 {percentile(after, 0.99):.3f} s, "
            f"max {max(after):.3f} s")


def section(database: str, m: dict, poll_s: float) -> str:
    push, web, poll = m["push"], m["web"], m["poll"]
    return (
        f"**{database}**\n\n"
        "| run | agents started | median s | p99 s | max s | command alone s (web: the "
        "POST's round trip) |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: |\n"
        f"{row('with Mosquitto (push)', push)}\n"
        f"{row('web form POST, with Mosquitto', web)}\n"
        f"{row(f'no broker (poll every {poll_s:g} s)', poll)}\n\n"
        f"Agents that never started it: push {push['missing']}, web {web['missing']}, "
        f"poll {poll['missing']}. "
        "The agents' part (with a broker), from the moment the notice reached a "
        f"subscriber: command ({push['notice_s']:.2f} s after launch: start-up, render, "
        f"commit) {_after_notice(push)}; web ({web['notice_s']:.2f} s after the POST: "
        f"render, commit) {_after_notice(web)}. "
        f"References: `loa bulletin list` (start-up and one query, no render) "
        f"{m['list_s']:.2f} s; `GET /player/bulletins` answered 304 in median "
        f"{m['http_ms']:.1f} ms. Ratio p99 (push) / `loa bulletin list`: "
        f"{percentile(push['delays'], 0.99) / m['list_s']:.1f}.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="agent processes")
    parser.add_argument("--poll", type=float, default=15.0, help="bulletin poll without a broker")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.worker:
        worker(args.worker)
        return
    measured = {}
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
            measured[database] = measure(database, Path(tmp), args)
    mqtt_ms = mqtt_round_trip_ms()
    load = os.getloadavg()[0]
    worst = max(percentile(m[run]["delays"], 0.99) for m in measured.values()
                for run in ("push", "web"))
    missing = sum(m[run]["missing"] for m in measured.values() for run in ("push", "web"))
    verdict = "meets" if worst <= 2.0 and not missing else "MISSES"
    body = (
        f"{args.agents} reference agents (threads in {args.workers} processes, null output, "
        "idle: synced, subscribed, key enrolled and first heartbeat delivered) against the "
        "player API served over HTTP on loopback; "
        "`loa bulletin send --priority emergency --text …` (a 2-line storm warning, "
        "rendered by espeak-ng) run as a subprocess; the web path: a leader's POST of the "
        "new-bulletin form (same text, emergency) to the whole web app, served by the bench "
        "process over HTTP (its first bulletin, the render loaded in the background once the "
        "app was built, as in a `loa web` worker: loa.app.warm_bulletin_render). Delay = "
        "the agent's null output starting the bulletin minus "
        "the launch of the command or the POST (wall clock, one machine).\n\n"
        + "\n".join(section(db, m, args.poll) for db, m in measured.items())
        + f"\nMQTT publish-to-receive over the same broker (QoS 1), median {mqtt_ms:.1f} ms.\n\n"
        f"1-minute load average at the end: {load:.1f} (2 cores, shared).\n\n"
        f"Goal p99 ≤ 2 s with a broker, command and web: {verdict}. It counts from the "
        "command's launch (or the POST): the command's own start-up and render come first "
        "(see `loa bulletin list` and the notice's arrival); the agents' part is what "
        "follows the notice."
    )
    from bench.results import write_section

    write_section("bulletin delivery", COMMAND, body)


if __name__ == "__main__":
    main()
