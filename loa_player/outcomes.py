"""The airings' outcomes and their events: on disk with the 'playing' note, or in memory while
the disk refuses, so nothing airs twice and nothing reported is lost."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from loa.player.health import Health
from loa.player.localdb import AgentDB
from loa.player.outbox import Outbox
from loa.player.slots import Slot

SAVE_RETRY = timedelta(seconds=30)


class Outcomes:
    """What became of each airing (``handled``), recorded with its signed event."""

    def __init__(self, db: AgentDB, outbox: Outbox, health: Health,
                 now: Callable[[], datetime], on_event: Callable[[], None]) -> None:
        self.db, self.outbox, self.health, self.now = db, outbox, health, now
        self._on_event = on_event  # wakes the sender
        self.handled: dict[int, str] = dict(db.query("SELECT airing_id, outcome FROM handled"))
        self._unsaved: set[int] = set()  # outcomes the file has not taken yet
        self._next_save = datetime.min.replace(tzinfo=UTC)

    def record(self, kind: str, slot: Slot, note: dict[str, Any] | None,
               **fields: Any) -> None:
        """Record an event, the airing's outcome and the 'playing' note in one transaction.

        If the file cannot be written (disk full, locked) the event waits in memory
        and is sent all the same; the outcome is kept in memory so nothing airs twice.
        """
        event = self.outbox.sign({
            "type": kind, "airing_id": slot.airing_id, "at": self.now().isoformat(),
            "sha256": slot.sha256, "played_ms": fields.pop("played_ms", None),
            "detail": fields})
        self.handled[slot.airing_id] = kind
        self._unsaved.add(slot.airing_id)
        try:
            with self.db.transaction() as tx:
                self.outbox.store(tx, event)
                self._save(tx)
                if note is None:
                    self.db.delete("playing", tx)
                else:
                    self.db.put("playing", note, tx)
        except sqlite3.Error as exc:
            self.outbox.hold(event)
            self.health.report("outbox", f"local database: {exc}; events held in memory")
        else:
            self._unsaved.clear()
            self.health.clear("outbox")
        self._on_event()

    def _save(self, tx: sqlite3.Connection) -> None:
        """Write the outcomes kept only in memory (the file refused them before)."""
        tx.executemany("INSERT OR REPLACE INTO handled (airing_id, outcome) VALUES (?, ?)",
                       [(a, self.handled[a]) for a in sorted(self._unsaved)])

    def retry_saving(self, now: datetime) -> None:
        """Once the file takes writes again, it gets the outcomes and events held in memory.

        Tried every ``SAVE_RETRY``: each try against a locked file costs its busy timeout.
        """
        if not self._unsaved or now < self._next_save:
            return
        self._next_save = now + SAVE_RETRY
        try:
            with self.db.transaction() as tx:
                self._save(tx)
            self.outbox.spill()
        except sqlite3.Error:
            return
        self._unsaved.clear()
        self.health.clear("outbox")
