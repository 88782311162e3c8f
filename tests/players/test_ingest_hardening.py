"""Ingest that never loses a batch: concurrent posts, far-off clocks, hostile values (issue 7)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from loa.compliance.key_entries import SERVER_EVENTS
from loa.compliance.models import AiringLogEntry
from loa.compliance.verify import verify_chains
from loa.player.keys import public_key_b64
from loa.simulate import LiveServer
from loa.stations.models import Player, PlayerKey
from tests.players.conftest import BOTH_DATABASES, Signer, World, auth

MONTH_MS = 30 * 24 * 3600 * 1000


def stored_ids(world: World) -> list[str]:
    with world.services.sessions() as session:
        # The players' own events; key enrolments are the server's entries in the chain.
        return list(session.scalars(
            select(AiringLogEntry.event_id)
            .where(AiringLogEntry.event.not_in(SERVER_EVENTS))
            .order_by(AiringLogEntry.seq)
        ))


def chain_problems(world: World) -> list[Any]:
    with world.services.sessions() as session:
        return verify_chains(session).problems


def post_at_once(url: str, posts: list[tuple[str, list[dict]]]) -> list[requests.Response]:
    """Every (token, batch) posted from its own thread, all released together."""
    start = threading.Barrier(len(posts))
    answers: list[Any] = [None] * len(posts)

    def post(n: int, token: str, events: list[dict]) -> None:
        start.wait()
        answers[n] = requests.post(f"{url}/api/v1/player/events", headers=auth(token),
                                   json={"events": events}, timeout=60)

    threads = [threading.Thread(target=post, args=(n, *p)) for n, p in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def completion(signer: Signer, world: World, airing: int, **fields: Any) -> dict:
    at = world.clock.now() + timedelta(minutes=10)
    values = {"sha256": world.sha256, "played_ms": 600_000, **fields}
    return signer.event("airing.completed", airing, at, **values)


@BOTH_DATABASES
def test_the_same_batch_twenty_times_at_once_is_stored_once(
    signer: Signer, world: World, live_server: LiveServer
) -> None:
    airings = world.airing_ids(0)
    batch = [signer.event("airing.started", a, world.clock.now(), sha256=world.sha256)
             for a in airings]
    batch += [completion(signer, world, a) for a in airings]
    answers = post_at_once(live_server.url, [(world.token, batch)] * 20)
    assert [a.status_code for a in answers] == [200] * 20
    ids = [e["id"] for e in batch]
    assert all(a.json()["accepted"] == ids and a.json()["rejected"] == [] for a in answers)
    assert stored_ids(world) == ids and chain_problems(world) == []


@BOTH_DATABASES
def test_two_players_of_one_station_posting_at_once_share_one_whole_chain(
    signer: Signer, world: World, live_server: LiveServer
) -> None:
    """The head was read before the write lock was held: two posts took the same seq."""
    _, other_token = world.second_player()
    other = Signer(signer.client, other_token)
    airing = world.airing_ids(0)[0]
    posts = [(s.token, [completion(s, world, airing) for _ in range(5)])
             for _ in range(4) for s in (signer, other)]
    answers = post_at_once(live_server.url, posts)
    assert [a.status_code for a in answers] == [200] * 8
    assert sorted(stored_ids(world)) == sorted(e["id"] for _, b in posts for e in b)
    assert chain_problems(world) == []


@BOTH_DATABASES
def test_one_event_id_from_two_stations_at_once_is_stored_once(
    signer: Signer, world: World, live_server: LiveServer
) -> None:
    """Each station's chain has its own lock, so only the unique index sees this race."""
    other = Signer(signer.client, world.players[1].token)
    ids = [str(uuid.uuid4()) for _ in range(6)]
    posts = [
        (s.token, [signer_resign(s, {**completion(s, world, world.airing_ids(n)[0]), "id": i})])
        for i in ids for n, s in enumerate((signer, other))
    ]
    answers = post_at_once(live_server.url, posts)
    assert [a.status_code for a in answers] == [200] * len(posts)
    for n, event_id in enumerate(ids):
        pair = [answers[2 * n].json(), answers[2 * n + 1].json()]
        assert sorted(a["accepted"] for a in pair) == [[], [event_id]]
        [loser] = [a for a in pair if not a["accepted"]]
        assert "used by another player" in loser["rejected"][0]["reason"]
    assert sorted(stored_ids(world)) == sorted(ids) and chain_problems(world) == []


