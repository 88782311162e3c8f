"""The MQTT broker address, a player's broker login and a configured paho client.

Shared by the agent and the server. A player's broker login is its id and a
password derived from its token (HKDF-SHA256), so issuing, rotating or revoking
the token does the same to the login and the box needs no second secret; the
server keeps only the password's Mosquitto hash (``loa.stations.broker_auth``).
"""

from __future__ import annotations

import base64
import re
import ssl
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PASSWORD_INFO = b"loa mqtt password v1"
DEFAULT_ROOT = "loa"  # the topic root the shipped ACL (packaging/mosquitto/loa.acl) grants
_ROOT = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")  # no MQTT wildcards, no empty level


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    # A CA file to trust besides the system's (an internal or government CA).
    cafile: str | None = None
    # The first level of every Loa topic: the URL's path, so deployments (or test runs)
    # sharing one broker keep to their own topics and client ids.
    root: str = DEFAULT_ROOT

    def with_login(self, username: str, password: str) -> BrokerAddress:
        return replace(self, username=username, password=password)


def parse_broker_url(url: str) -> BrokerAddress:
    """Split ``mqtts://user:pass@host:8883/root?cafile=/etc/loa/ca.pem`` into its parts.

    ``mqtt://`` is plain TCP (default port 1883), ``mqtts://`` TLS (8883) with
    the server's certificate checked against the system's CAs or ``cafile``. The
    path, if any, is the topic root (default ``loa``).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"LOA_MQTT_URL must start with mqtt:// or mqtts://, got {url!r}")
    root = unquote(parts.path).strip("/") or DEFAULT_ROOT
    if not _ROOT.fullmatch(root):
        raise ValueError(f"LOA_MQTT_URL's path is the topic root: letters, digits, '-', '_' "
                         f"and '/' between them, got {root!r}")
    tls = parts.scheme in ("mqtts", "ssl")
    cafile = parse_qs(parts.query).get("cafile", [None])[-1]
    return BrokerAddress(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        cafile=cafile,
        root=root,
    )


def player_topic(address: BrokerAddress, player_id: int) -> str:
    """Where the server tells player ``player_id`` of a change: ``<root>/players/<id>``."""
    return f"{address.root}/players/{player_id}"


def player_username(player_id: int) -> str:
    """A player's broker username: its id, so the ACL pattern ``loa/players/%u`` is its topic."""
    return str(player_id)


def player_password(token: str) -> str:
    """The broker password that goes with ``token`` (256 bits, URL-safe, derived one way)."""
    derived = HKDF(hashes.SHA256(), length=32, salt=None, info=_PASSWORD_INFO).derive(
        token.strip().encode())
    return base64.urlsafe_b64encode(derived).rstrip(b"=").decode()


def make_client(address: BrokerAddress, client_id: str) -> mqtt.Client:
    """A paho client configured for ``address``; not yet connected."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(ca_certs=address.cafile, cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=60)
    return client
