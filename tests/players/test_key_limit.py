"""Keys per player: at most LOA_MAX_KEYS_PER_PLAYER in use, revocable, and verify agrees."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from loa.compliance.signatures import public_key
from loa.compliance.verify import verify_chains
from loa.player.keys import public_key_b64
from tests.conftest import Loa
from tests.players.conftest import BOTH_DATABASES, Signer, World, auth


def enrol(client: FlaskClient, world: World, key: Ed25519PrivateKey) -> tuple[int, dict]:
    answer = client.post("/api/v1/player/enroll", headers=auth(world.token),
                         json={"public_key": public_key_b64(key)})
    return answer.status_code, answer.json


@BOTH_DATABASES
def test_a_fifth_key_is_refused_until_one_is_revoked(
    client: FlaskClient, world: World, loa: Loa
) -> None:
    signers = [Signer(client, world.token) for _ in range(4)]
    fifth = Ed25519PrivateKey.generate()
    status, body = enrol(client, world, fifth)
    assert status == 409 and "revoke" in body["error"]
    assert enrol(client, world, signers[0].key)[0] == 201  # enrolling a known key again is fine

    listed = loa("player", "keys", str(world.players[0].player_id))
    assert listed.count("in use") == 4
    first_id = listed.split("\t")[0]
    loa("player", "revoke-key", str(world.players[0].player_id), first_id)
    assert "revoked" in loa("player", "keys", str(world.players[0].player_id))

    assert enrol(client, world, fifth)[0] == 201  # room again
    status, body = enrol(client, world, signers[0].key)
    assert status == 409 and "revoked" in body["error"]  # a revoked key never comes back


@BOTH_DATABASES
def test_a_revoked_key_signs_nothing_new_and_verify_keeps_its_past(
    client: FlaskClient, world: World, loa: Loa
) -> None:
    signer = Signer(client, world.token)
    airing = world.airing_ids(0)[0]
    at = world.clock.now()
    before = signer.event("airing.started", airing, at)
    assert signer.post([before]).json["accepted"] == [before["id"]]

    listed = loa("player", "keys", str(world.players[0].player_id))
    loa("player", "revoke-key", str(world.players[0].player_id), listed.split("\t")[1])
    world.clock.advance(minutes=1)
    after = signer.event("airing.completed", airing, at + timedelta(minutes=10),
                         played_ms=600_000, sha256=world.sha256)
    answer = signer.post([after]).json
    assert answer["accepted"] == [] and "signature" in answer["rejected"][0]["reason"]
    with world.services.sessions() as session:
        result = verify_chains(session)
    assert result.problems == []  # the event signed before the revocation still counts


def test_key_objects_are_built_once() -> None:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    assert public_key(raw) is public_key(bytes(raw))