@BOTH_DATABASES
def test_one_key_enrolled_many_times_at_once_is_one_key(
    world: World, live_server: LiveServer
) -> None:
    key = public_key_b64(Ed25519PrivateKey.generate())
    start = threading.Barrier(10)

    def enroll() -> int:
        start.wait()
        return requests.post(f"{live_server.url}/api/v1/player/enroll", headers=auth(world.token),
                             json={"public_key": key}, timeout=60).status_code

    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda _n: enroll(), range(10)))
    assert codes == [201] * 10, codes
    with world.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PlayerKey)) == 1


@BOTH_DATABASES
def test_a_clock_a_month_or_years_slow_is_kept_in_full_and_the_batch_stored(
    signer: Signer, world: World
) -> None:
    airing = world.airing_ids(0)[0]
    for years in (0, 5):
        offset = timedelta(days=30 + 365 * years)
        slow = world.clock.now() - offset
        beat = signer.event("heartbeat", None, slow, version="t/1",
                            clock_offset_ms=-round(offset.total_seconds() * 1000))
        done = completion(signer, world, airing)
        answer = signer.post([beat, done])
        assert answer.status_code == 200
        assert answer.json["accepted"] == [beat["id"], done["id"]]
        assert any("player clock off by -" in w for w in answer.json["warnings"])
        assert done["id"] in stored_ids(world)
        with world.services.sessions() as session:
            player = session.get_one(Player, world.players[0].player_id)
            assert player.clock_offset_ms == -offset.total_seconds() * 1000 <= -MONTH_MS
            assert player.health["clock_flagged"] is True


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth - 1):
        value = {"x": value}
    return value


@BOTH_DATABASES
def test_each_value_out_of_range_rejects_its_event_and_the_rest_is_stored(
    signer: Signer, world: World
) -> None:
    airing = world.airing_ids(0)[0]
    now = world.clock.now()

    def at(text: str) -> dict:
        event = completion(signer, world, airing)
        return signer_resign(signer, {**event, "at": text})

    hostile = {
        "played_ms": completion(signer, world, airing, played_ms=2**31),
        "played_ms huge": completion(signer, world, airing, played_ms=2**70),
        "played_ms NaN": completion(signer, world, airing, played_ms=float("nan")),
        "airing_id 2^63": signer.event("airing.started", 2**63, now),
        "airing_id true": signer.event("airing.started", True, now),  # type: ignore[arg-type]
        "airing_id float": signer.event("airing.started", 1.0, now),  # type: ignore[arg-type]
        "at year 1": at("0001-01-01T00:00:00+07:00"),
        "at year 9999": at("9999-12-31T23:59:59-05:00"),
        "at year 9000": at("9000-01-01T00:00:00+00:00"),
        "detail deep": completion(signer, world, airing, deep=nested(40)),
        "detail big": completion(signer, world, airing, note="x" * 10_000),
        "detail Infinity": completion(signer, world, airing, level=float("inf")),
        # Not even signable: UTF-8 cannot carry it. Checked before the signature.
        "detail surrogate": {**completion(signer, world, airing), "detail": {"n": "\ud800"}},
        "clock offset": signer.event("heartbeat", None, now, clock_offset_ms=2**64),
    }
    good = completion(signer, world, airing)
    answer = signer.post([*hostile.values(), good])
    assert answer.status_code == 200
    assert answer.json["accepted"] == [good["id"]] and stored_ids(world) == [good["id"]]
    reasons = {r["id"]: r["reason"] for r in answer.json["rejected"]}
    expected = {
        "played_ms": "played_ms must be", "played_ms huge": "played_ms must be",
        "played_ms NaN": "not plain JSON", "airing_id 2^63": "airing_id must be",
        "airing_id true": "airing_id must be", "airing_id float": "airing_id must be",
        "at year 1": "century", "at year 9999": "century", "at year 9000": "century",
        "detail deep": "nested too deep", "detail big": "too large",
        "detail Infinity": "not plain JSON", "detail surrogate": "not plain JSON",
        "clock offset": "clock_offset_ms must be",
    }
    assert {name: expected[name] in reasons[e["id"]] for name, e in hostile.items()} == {
        name: True for name in hostile
    }


