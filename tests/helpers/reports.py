"""Reports: a December with its evidence in, and the text of a PDF."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader
from sqlalchemy import select

from loa.compliance.chain import chain_heads
from loa.compliance.ingest import ingest_events
from loa.db import transaction
from loa.services import Services
from loa.stations.models import Station
from loa.web.users import add_user
from tests.helpers.factories import enrolled_month, signed_completion
from tests.helpers.web import PASSWORD

JANUARY = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)  # December is over; its reports came in


@pytest.fixture
def december(services: Services) -> dict[str, str]:
    """TN airs 3 times in December 2026, TH never; returns each chain head (TH has none)."""
    key = Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        month, player, airings = enrolled_month(services, s, key)
        events = [signed_completion(key, a, month.sha256) for a in airings[:3]]
        assert len(ingest_events(s, player, events, JANUARY).accepted) == 3
        add_user(s, "tinh", PASSWORD, "auditor", "31")
        add_user(s, "xa", PASSWORD, "operator", "11560")
        stations = {st.id: st.code for st in s.scalars(select(Station))}
        return {stations[sid]: head for sid, (_, head) in chain_heads(s, list(stations)).items()}


def pdf_text(data: bytes) -> str:
    """The PDF's words in reading order, whitespace collapsed."""
    assert data.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(data)).pages
    # Cells come out one per line; one space between words makes table rows readable.
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def pdf_fonts(data: bytes) -> set[str]:
    """The fonts the PDF's pages use, without the subset prefix ("ABCDEF+")."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names
