"""The notification room's tests: an office with every role at a ward, and what needs them;
a real SMTP server (aiosmtpd, STARTTLS) and a real webhook receiver that checks signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from loa.db import transaction
from loa.playlists.campaigns import add_campaign, get_campaign
from loa.playlists.models import (
    Airing,
    AiringStatus,
    Programme,
    ProgrammeStatus,
    RenderJob,
    RenderStatus,
)
from loa.services import Services
from loa.stations.models import Station
from loa.stations.players import add_player
from loa.stations.service import add_station
from loa.stations.units import get_unit
from loa.web.users import add_user
from tests.helpers.bulletins import send
from tests.helpers.factories import approved_programme, two_wards
from tests.helpers.web import PASSWORD

SECRET = "bi-mat-webhook-2026-rat-dai"
TODO = re.compile(r'<section class="todo card" id="todo".*?</section>', re.S)


def programme(
    s: Session, unit: str, month: str, title: str, status: ProgrammeStatus, **kw: Any
) -> Programme:
    found = Programme(campaign=get_campaign(s, "CDS"), unit=get_unit(s, unit), month=month,
                      title=title, status=status, created_by=kw.pop("created_by", "xa"), **kw)
    s.add(found)
    s.flush()
    return found


@pytest.fixture
def office(services: Services) -> dict[str, int]:
    """Ward 11560 with a leader, an operator, an admin; an auditor over Hải Phòng (31).

    What needs each of them, and the same things at the sibling ward 11557 (never theirs):
    ids by name in the answer.
    """
    now = services.clock.now()
    ids: dict[str, int] = {}
    with transaction(services.sessions) as s:
        two_wards(s)
        add_station(s, "TN2", "11560", "Đài Thủy Nguyên 2")  # no player yet
        add_user(s, "lanhdao", PASSWORD, "leader", "11560")
        add_user(s, "xa", PASSWORD, "operator", "11560")
        add_user(s, "quantri", PASSWORD, "admin", "11560")
        add_user(s, "tinh", PASSWORD, "auditor", "31")
        add_user(s, "xakhac", PASSWORD, "operator", "11557")
        add_campaign(s, services.store, "CDS", "Chuyển đổi số", "31")
        for unit, tag in (("11560", ""), ("11557", "khac")):
            waiting = programme(s, unit, "2027-01", f"Chờ duyệt {tag}".strip(),
                                ProgrammeStatus.rendered, submitted_by="xa", submitted_at=now,
                                duration_ms=700_000)
            back = programme(s, unit, "2027-02", f"Trả lại {tag}".strip(), ProgrammeStatus.draft,
                             review_comment="Thiếu phần mở đầu")
            broken = programme(s, unit, "2027-03", f"Dựng lỗi {tag}".strip(), ProgrammeStatus.draft)
            s.add(RenderJob(programme_id=broken.id, status=RenderStatus.failed, created_at=now,
                            finished_at=now, message="Lỗi đọc văn bản (TTS failed)"))
            ids |= {f"waiting{tag}": waiting.id, f"back{tag}": back.id,
                    f"broken{tag}": broken.id}
        seen, _ = add_player(s, "TN", "Cụm loa chợ")
        seen.last_seen = now - dt.timedelta(hours=3)
        add_player(s, "TN", "Cụm loa mới")  # its token never used
        ids["seen_player"] = seen.id
        aired = approved_programme(s, "11560", "2026-12", 720_000, now)
        for code in ("TN", "TH"):
            station = s.scalars(select(Station).where(Station.code == code)).one()
            lost = Airing(programme_id=aired.id, station_id=station.id,
                          starts_at=now - dt.timedelta(hours=1), status=AiringStatus.missed)
            s.add(lost)
            s.flush()
            ids[f"lost_{code}"] = lost.id
        pending = send(services, s, "11560", role="operator", author="xa", priority="normal",
                       title="Lịch tiêm phòng")
        ids["bulletin"] = pending.id
    return ids


def todo_section(page: str) -> str:
    found = TODO.search(page)
    assert found, "the dashboard starts without its to-do"
    return found.group(0)


def self_signed(folder: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@dataclass
class Mailbox:
    """What the SMTP server received, and whether each came over TLS."""

    messages: list[tuple[bytes, bool, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.original_content or envelope.content,
                              session.ssl is not None, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[str, Mailbox]]:
    """A real SMTP server on a free port that requires STARTTLS; (LOA_SMTP_URL, mailbox)."""
    from aiosmtpd.controller import Controller

    from tests.helpers.servers import free_port

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port,
                            tls_context=self_signed(tmp_path), require_starttls=True)
    controller.start()
    # The certificate is our own: Apprise is told not to verify it (a real server's is).
    yield f"smtp://127.0.0.1:{port}?from=loa@xa.gov.vn&verify=no", box
    controller.stop()


@dataclass
class Receiver:
    """What the webhook receiver got: (body, signature header, signature valid)."""

    url: str
    received: list[tuple[dict[str, Any], str, bool]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    """A real HTTP receiver (http.server in a thread) that checks the HMAC signature."""
    receiver = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            said = self.headers.get("X-Loa-Signature", "")
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            receiver.received.append((json.loads(body), said,
                                      hmac.compare_digest(said, expected)))
            self.send_response(receiver.status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/loa"
    yield receiver
    server.shutdown()
    thread.join()
