"""Taking player events into the log, straight through compliance.ingest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from loa.compliance.ingest import ingest_events
from loa.compliance.models import AiringLogEntry
from loa.compliance.verify import verify_chains
from loa.db import transaction
from loa.playlists.models import Airing
from loa.services import Services
from loa.stations.models import Player
from tests.attacker import attacker, rechain
from tests.helpers.factories import enrolled_month, signed_completion

pytestmark = pytest.mark.both_databases  # the database is the point here


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


def test_a_non_canonical_event_id_is_rejected_not_rewritten(
    services: Services, station: Enrolled
) -> None:
    """Rewriting the id would store one the player never signed: verify would then
    flag the genuine entry, a false alarm any player could plant."""
    key, airings = station.key, station.airings
    with transaction(services.sessions) as s:
        player = s.get_one(Player, station.player_id)
        first = uuid.uuid4()
        spellings = [str(first).upper(), first.urn, f"{{{first}}}", first.hex]
        batch = [signed(key, airings[0], str(first))]
        batch += [signed(key, airings[0], other) for other in spellings]
        batch.append(signed(key, airings[1], str(uuid.uuid4())))
        result = ingest_events(s, player, batch, services.clock.now())
        assert result.accepted == [batch[0]["id"], batch[-1]["id"]]
        assert [r["id"] for r in result.rejected] == spellings
        assert all("canonical lower-case UUID" in r["reason"] for r in result.rejected)
        stored = s.scalars(
            select(AiringLogEntry.event_id)
            .where(AiringLogEntry.event == "airing.completed")
            .order_by(AiringLogEntry.seq)
        ).all()
        assert stored == [batch[0]["id"], batch[-1]["id"]]
        verified = verify_chains(s)  # the key's enrolment and the two completions
        assert verified.checked == 3 and verified.problems == []


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
