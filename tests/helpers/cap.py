"""CAP 1.2 tests: the fixture documents, the OASIS schema, official unit names, a CAP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import xmlschema
from sqlalchemy import select

from loa.db import transaction
from loa.services import Services
from loa.stations.models import AdminUnit

CAP_DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
NATIONAL_CENTRE = "canhbao@nchmf.gov.vn"


def document(name: str) -> bytes:
    """A fixture CAP document of tests/data/cap by its stem (storm_alert, hanoi_flood …)."""
    return (CAP_DATA / f"{name}.xml").read_bytes()


@cache
def cap_schema() -> xmlschema.XMLSchema:
    """The OASIS CAP 1.2 schema, as written into tests/data/cap (nothing downloaded)."""
    return xmlschema.XMLSchema(str(CAP_DATA / "CAP-v1.2.xsd"))


def official_names(services: Services) -> None:
    """Give the units of a test tree their official names (vietnam-provinces), so alerts
    can name them as the national centre does ("Phường Thuỷ Nguyên", "Thành phố Hải Phòng")."""
    from vietnam_provinces import Province, Ward

    names = {f"{p.code.value:02d}": p.name for p in Province.iter_all()}
    with transaction(services.sessions) as s:
        units = s.scalars(select(AdminUnit)).all()
        wanted = {u.code for u in units}
        names |= {f"{w.code.value:05d}": w.name for w in Ward.iter_all()
                  if f"{w.code.value:05d}" in wanted}
        for unit in units:
            unit.name = names.get(unit.code, unit.name)


@dataclass
class CapServer:
    """A local HTTP server of CAP documents: ``pages`` maps a path to (status, body);
    a path not there is a 404. Tests change the pages while it runs."""

    pages: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    url: str = ""
    hits: list[str] = field(default_factory=list)


@contextmanager
def cap_server() -> Iterator[CapServer]:
    """Serve a CapServer on a free port of 127.0.0.1 for the length of the block."""
    served = CapServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.hits.append(self.path)
            status, body = served.pages.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:  # quiet test output
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def atom_index(base: str, *paths: str) -> bytes:
    """An Atom feed listing CAP documents by link, as national warning systems publish."""
    entries = "".join(
        f"<entry><id>{base}{p}</id><title>Tin cảnh báo</title>"
        f"<updated>2026-12-01T07:30:00+07:00</updated>"
        f'<link rel="alternate" type="application/cap+xml" href="{p}"/></entry>'
        for p in paths)
    return (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>{base}/cap</id><title>Cảnh báo thiên tai</title>"
            f"<updated>2026-12-01T07:30:00+07:00</updated>{entries}</feed>").encode()
