"""Pure rules of the agent: retry delays, and signing the form the server checks."""

from __future__ import annotations

import base64
import random

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loa.compliance.event_checks import EventRejected, verify_signature
from loa.player.keys import public_key_b64, sign_event
from loa.player.outbox import backoff_delay


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [(1, 1.0, 2.0), (2, 2.0, 4.0), (5, 16.0, 32.0), (9, 150.0, 300.0), (10_000, 150.0, 300.0)],
)
def test_backoff_doubles_with_jitter_up_to_the_cap(failures: int, low: float, high: float) -> None:
    rng = random.Random(7)
    delays = [backoff_delay(failures, 2.0, 300.0, rng) for _ in range(200)]
    assert low <= min(delays) and max(delays) <= high
    assert len({round(d, 3) for d in delays}) > 100  # jitter spreads a fleet out


def test_agent_signs_exactly_the_form_the_server_verifies() -> None:
    event = {"id": "x", "type": "airing.completed", "detail": {"ghi chú": "Phát đủ"}, "at": "t",
             "played_ms": 1, "sha256": None}
    key = Ed25519PrivateKey.generate()
    raw = base64.b64decode(public_key_b64(key))
    signed = sign_event(key, event)
    verify_signature(signed, [raw])  # raises if the forms differ
    with pytest.raises(EventRejected):
        verify_signature({**signed, "played_ms": 2}, [raw])
