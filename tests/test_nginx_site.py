"""The shipped nginx site (packaging/nginx-loa.conf) in front of `loa web`, as a player and an
operator meet it (issue 15 §9): TLS on a port that is not 443 (an internal CA the player is
told to trust), a page, a login form posted with its CSRF token, and a player's audio sent by
nginx from the store through X-Accel-Redirect. nginx is started by the test on free ports."""

from __future__ import annotations

import datetime as dt
import grp
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import tests.helpers.chains
from loa.db import transaction
from loa.player.cli import trust_ca
from loa.player.client import ServerClient
from loa.player.timekeeping import TimeKeeper
from loa.services import Services
from loa.web.users import add_user
from tests.conftest import need_server
from tests.helpers.chains import Chain
from tests.helpers.servers import LOA, free_port
from tests.helpers.web import PASSWORD

tn = tests.helpers.chains.tn  # a shared fixture

SITE = Path(__file__).resolve().parents[1] / "packaging" / "nginx-loa.conf"
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None)
    if found is None:
        need_server("nginx (apt install nginx)", FileNotFoundError("nginx"))
    return str(found)


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def internal_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA of our own (as a ministry's would be), and a certificate it signed for 127.0.0.1:
    the CA's file, the server's chain and key."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Loa test CA")).issuer_name(_name(
        "Loa test CA")).public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
              .public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(hours=1))
              .not_valid_after(now + dt.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName(
                  [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    paths = folder / "ca.pem", folder / "fullchain.pem", folder / "privkey.pem"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(server.public_bytes(pem) + ca.public_bytes(pem))
    paths[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def adapted_site(text: str, web_port: int, http_port: int, https_port: int, audio: Path,
                 chain: Path, key: Path) -> str:
    """The shipped site with this test's ports and paths; everything else as shipped."""
    text = text.replace("server 127.0.0.1:8080", f"server 127.0.0.1:{web_port}")
    text = re.sub(r"\n\s*# server 10\.0\.0\.12.*", "", text)
    text = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", text)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = re.sub(r"ssl_certificate +\S+;", f"ssl_certificate {chain};", text)
    text = re.sub(r"ssl_certificate_key +\S+;", f"ssl_certificate_key {key};", text)
    text = text.replace("alias /var/lib/loa/audio/;", f"alias {audio}/;")
    for shipped in ("server 127.0.0.1:", f"listen 127.0.0.1:{https_port}", f"alias {audio}/"):
        assert shipped in text, f"the shipped site changed shape: {shipped} not found"
    return text


class Nginx:
    """nginx in the foreground with a prefix of its own, its workers in the store's group as
    the guide puts www-data in the group loa."""

    def __init__(self, folder: Path, site: str, group: str) -> None:
        folder.mkdir(mode=0o777)
        (folder / "site.conf").write_text(site)
        user = f"user nobody {group};" if os.geteuid() == 0 else ""
        temps = "\n".join(f"    {kind}_temp_path {folder / kind};"
                          for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (folder / "nginx.conf").write_text(
            f"{user}\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} info;\nevents {{ worker_connections 64; }}\n"
            f"http {{\n    access_log {folder / 'access.log'};\n{temps}\n"
            f"    include {folder / 'site.conf'};\n}}\n")
        binary = nginx_binary()
        checked = subprocess.run(
            [binary, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
            capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        self.folder = folder
        self.process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
            stderr=subprocess.STDOUT, stdout=(folder / "stdout.log").open("wb"))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGQUIT)
        self.process.wait(timeout=30)

    def log(self) -> str:
        return (self.folder / "error.log").read_text(errors="replace")


def wait_for(url: str, ca: Path | bool, what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url, verify=str(ca) if isinstance(ca, Path) else ca, timeout=5,
                         allow_redirects=False)
            return
        except (requests.ConnectionError, requests.Timeout):
            assert time.monotonic() < deadline, f"{what} did not answer at {url}"
            time.sleep(0.1)


@pytest.fixture
def shared_home() -> Iterator[Path]:
    """LOA_HOME where nginx's workers (nobody, in the home's group) can reach the store,
    set-group-id so the store's folders and files get that group as /var/lib/loa gets loa."""
    folder = Path(tempfile.mkdtemp(prefix="loa-nginx-", dir="/tmp"))
    group = "nogroup" if os.geteuid() == 0 else grp.getgrgid(os.getgid()).gr_name
    if os.geteuid() == 0:
        os.chown(folder, 0, grp.getgrnam(group).gr_gid)
    folder.chmod(0o2750)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def env(env: dict[str, str], shared_home: Path) -> dict[str, str]:
    return {**env, "LOA_HOME": str(shared_home / "home"), "LOA_ACCEL_REDIRECT": "/_audio/",
            "LOA_SECRET_KEY": os.urandom(32).hex(), "LOA_PROXY_HOPS": "1",
            "LOA_SECURE_COOKIES": "1"}


@pytest.fixture
def web(tn: Chain, env: dict[str, str], services: Services, tmp_path: Path
        ) -> Iterator[int]:
    """`loa web` (gunicorn) on the chain's database, on a free loopback port."""
    with transaction(services.sessions) as s:
        add_user(s, "tinh", PASSWORD, "auditor", "31")
    port = free_port()
    process_env = {k: v for k, v in os.environ.items() if not k.startswith(("LOA_", "PROM"))}
    with (tmp_path / "web.log").open("wb") as log:
        process = subprocess.Popen(
            [LOA, "web", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
            env={**process_env, **env}, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/login", False, "loa web")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_the_shipped_site_serves_a_page_a_login_and_a_players_audio(
    web: int, tn: Chain, shared_home: Path, services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, chain, key = internal_ca(shared_home)
    http_port, https_port = free_port(), free_port()
    store = services.settings.audio_dir
    site = adapted_site(SITE.read_text(), web, http_port, https_port, store, chain, key)
    nginx = Nginx(shared_home / "nginx", site, grp.getgrgid(shared_home.stat().st_gid).gr_name)
    base = f"https://127.0.0.1:{https_port}"
    try:
        wait_for(base + "/login", ca, "nginx")
        operator = requests.Session()
        operator.verify, operator.trust_env = str(ca), False  # else REQUESTS_CA_BUNDLE wins
        page = operator.get(base + "/login", timeout=10)
        assert page.status_code == 200 and 'name="csrf_token"' in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        # A browser sends the page it came from; behind nginx on a port that is not 443 the
        # CSRF check compares it with the Host nginx passes on: the port must stay in it.
        logged_in = operator.post(base + "/login", data={
            "username": "tinh", "password": PASSWORD, "csrf_token": token},
            headers={"Referer": base + "/login"}, allow_redirects=False, timeout=10)
        assert logged_in.status_code == 302, logged_in.text[:500]
        assert operator.get(base + "/", timeout=10).status_code == 200

        # The player, told to trust the internal CA (LOA_CA_FILE), fetches its audio: the app
        # checks the token, nginx (a worker in the store's group) sends the file.
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        trust_ca(str(ca))
        player = ServerClient(base, tn.token, TimeKeeper(tn.services.clock, "b1", None, print))
        fetched = shared_home / "fetched.mp3"
        player.download(f"/api/v1/audio/{tn.sha256}", fetched, tn.sha256, None)
        assert fetched.read_bytes() == services.store.path(tn.sha256).read_bytes()
        assert f'"GET /api/v1/audio/{tn.sha256} HTTP/1.1" 200' in (
            shared_home / "nginx" / "access.log").read_text()
        refused = requests.get(base + f"/_audio/{tn.sha256[:2]}/x", verify=str(ca), timeout=10)
        assert refused.status_code == 404  # internal: only the app's redirect reaches it
    finally:
        nginx.stop()
    assert "Permission denied" not in nginx.log()
