"""Taking player events into the log, straight through compliance.ingest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from compliance.ingest import ingest_events
from compliance.models import AiringLogEntry
from compliance.verify import verify_chains
from loa.db import transaction
from playlists.models import Airing
from stations.models import Player
from tests.attacker import attacker, rechain
from tests.factories import enrolled_month, signed_completion
from web.context import Services


def signed(key: Ed25519PrivateKey, airing: Airing, event_id: str, **kw: Any) -> dict[str, Any]:
    return signed_completion(key, airing, "a" * 64, event_id, **kw)


@dataclass
class Enrolled:
    key: Ed25519PrivateKey
    player_id: int
    airings: list[Airing]


@pytest.fixture
def station(services: Services) -> Enrolled:
    """Enrolled TN with its month planned and a player whose key is enrolled."""
    key = Ed25519PrivateKey.generate()
    with transaction(services.sessions) as s:
        _, player, airings = enrolled_month(services, s, key)
        return Enrolled(key, player.id, airings)


def test_ids_differing_only_in_case_are_one_event_and_the_chain_stays_whole(
    services: Services, station: Enrolled
) -> None:
    key, airings = station.key, station.airings
    with transaction(services.sessions) as s:
        player = s.get_one(Player, station.player_id)
        first_id = str(uuid.uuid4())
        batch = [
            signed(key, airings[0], first_id),
            signed(key, airings[0], first_id.upper()),
            signed(key, airings[1], str(uuid.uuid4())),
        ]
        result = ingest_events(s, player, batch, services.clock.now())
        assert len(result.accepted) == 3 and result.rejected == []
        again = ingest_events(
            s, player, [signed(key, airings[2], str(uuid.uuid4())), batch[0]], services.clock.now()
        )
        assert len(again.accepted) == 2
        # Three completions after the key's enrolment.
        assert s.scalar(select(func.count()).select_from(AiringLogEntry)) == 4
        verified = verify_chains(s)
        assert verified.checked == 4 and verified.problems == []


def test_a_rewritten_chain_still_fails_on_the_signature(
    services: Services, station: Enrolled
) -> None:
    """Someone edits played_ms in the database and recomputes every hash: the chain is
    whole again, but the entry no longer matches what the player signed."""
    key, airings = station.key, station.airings
    with transaction(services.sessions) as s:
        player = s.get_one(Player, station.player_id)
        short = signed(key, airings[0], str(uuid.uuid4()), played_ms=100_000)
        ingest_events(
            s, player, [short, signed(key, airings[1], str(uuid.uuid4()))], services.clock.now()
        )
    with attacker(services.settings.database_url) as s:
        entries = s.scalars(select(AiringLogEntry).order_by(AiringLogEntry.seq)).all()
        entries[1].played_ms = 720_000  # make the partial airing look complete
        rechain(s, entries[1].station_id)
    with transaction(services.sessions) as s:
        verified = verify_chains(s)
        assert verified.checked == 3
        reasons = [(p.seq, "differs from the signed event" in p.reason) for p in verified.problems]
        assert reasons == [(2, True)]
