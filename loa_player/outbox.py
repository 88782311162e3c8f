"""Events wait in the local outbox until the server acknowledges them, then leave it.

Record locally first, delete only after acknowledgement (as OBPlayer's
playlog sync does): a crash before the POST resends the same ids, a crash
after it resends ids the server already has, and the server dedupes by id,
so every event arrives exactly once. When the SQLite file cannot be written
(disk full, locked), events wait in memory instead and still go out; they
move to the file as soon as it can be written again.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import uuid
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loa.player.client import ServerClient, ServerUnreachable, Unauthorised
from loa.player.keys import sign_event
from loa.player.localdb import AgentDB

logger = logging.getLogger(__name__)


def backoff_delay(failures: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Seconds to wait after ``failures`` failed sends: exponential, capped, with jitter.

    Cases: the first failure waits about ``base_s``; each further one doubles up to
    ``cap_s``; the jitter keeps a fleet that lost the server together from
    returning all at once.
    """
    # Clamp the exponent: after days offline, 2**failures would overflow a float.
    ceiling = min(cap_s, base_s * 2 ** min(max(failures - 1, 0), 32))
    return ceiling * (0.5 + rng.random() / 2)


class Outbox:
    def __init__(self, db: AgentDB, key: Ed25519PrivateKey, rng: random.Random | None = None,
                 base_s: float = 2.0, cap_s: float = 300.0, batch_size: int = 200) -> None:
        self._db, self._key = db, key
        self._rng = rng or random.Random()
        self._base_s, self._cap_s, self._batch_size = base_s, cap_s, batch_size
        self.failures = 0
        self.next_attempt: datetime | None = None
        self.warnings: list[str] = []
        self._held: list[dict[str, Any]] = []  # signed events the file could not take
        self._held_lock = threading.Lock()

    def sign(self, event: dict[str, Any]) -> dict[str, Any]:
        """``event`` with a fresh id and its signature."""
        return sign_event(self._key, {"id": str(uuid.uuid4()), **event})

    @staticmethod
    def store(conn: sqlite3.Connection, signed: dict[str, Any]) -> None:
        """Store a signed event inside the caller's transaction."""
        conn.execute("INSERT OR IGNORE INTO outbox (id, body, created) VALUES (?, ?, ?)",
                     (signed["id"], json.dumps(signed), signed["at"]))

    def hold(self, signed: dict[str, Any]) -> None:
        """Keep an event the file could not take in memory, to send all the same."""
        with self._held_lock:
            self._held.append(signed)

    def spill(self) -> None:
        """Move held events into the file; raises sqlite3.Error if it still cannot take them."""
        with self._held_lock:
            held, self._held = self._held, []
        try:
            with self._db.transaction() as tx:
                for signed in held:
                    self.store(tx, signed)
        except sqlite3.Error:
            with self._held_lock:
                self._held[:0] = held
            raise

    def held(self) -> int:
        return len(self._held)

    def pending(self) -> int:
        """Events not yet acknowledged, in the file and held in memory."""
        try:
            stored = self._db.query("SELECT COUNT(*) FROM outbox")[0][0]
        except sqlite3.Error:
            stored = 0
        return stored + self.held()

    def hold_back(self, now: datetime, up_to_s: float) -> None:
        """Send nothing for a random moment of up to ``up_to_s`` from ``now``, so players
        that all recorded something at the same instant do not all report it at once; a
        backoff already longer stands."""
        until = now + timedelta(seconds=up_to_s * self._rng.random())
        self.next_attempt = max(self.next_attempt or until, until)

    def due(self, now: datetime) -> bool:
        return self.next_attempt is None or now >= self.next_attempt

    def flush(self, client: ServerClient, now: Callable[[], datetime],
              extra: list[dict[str, Any]] | None = None) -> int:
        """Send everything waiting (plus ``extra``, e.g. a fresh heartbeat); return how many left.

        Raises nothing for an unreachable server: it schedules the next attempt instead.
        """
        extra = list(extra or [])
        sent = 0
        with suppress(sqlite3.Error):
            self.spill()
        with self._held_lock:
            extra += self._held[: self._batch_size]
        while True:
            rows = self._stored_batch()
            if not rows and not extra:
                break
            batch = extra + [json.loads(body) for _id, body in rows]
            extra = []
            try:
                answer = client.post_events(batch)
            except Unauthorised as exc:
                self._failed(now(), exc)
                raise
            except ServerUnreachable as exc:
                self._failed(now(), exc)
                return self.pending()
            settled = self._settle(answer)
            sent += len(rows)
            if len(rows) < self._batch_size or not settled:
                break
        self.failures, self.next_attempt = 0, None
        if sent:
            logger.info("outbox: %d event(s) delivered", sent)
        return self.pending()

    def _stored_batch(self) -> list[tuple[str, str]]:
        """The oldest stored events; none if the file cannot be read (held ones still go)."""
        try:
            return self._db.query("SELECT id, body FROM outbox ORDER BY rowid LIMIT ?",
                                  (self._batch_size,))
        except sqlite3.Error as exc:
            logger.warning("outbox file unreadable: %s", exc)
            return []

    def _failed(self, at: datetime, exc: Exception) -> None:
        self.failures += 1
        delay = backoff_delay(self.failures, self._base_s, self._cap_s, self._rng)
        self.next_attempt = at + timedelta(seconds=delay)
        logger.warning("outbox: %d event(s) not sent (%s); retry in %.0f s",
                       self.pending(), type(exc).__name__, delay)

    def _settle(self, answer: dict[str, Any]) -> int:
        """Delete acknowledged ids; park rejected ones in ``dead`` with the server's reason."""
        accepted = [str(i) for i in answer.get("accepted", [])]
        rejected = [r for r in answer.get("rejected", []) if isinstance(r, dict)]
        self.warnings = [str(w) for w in answer.get("warnings", [])]
        done = set(accepted) | {str(r.get("id")) for r in rejected}
        with self._held_lock:
            self._held = [e for e in self._held if e["id"] not in done]
        try:
            self._forget(accepted, rejected)
        except sqlite3.Error as exc:
            # The server has them and dedupes by id: they go again once the file can be written.
            logger.warning("outbox: acknowledged events not removed yet: %s", exc)
            return 0
        return len(accepted) + len(rejected)

    def _forget(self, accepted: list[str], rejected: list[dict[str, Any]]) -> None:
        with self._db.transaction() as tx:
            tx.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in accepted])
            for item in rejected:
                row = tx.execute("SELECT body FROM outbox WHERE id = ?", (str(item.get("id")),))
                found = row.fetchone()
                if found is None:
                    continue  # a rejected heartbeat: never stored
                tx.execute("INSERT OR REPLACE INTO dead (id, body, reason) VALUES (?, ?, ?)",
                           (str(item["id"]), found[0], str(item.get("reason"))))
                tx.execute("DELETE FROM outbox WHERE id = ?", (str(item["id"]),))
                logger.error("server rejected event %s: %s", item["id"], item.get("reason"))
