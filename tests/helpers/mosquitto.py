"""A private Mosquitto started from the shipped configuration (packaging/mosquitto/), and
paho clients that say what the broker answered.

The test's broker listens on free ports of 127.0.0.1 with its files in a temporary
folder; the machine's own Mosquitto (1883) is never touched.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import need_server

PACKAGING = Path(__file__).resolve().parents[2] / "packaging" / "mosquitto"
MOSQUITTO = "/usr/sbin/mosquitto"
WAIT_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, broker certificate, broker key) for 127.0.0.1: an internal CA."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Loa test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (
        _write_pem(folder / "ca.crt", ca.public_bytes(pem)),
        _write_pem(folder / "loa-broker.crt", cert.public_bytes(pem)),
        _write_pem(folder / "loa-broker.key", key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
    )


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"the shipped loa.conf no longer has {old!r}"
    return text.replace(old, new)


@dataclass
class LockedBroker:
    """The shipped Mosquitto configuration running on private ports under ``folder``."""

    folder: Path
    player_port: int = field(default_factory=free_port)
    server_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def players_passwd(self) -> Path:
        return self.folder / "players.passwd"

    @property
    def server_passwd(self) -> Path:
        return self.folder / "server.passwd"

    @property
    def ca(self) -> Path:
        return self.folder / "ca.crt"

    def player_url(self) -> str:
        return f"mqtts://127.0.0.1:{self.player_port}?cafile={self.ca}"

    def server_url(self, username: str, password: str) -> str:
        return f"mqtt://{username}:{password}@127.0.0.1:{self.server_port}"

    def configure(self) -> Path:
        """The shipped loa.conf and loa.acl, with this test's ports and folder."""
        make_certificates(self.folder)
        shutil.copy(PACKAGING / "loa.acl", self.folder / "loa.acl")
        text = (PACKAGING / "loa.conf").read_text()
        for old in ("/etc/mosquitto/loa/", "/etc/mosquitto/certs/"):
            text = _replace_once(text, old, f"{self.folder}/")
        text = _replace_once(text, "listener 8883\n", f"listener {self.player_port} 127.0.0.1\n")
        text = _replace_once(text, "listener 1884 127.0.0.1\n",
                             f"listener {self.server_port} 127.0.0.1\n")
        conf = self.folder / "loa.conf"
        # The process's own settings (Debian's mosquitto.conf has them): a log here, and,
        # started as root, no switch to the mosquitto user, who cannot read this folder.
        stay = "user root\n" if os.geteuid() == 0 else ""
        conf.write_text(f"log_dest file {self.folder}/mosquitto.log\n{stay}{text}")
        return conf

    def start(self) -> LockedBroker:
        if not Path(MOSQUITTO).exists():
            need_server(f"Mosquitto ({MOSQUITTO}; scripts/setup.sh installs it)",
                        FileNotFoundError(MOSQUITTO))
        conf = self.configure()
        for path in (self.players_passwd, self.server_passwd):
            path.touch(exist_ok=True)
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + WAIT_S
        for port in (self.player_port, self.server_port):
            while True:
                assert self.process.poll() is None, (
                    f"mosquitto exited: {self.process.stderr.read().decode()}"  # type: ignore[union-attr]
                    f"{self.log()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"mosquitto not listening on {port}"
                    time.sleep(0.05)  # readiness poll of a process just started
        return self

    def reload(self) -> None:
        """What `systemctl reload mosquitto` does: SIGHUP, the password files read again."""
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Session:
    """A paho client on the test broker that records what it is told (connect, messages)."""

    def __init__(self, port: int, username: str | None = None, password: str | None = None,
                 client_id: str = "", cafile: Path | None = None) -> None:
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.disconnected = threading.Event()
        self.reason: Any = None
        self.messages: list[tuple[str, bytes]] = []
        self.arrived = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        if username is not None:
            self.client.username_pw_set(username, password)
        if cafile is not None:
            self.client.tls_set(ca_certs=str(cafile))
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.connect_async("127.0.0.1", port, keepalive=30)
        self.client.loop_start()

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.reason = reason
        if not reason.is_failure:
            self.connected.set()
        else:
            self.client.disconnect()  # no retries: the test wants the broker's first answer
        self.answered.set()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if self.connected.is_set():
            self.disconnected.set()

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        with self.arrived:
            self.messages.append((message.topic, message.payload))
            self.arrived.notify_all()

    def answer(self) -> Any:
        """The broker's answer to the connect (a paho ReasonCode)."""
        assert self.answered.wait(WAIT_S), "the broker did not answer the connect"
        return self.reason

    def subscribe(self, *topics: str) -> list[Any]:
        """Subscribe and wait for the broker's verdicts, one per topic."""
        done = threading.Event()
        verdicts: list[Any] = []

        def on_subscribe(_c: Any, _u: Any, _mid: int, reasons: list[Any], _p: Any) -> None:
            verdicts.extend(reasons)
            done.set()

        self.client.on_subscribe = on_subscribe
        self.client.subscribe([(t, 1) for t in topics])
        assert done.wait(WAIT_S), "no SUBACK"
        return verdicts

    def publish(self, topic: str, payload: bytes | str) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK."""
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(WAIT_S)
        assert info.is_published()

    def wait_for(self, count: int) -> list[tuple[str, bytes]]:
        """The messages received once there are ``count`` of them (or after the wait)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, WAIT_S)
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
