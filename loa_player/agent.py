"""The agent's decisions, one step at a time, on an injectable clock.

``playout_step`` starts and ends airings; ``sync_step`` fetches the schedule
and audio; ``send_step`` sends events and heartbeats. A real-time runner calls
them from three threads (a slow download never delays a start or an event);
tests and the simulator call ``tick`` at the instants ``next_wake`` names, so
a month passes in seconds without sleeping.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from loa.player.clock import PlayerClock, read_boot_id
from loa.player.config import AgentConfig
from loa.player.health import Health
from loa.player.keys import load_or_create_key
from loa.player.link import Link
from loa.player.localdb import AgentDB
from loa.player.outbox import Outbox
from loa.player.output import Cue, NotStarted, Output, make_outputs
from loa.player.preempt import Preemption
from loa.player.slots import NowPlaying, Slot, ms, parse_schedule, resume_plan
from loa.player.timekeeping import TimeKeeper

logger = logging.getLogger(__name__)

SAVE_RETRY = timedelta(seconds=30)

PlayNowAnswer = Literal["accepted", "unknown", "refused"]


class Agent(Link, Preemption):
    """A player: its schedule, bulletins, cache, outbox and outputs, driven by ``tick``."""

    def __init__(self, config: AgentConfig, clock: PlayerClock,
                 outputs: list[Output] | None = None, rng: random.Random | None = None,
                 boot_id: Callable[[], str] = read_boot_id) -> None:
        self.config, self.clock = config, clock
        self.db = AgentDB(config.db_path)
        self.health = Health()
        self.keeper = TimeKeeper(clock, boot_id(), self.db.get("clock"),
                                 lambda saved: self._save("clock", saved))
        self.key = load_or_create_key(config.key_path)
        self.outbox = Outbox(self.db, self.key, rng, config.backoff_base_s,
                             config.backoff_cap_s, config.batch_size)
        self.outputs = outputs or make_outputs(list(config.outputs), self.now,
                                               config.played_log, config.alsa_device)
        schedule = self.db.get("schedule")
        self.slots = parse_schedule(schedule)
        self.player_id: int | None = (schedule or {}).get("player", {}).get("id")
        self.mode: str | None = (schedule or {}).get("player", {}).get("mode")
        self.handled: dict[int, str] = dict(self.db.query("SELECT airing_id, outcome FROM handled"))
        self.playing: NowPlaying | None = None
        self.on_event: Callable[[], None] = lambda: None  # the runner wakes its sender here
        self._unsaved: set[int] = set()  # outcomes the file has not taken yet
        self._next_save = datetime.min.replace(tzinfo=UTC)
        self._forced: set[int] = set()
        self._lock = threading.RLock()  # playout and close() come from different threads
        self.closed = False
        Link.__init__(self)
        self._init_bulletins(schedule)
        self._recover_bulletin()
        self._recover()

    @property
    def output(self) -> Output:
        """The first output in the order (tests read what the null output recorded)."""
        return self.outputs[0]

    def now(self) -> datetime:
        """Our best estimate of the server's time: the local clock plus the measured offset."""
        return self.keeper.now()

    def _save(self, key: str, value: Any) -> None:
        """Keep a value on disk if the disk lets us; a failure only shows in health."""
        try:
            self.db.put(key, value)
        except sqlite3.Error as exc:
            self.health.report("outbox", f"local database: {exc}")

    # -- events -----------------------------------------------------------------------------

    def _store(self, kind: str, slot: Slot, note: dict[str, Any] | None,
               outcome: str | None = None, **fields: Any) -> None:
        """Record an event, the airing's outcome and the 'playing' note in one transaction.

        If the file cannot be written (disk full, locked) the event waits in memory
        and is sent all the same; the outcome is kept in memory so nothing airs twice.
        """
        event = self.outbox.sign({
            "type": kind, "airing_id": slot.airing_id, "at": self.now().isoformat(),
            "sha256": slot.sha256, "played_ms": fields.pop("played_ms", None),
            "detail": fields})
        self.handled[slot.airing_id] = outcome or kind
        self._unsaved.add(slot.airing_id)
        try:
            with self.db.transaction() as tx:
                self.outbox.store(tx, event)
                self._save_outcomes(tx)
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
        self.on_event()

    def _save_outcomes(self, tx: sqlite3.Connection) -> None:
        """Write the outcomes kept only in memory (the file refused them before)."""
        tx.executemany("INSERT OR REPLACE INTO handled (airing_id, outcome) VALUES (?, ?)",
                       [(a, self.handled[a]) for a in sorted(self._unsaved)])

    def _retry_saving(self, now: datetime) -> None:
        """Once the file takes writes again, it gets the outcomes and events held in memory.

        Tried every ``SAVE_RETRY``: each try against a locked file costs its busy timeout.
        """
        if now < self._next_save:
            return
        self._next_save = now + SAVE_RETRY
        try:
            with self.db.transaction() as tx:
                self._save_outcomes(tx)
            self.outbox.spill()
        except sqlite3.Error:
            return
        self._unsaved.clear()
        self.health.clear("outbox")

    def _finish(self, slot: Slot, kind: str, note: dict[str, Any] | None = None,
                **fields: Any) -> None:
        """Record the airing's final event; ``note`` keeps a 'playing' record for a resume."""
        self._store(kind, slot, note, **fields)
        logger.info("airing %s: %s %s", slot.airing_id, kind, fields.get("reason", ""))

    def _recover(self) -> None:
        """A saved 'playing' means we stopped mid-airing: report it interrupted, resume if allowed.

        ``close`` has already reported a clean stop (``reported``); a crash has not.
        """
        saved = self.db.get("playing")
        if not saved:
            return
        slot = next((s for s in self.slots if s.airing_id == saved["airing_id"]), None)
        slot = slot or Slot(saved["airing_id"], datetime.fromisoformat(saved["starts_at"]),
                            saved["duration_ms"], saved["sha256"], "", None,
                            saved.get("resume", False))
        now = self.now()
        heard, resume_at = resume_plan(saved, slot, now)
        if saved.get("reported"):
            with self.db.transaction() as tx:
                self.db.delete("playing", tx)
        else:
            self._finish(slot, "airing.interrupted", played_ms=heard,
                         reason="agent restarted during playback", started_at=saved["started_at"])
        if resume_at is not None and not self.refused_too_long(now):
            logger.info("airing %s: resuming at %d ms", slot.airing_id, resume_at)
            self._start(slot, now, from_ms=resume_at, before_ms=heard)

    # -- playout ----------------------------------------------------------------------------

    def play_now(self, airing_id: int) -> PlayNowAnswer:
        """A ``play.now`` notice: start this airing now if its slot is due now, else ignore it.

        Cases: only a live-mode player (the mode its schedule names) acts on one;
        the airing must be in its schedule, not yet handled, and its start within
        ``late_grace_s`` of now either way (the server's slot has come, our clock
        may lag it a little): a notice never moves an airing further, so a
        future airing plays at its time and a past one stays missed. An airing
        we do not hold is ``unknown`` (the runner fetches the schedule).
        """
        # No lock: this runs on paho's network thread, which must not wait for a playout
        # step (a download at a start); playout checks ``handled`` again before it starts.
        slot = next((s for s in self.slots if s.airing_id == airing_id), None)
        now = self.now()
        if self.mode != "live":
            answer: PlayNowAnswer = "refused"
            why = f"this player is in {self.mode or 'unknown'} mode"
        elif slot is None:
            answer, why = "unknown", "not in the schedule held"
        elif self.handled.get(airing_id) is not None or self._on_output(airing_id):
            answer, why = "refused", "already handled"
        elif abs((now - slot.starts_at).total_seconds()) > self.config.late_grace_s:
            answer, why = "refused", f"its slot starts at {slot.starts_at.isoformat()}"
        else:
            self._forced.add(airing_id)
            return "accepted"
        logger.warning("play.now for airing %s ignored: %s", airing_id, why)
        return answer

    def _on_output(self, airing_id: int) -> bool:
        playing = self.playing  # read once: playout may end it meanwhile
        return playing is not None and playing.slot.airing_id == airing_id

    def playout_step(self) -> None:
        """End an airing that is over; start each airing that is due, in order, one at a time.

        Cases: an airing ends at its deadline whatever the output says; a due airing
        waits while an earlier one plays and starts the moment it ends (late, and
        logged with how late); one still waiting past ``late_grace_s`` is failed as
        missed, with the reason; none airs once a refused token's grace is over.
        """
        with self._lock:
            now = self.now()
            self.bulletin_playout(now)  # an emergency is no scheduled content: never refused
            if self.refused_too_long(now):
                self._stop_refused(now)
                return
            if self.playing:
                self._check_playing(now)
            if self._unsaved:
                self._retry_saving(now)
            self.placed_playout(now)
            for slot in self.slots:
                if slot.starts_at > now and slot.airing_id not in self._forced:
                    break
                if self.handled.get(slot.airing_id) is not None:
                    continue
                self._forced.discard(slot.airing_id)
                late = (now - slot.starts_at).total_seconds()
                if late > self.config.late_grace_s or now >= slot.ends_at:
                    busy = f"; airing {self.playing.slot.airing_id} on air" if self.playing else ""
                    self._finish(slot, "airing.failed",
                                 reason=f"missed: not started within {late:.0f} s{busy}")
                elif self.playing is not None or self.on_air is not None:
                    return  # wait for the airing or bulletin on air to reach its end
                else:
                    self._start(slot, now)

    def _check_playing(self, now: datetime) -> None:
        playing = self.playing
        assert playing is not None
        if playing.playback.finished():
            error = playing.playback.error()
            if error and now < playing.deadline:
                self._fall_back(playing, now, error)
            else:
                self._end_playing(now, error)
        elif now >= playing.deadline:
            playing.playback.stop()
            self._end_playing(now, None, stopped_at_end=True)
        else:
            self._save_progress(now)

    def _start(self, slot: Slot, now: datetime, from_ms: int = 0, before_ms: int = 0) -> None:
        """Play ``slot`` from ``from_ms`` in its audio (non-zero: resuming after a restart).

        The ``started`` event is stored before any output starts, so a crash right
        after leaves a started airing to report as interrupted, never a silent one.
        """
        problem = self.cache.ensure(slot.sha256, slot.url, slot.size)
        if problem is not None:
            self._finish(slot, "airing.failed", reason=f"audio missing or corrupt: {problem}")
            return
        late_ms = ms(now - slot.starts_at)
        detail: dict[str, Any] = ({"resumed_from_ms": from_ms} if from_ms
                                  else {"late_ms": late_ms})
        if not from_ms and late_ms > 100:
            logger.warning("airing %s starts %d ms late", slot.airing_id, late_ms)
        playing = NowPlaying(slot, NotStarted(now), now, from_ms, before_ms, saved_at=now)
        self._store("airing.started", slot, playing.note(now), **detail)
        self.playing = playing
        self._fall_back(playing, now, None)

    def _fall_back(self, playing: NowPlaying, now: datetime, error: str | None) -> None:
        """Start the airing on the next try of the output order, where it should be by ``now``.

        Each output is tried ``output_tries`` times before the next; when all have
        failed, the airing has failed, with every output's error.
        """
        if error:
            playing.output_errors.append(f"{self._output_name(playing.attempt)}: {error}")
            logger.warning("airing %s: output failed: %s", playing.slot.airing_id, error)
            playing.attempt += 1
        position = playing.from_ms + ms(now - playing.started_at)
        cue = Cue(playing.slot.airing_id, playing.slot.sha256, self.cache.path(playing.slot.sha256),
                  playing.slot.duration_ms, playing.slot.starts_at, position)
        while playing.attempt < len(self.outputs) * self.config.output_tries:
            output = self.outputs[playing.attempt // self.config.output_tries]
            try:
                playing.playback = output.start(cue)
            except OSError as exc:
                playing.output_errors.append(f"{output.name}: {exc}")
                logger.warning("airing %s: output %s failed: %s", playing.slot.airing_id,
                               output.name, exc)
                playing.attempt += 1
                continue
            if playing.output_errors:
                self.health.report("output", "; ".join(playing.output_errors)[-300:])
            return
        self._end_playing(now, "all outputs failed: " + "; ".join(playing.output_errors))

    def _output_name(self, attempt: int) -> str:
        return self.outputs[min(attempt // self.config.output_tries, len(self.outputs) - 1)].name

    def _save_progress(self, now: datetime) -> None:
        """Every ``progress_s``, note on disk how far the airing has played (for a crash)."""
        assert self.playing is not None
        due = self.playing.saved_at or self.playing.started_at
        if now >= due + timedelta(seconds=self.config.progress_s):
            self._save("playing", self.playing.note(now))
            self.playing.saved_at = now

    def _end_playing(self, now: datetime, error: str | None, **detail: Any) -> None:
        assert self.playing is not None
        done, self.playing = self.playing, None
        detail["output"] = self._output_name(done.attempt)
        if done.output_errors:
            detail["output_errors"] = done.output_errors
            if detail["output"] == "null" and not error:
                # The null output only keeps time and the log: nobody heard this airing.
                error = "no real output played: " + "; ".join(done.output_errors)
        if error:
            self._finish(done.slot, "airing.failed", played_ms=done.played_ms(now),
                         reason=error, **detail)
        else:
            self._finish(done.slot, "airing.completed", played_ms=done.played_ms(now), **detail)

    def _stop_refused(self, now: datetime) -> None:
        """The server refused our token past the grace: scheduled content goes off air."""
        reason = "token refused by the server (HTTP 401); airing stopped"
        if self.refused is not None and "stopped" not in self.refused:
            logger.error("scheduled airing stopped: %s", reason)
            self.refused["stopped"] = now.isoformat()  # what `loa-player status` shows
            self._save("refused", self.refused)
        if self.playing:
            done, self.playing = self.playing, None
            done.playback.stop()
            self._finish(done.slot, "airing.interrupted", played_ms=done.played_ms(now),
                         reason=reason)
        for slot in self.slots:
            if slot.starts_at > now:
                break
            if self.handled.get(slot.airing_id) is None:
                self._finish(slot, "airing.failed", reason=reason)

    # -- driving ----------------------------------------------------------------------------

    def tick(self) -> None:
        """One step of everything, in the order a single thread should take them."""
        self.playout_step()
        self.bulletin_step()
        self.sync_step()
        self.send_step()
        self.playout_step()

    def next_playout_wake(self) -> datetime:
        """When playout next has something to do (agent time)."""
        now = self.now()
        wake = now + timedelta(seconds=self.config.poll_s)
        playing = self.playing
        if playing:
            wake = min(wake, playing.playback.ends_by(), playing.deadline)
            saved = playing.saved_at or playing.started_at
            wake = min(wake, saved + timedelta(seconds=self.config.progress_s))
        upcoming = (max(s.starts_at, now) for s in self.slots
                    if s.ends_at > now and self.handled.get(s.airing_id) is None)
        bulletins = self.next_bulletin_playout_wake(now) or wake
        return min(wake, bulletins, next(upcoming, wake))

    def next_wake(self) -> datetime:
        """The earliest instant (our estimate of server time) at which ``tick`` has work."""
        return min(self.next_playout_wake(), self.next_bulletin_wake(), self.next_sync_wake(),
                   self.next_send_wake())

    def close(self) -> None:
        """Stop: an airing cut short is reported interrupted with what played."""
        if self.closed:
            return
        self.closed = True
        with self._lock:
            if self.on_air is not None:
                self.on_air.playback.stop()
                self._end_bulletin(self.now(), reason="agent stopped during playback")
            if self.playing:
                done, self.playing = self.playing, None
                done.playback.stop()
                now = self.now()
                # A clean restart (an upgrade) may resume too: keep the note, marked reported.
                note = {**done.note(now), "reported": True} if done.slot.resume else None
                self._finish(done.slot, "airing.interrupted", note=note,
                             played_ms=done.played_ms(now), reason="agent stopped during playback")
            self.db.close()
