"""Every field of an event, given a value of every JSON type, through POST /player/events
(issue 15 §8): a wrong type rejects that event with its reason, never a 500.

Each event is signed with the player's enrolled key after its field was set, so the
value reaches every check behind the signature (and the database, if one is missing).
"""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loa.canonical import canonical_json
from tests.players.conftest import BOTH_DATABASES, Signer, World, auth

# JSON values of every type: the checks must tell them apart (true is no number).
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
              st.text(max_size=20)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                  max_size=3),
    max_leaves=8,
)
NULL = type(None)
WHOLE, NUMBER = (int,), (int, float)
# The types each field may have; any other type is rejected.
TOP = {"id": (str,), "type": (str,), "airing_id": (int, NULL), "bulletin_id": (int, NULL),
       "at": (str,), "sha256": (str, NULL), "played_ms": (int, NULL), "detail": (dict, NULL),
       "sig": (str,)}
DETAIL = {
    "heartbeat": {"clock_offset_ms": WHOLE, "version": (str,), "state": (str,),
                  "disk_free_mb": NUMBER, "volume": NUMBER, "signal": NUMBER,
                  "cached_files": WHOLE, "outbox": WHOLE, "clock_offset_age_s": NUMBER,
                  "outputs": (list,), "problems": (dict,)},
    "airing.completed": {"clock_offset_ms": WHOLE},
    "bulletin.completed": {"clock_offset_ms": WHOLE, "slot_id": WHOLE, "repeat": WHOLE},
    "bulletin.failed": {"clock_offset_ms": WHOLE, "slot_id": WHOLE, "repeat": WHOLE,
                        "reason": (str,)},
}


def json_type_fits(value: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds)


def base_event(world: World, kind: str) -> dict[str, Any]:
    at = (world.clock.now() + timedelta(minutes=1)).isoformat()
    event: dict[str, Any] = {"id": str(uuid.uuid4()), "type": kind, "airing_id": None,
                             "at": at, "sha256": None, "played_ms": None, "detail": {}}
    if kind == "airing.completed":
        event.update(airing_id=world.airing_ids(0)[0], sha256=world.sha256, played_ms=600_000)
    if kind == "bulletin.completed":
        event.update(bulletin_id=1, sha256=world.sha256, played_ms=1000)
    if kind == "bulletin.failed":
        event.update(bulletin_id=1, sha256=world.sha256)
    return event


def signed(signer: Signer, event: dict[str, Any]) -> dict[str, Any]:
    try:
        message = canonical_json({k: v for k, v in event.items() if k != "sig"}).encode()
    except ValueError:  # NaN or Infinity: not signable, and refused before the signature
        return {**event, "sig": "AAAA"}
    return {**event, "sig": base64.b64encode(signer.key.sign(message)).decode()}


def hostile(world: World, signer: Signer) -> st.SearchStrategy[tuple[str, str, Any, dict]]:
    """(event type, field, value, the signed event carrying it)."""
    def made(kind: str, field: str, value: Any) -> tuple[str, str, Any, dict]:
        event = base_event(world, kind)
        if field.startswith("detail."):
            event["detail"] = {field.removeprefix("detail."): value}
        elif field != "sig":
            event[field] = value
        event = signed(signer, event)
        if field == "sig":
            event["sig"] = value
        return kind, field, value, event

    fields = st.sampled_from(sorted(DETAIL)).flatmap(lambda kind: st.tuples(
        st.just(kind), st.sampled_from(sorted(TOP) + [f"detail.{f}" for f in DETAIL[kind]])))
    return st.tuples(fields, json_values).map(lambda fv: made(fv[0][0], fv[0][1], fv[1]))


@BOTH_DATABASES
def test_a_field_of_any_json_type_gets_an_answer_and_a_wrong_type_a_reason(
    client: FlaskClient, signer: Signer, world: World, database_url: str
) -> None:
    examples = 600 if database_url.startswith("sqlite") else 150
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(hostile(world, signer))
    def one(case: tuple[str, str, Any, dict]) -> None:
        kind, field, value, event = case
        answer = client.post("/api/v1/player/events", json={"events": [event]},
                             headers=auth(world.token))
        assert answer.status_code == 200, (case, answer.get_data(as_text=True)[:300])
        accepted, rejected = answer.json["accepted"], answer.json["rejected"]
        assert len(accepted) + len(rejected) == 1, answer.json
        name = field.removeprefix("detail.")
        kinds = (*DETAIL[kind][name], NULL) if field.startswith("detail.") else TOP[field]
        if not json_type_fits(value, kinds):
            assert rejected and rejected[0]["reason"], (case, answer.json)
            seen.add((kind, field))

    one()
    assert len(seen) > 20  # wrong types met most fields, not only the first check


def test_an_event_whose_type_is_an_object_is_rejected_with_its_reason(
    client: FlaskClient, signer: Signer, world: World
) -> None:
    events = [signed(signer, {**base_event(world, "heartbeat"), "type": {}}),
              signed(signer, {**base_event(world, "heartbeat"), "type": ["heartbeat"]}),
              signed(signer, {**base_event(world, "heartbeat"), "detail": {"state": {}}}),
              signed(signer, base_event(world, "heartbeat"))]
    answer = client.post("/api/v1/player/events", json={"events": events},
                         headers=auth(world.token))
    assert answer.status_code == 200
    reasons = [r["reason"] for r in answer.json["rejected"]]
    assert "unknown type" in reasons[0] and "unknown type" in reasons[1]
    assert "detail.state must be a string" in reasons[2]
    assert answer.json["accepted"] == [events[3]["id"]]  # the rest of the batch stands
