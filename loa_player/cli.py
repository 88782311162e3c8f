"""`loa-player`: the reference player agent's own command line (no server packages needed)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from loa.player.agent import Agent
from loa.player.client import clean_token
from loa.player.clock import SystemClock
from loa.player.config import AgentConfig
from loa.player.output import DEFAULT_OUTPUTS, outputs_setting, parse_outputs
from loa.player.runner import Runner
from loa.player.status import NoAgentHere, start_lines, status_lines

logger = logging.getLogger("loa.player")


def trust_ca(ca_file: str | None) -> None:
    """LOA_CA_FILE: the CA bundle that signed the server's (and broker's) certificate, e.g. a
    government or internal CA: the HTTP client (requests) and the broker's TLS (OpenSSL's
    default verify paths) both read it from the environment of this process."""
    if ca_file:
        os.environ["REQUESTS_CA_BUNDLE"] = ca_file
        os.environ["SSL_CERT_FILE"] = ca_file


def run_agent(config: AgentConfig, verbose: bool = False) -> None:
    """Run the agent in real time until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    agent = Agent(config, SystemClock())
    for line in start_lines(config, agent.now(), agent.cache.count()):
        logger.info(line)
    runner = Runner(agent, config.mqtt_url).start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_a: runner.stop_event.set())
    runner.stop_event.wait()
    runner.stop()


def show_status(home: Path) -> int:
    """Print the agent's state from its local database; 1 if there is none."""
    try:
        lines = status_lines(home, datetime.now(UTC))
    except NoAgentHere as exc:
        print(exc, file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loa-player", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the agent until SIGTERM")
    run.add_argument("--server", default=os.environ.get("LOA_SERVER"),
                     help="base URL of the Loa server (or LOA_SERVER)")
    run.add_argument("--home", type=Path, required=True, help="folder for key, cache, outbox")
    run.add_argument("--output", default=outputs_setting(os.environ),
                     help="outputs to try in order, e.g. aplay,ffplay,null (or "
                          f"LOA_PLAYER_OUTPUTS; default {','.join(DEFAULT_OUTPUTS)})")
    run.add_argument("--alsa-device", default=os.environ.get("LOA_ALSA_DEVICE") or None,
                     help="ALSA device for aplay, e.g. plughw:1 (or LOA_ALSA_DEVICE)")
    run.add_argument("--mqtt", default=os.environ.get("LOA_MQTT_URL") or None,
                     help="broker URL for push notices (or LOA_MQTT_URL)")
    run.add_argument("--poll", type=float, default=300.0, help="seconds between polls")
    run.add_argument("--ca-file", default=os.environ.get("LOA_CA_FILE") or None,
                     help="CA bundle to trust for the server and broker, e.g. an internal CA "
                          "(or LOA_CA_FILE; default: the system's and certifi's)")
    run.add_argument("--bulletin-poll", type=float,
                     default=os.environ.get("LOA_BULLETIN_POLL_SECONDS") or "15",
                     help="seconds between fetches of the emergency bulletins, besides each "
                          "push notice (or LOA_BULLETIN_POLL_SECONDS; default 15)")
    run.add_argument("--refused-grace", type=float,
                     default=os.environ.get("LOA_REFUSED_GRACE_SECONDS") or "3600",
                     help="seconds of airing after the server refuses the token (HTTP 401), "
                          "time to put a rotated token on the box "
                          "(or LOA_REFUSED_GRACE_SECONDS; default 3600)")
    run.add_argument("-v", "--verbose", action="store_true")
    status = commands.add_parser("status", help="what the agent's local database says")
    status.add_argument("--home", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `loa-player` console script."""
    args = _parser().parse_args(argv)
    if args.command == "status":
        return show_status(args.home)
    token = clean_token(os.environ.get("LOA_PLAYER_TOKEN", ""))
    if not args.server or not token:
        print("Lỗi: cần LOA_SERVER (--server) và LOA_PLAYER_TOKEN "
              "(error: the server URL and LOA_PLAYER_TOKEN are required)", file=sys.stderr)
        return 2
    trust_ca(args.ca_file)
    try:
        outputs = tuple(parse_outputs(args.output))
    except ValueError as exc:
        print(f"Lỗi: đầu ra không hợp lệ ({exc})", file=sys.stderr)
        return 2
    run_agent(AgentConfig(server=args.server, token=token, home=args.home, outputs=outputs,
                          alsa_device=args.alsa_device, mqtt_url=args.mqtt, poll_s=args.poll,
                          bulletin_poll_s=args.bulletin_poll,
                          refused_grace_s=args.refused_grace),
              args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