def signer_resign(signer: Signer, event: dict) -> dict:
    from loa.player.keys import sign_event

    return sign_event(signer.key, {k: v for k, v in event.items() if k != "sig"})


@BOTH_DATABASES
def test_a_non_canonical_event_id_is_rejected_and_verify_stays_clean(
    signer: Signer, world: World
) -> None:
    airing = world.airing_ids(0)[0]
    genuine = uuid.uuid4()
    spellings = [str(genuine).upper(), genuine.urn, f"{{{genuine}}}", genuine.hex]
    odd = [signer_resign(signer, {**completion(signer, world, airing), "id": s})
           for s in spellings]
    fine = {**completion(signer, world, airing), "id": str(genuine)}
    answer = signer.post([*odd, signer_resign(signer, fine)])
    assert answer.json["accepted"] == [str(genuine)]
    assert [r["id"] for r in answer.json["rejected"]] == spellings
    assert "canonical lower-case UUID" in answer.json["rejected"][0]["reason"]
    assert stored_ids(world) == [str(genuine)] and chain_problems(world) == []


@BOTH_DATABASES
def test_bodies_no_player_sends_get_a_4xx(signer: Signer, world: World) -> None:
    client, headers = signer.client, {**auth(world.token), "Content-Type": "application/json"}

    def post(data: str) -> Any:
        return client.post("/api/v1/player/events", data=data, headers=headers)

    deep = post('{"events": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    assert deep.status_code == 400 and "JSON" in deep.json["error"]
    assert post('{"events": [' + "[" * 500 + "]" * 500 + "]}").status_code == 400
    assert post('{"events": [' + "9" * 5000 + "]}").status_code == 400
    odd = post('{"events": [NaN, Infinity, {"id": [1]}, {"id": {}}, null]}')
    assert odd.status_code == 200 and len(odd.json["rejected"]) == 5
    for query in ("from=9999-12-31", "to=9999-12-31", "from=0001-01-01", "to=0001-01-01",
                  "from=2026-12-01&to=9999-12-31"):
        answer = client.get(f"/api/v1/player/schedule?{query}", headers=auth(world.token))
        assert answer.status_code == 400, query
        assert "10 years" in answer.json["error"] or "window" in answer.json["error"], query


@BOTH_DATABASES
def test_a_slow_heartbeat_on_its_own_updates_the_player(signer: Signer, world: World) -> None:
    """Sent with nothing else (an idle player): still 200, still flagged."""
    slow = world.clock.now() - timedelta(days=400)
    answer = signer.post([signer.event("heartbeat", None, slow, state="idle")])
    assert answer.status_code == 200 and answer.json["warnings"]
    with world.services.sessions() as session:
        count = session.scalar(select(func.count()).select_from(AiringLogEntry)
                               .where(AiringLogEntry.event.not_in(SERVER_EVENTS)))
        player = session.get_one(Player, world.players[0].player_id)
        assert count == 0 and player.clock_offset_ms == -400 * 24 * 3600 * 1000
        assert player.health["reported_at"] == slow.isoformat()
        assert player.last_seen == world.clock.now()
