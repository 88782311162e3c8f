"""The agent: one station's player, made of its parts, driven one step at a time.

Its parts, each handed what it shares: ``OnAir`` (the speakers: one play at a
time, through the output chain and its fallback, for airings and bulletins
alike), ``Link`` (sync: the schedule and audio in; send: events and heartbeats
out), ``Preemption`` (bulletins: emergencies cut in, placed plays). The agent
itself airs the schedule: ``playout_step`` starts and ends airings and lets
bulletins in. A real-time runner calls the steps from four threads (a slow
download never delays a start or an event); tests and the simulator call
``tick`` at the instants ``next_wake`` names, so a month passes in seconds.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from loa.player.clock import PlayerClock, read_boot_id
from loa.player.config import AgentConfig
from loa.player.health import Health
from loa.player.keys import load_or_create_key
from loa.player.link import Link
from loa.player.localdb import AgentDB
from loa.player.on_air import Ended, OnAir
from loa.player.outbox import Outbox
from loa.player.outcomes import Outcomes
from loa.player.output import Cue, Output, make_outputs
from loa.player.preempt import Preemption
from loa.player.relay import RelayOnAir, Relays
from loa.player.slots import NowPlaying, Schedule, Slot, ms, resume_plan
from loa.player.timekeeping import TimeKeeper

logger = logging.getLogger(__name__)

PlayNowAnswer = Literal["accepted", "unknown", "refused"]


class Agent:
    """A player: its schedule and outcomes, and the parts that fetch, report and play."""

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
        self.on_air = OnAir(outputs or make_outputs(list(config.outputs), self.now,
                                                    config.played_log, config.alsa_device),
                            config.output_tries, self.health)
        self.schedule = Schedule()
        self.schedule.take(self.db.get("schedule"))
        self.on_event: Callable[[], None] = lambda: None  # the runner wakes its sender here
        self.outcomes = Outcomes(self.db, self.outbox, self.health, self.now,
                                 lambda: self.on_event())
        self._forced: set[int] = set()
        self._lock = threading.RLock()  # playout and close() come from different threads
        self.closed = False
        self.preempted: tuple[Slot, dict[str, Any]] | None = None  # to resume after
        self.link = Link(config, self.db, self.keeper, self.health, self.key, self.outbox,
                         self.schedule, self.on_air, self._save,
                         lambda: self.preemption.bulletin_audio())
        self.cache = self.link.cache
        self.preemption = Preemption(config, self.db, self.health, self.outbox, self.keeper,
                                     self.cache, self.schedule, self.on_air,
                                     lambda: self.on_event())
        self.relays = Relays(config, self.db, self.health, self.outbox, self.now, self.cache,
                             self.schedule, self.on_air, lambda: self.on_event())
        self._recover()

    @property
    def output(self) -> Output:
        """The first output in the order (tests read what the null output recorded)."""
        return self.on_air.outputs[0]

    @property
    def playing(self) -> NowPlaying | None:
        """The airing on air, if what is on air is one."""
        what = self.on_air.what
        return what if isinstance(what, NowPlaying) else None

    @property
    def handled(self) -> dict[int, str]:
        """Each airing's outcome so far: what has been handled never airs again."""
        return self.outcomes.handled

    def now(self) -> datetime:
        """Our best estimate of the server's time: the local clock plus the measured offset."""
        return self.keeper.now()

    def _save(self, key: str, value: Any) -> None:
        """Keep a value on disk if the disk lets us; a failure only shows in health."""
        try:
            self.db.put(key, value)
        except sqlite3.Error as exc:
            self.health.report("outbox", f"local database: {exc}")

    def _forget_note(self) -> None:
        """Drop the 'playing' note: the airing it tells of will not resume."""
        try:
            with self.db.transaction() as tx:
                self.db.delete("playing", tx)
        except sqlite3.Error as exc:
            self.health.report("outbox", f"local database: {exc}")

    def _finish(self, slot: Slot, kind: str, note: dict[str, Any] | None = None,
                **fields: Any) -> None:
        """Record the airing's final event; ``note`` keeps a 'playing' record for a resume."""
        self.outcomes.record(kind, slot, note, **fields)
        logger.info("airing %s: %s %s", slot.airing_id, kind, fields.get("reason", ""))

    def _recover(self) -> None:
        """A saved 'playing' means we stopped mid-airing: report it interrupted, resume if allowed.

        ``close`` has already reported a clean stop (``reported``); a crash has not.
        """
        saved = self.db.get("playing")
        if not saved:
            return
        slot = next((s for s in self.schedule.slots if s.airing_id == saved["airing_id"]), None)
        slot = slot or Slot(saved["airing_id"], datetime.fromisoformat(saved["starts_at"]),
                            saved["duration_ms"], saved["sha256"], "", None,
                            saved.get("resume", False))
        now = self.now()
        if not saved.get("reported"):
            heard, _ = resume_plan(saved, slot, now)
            self._finish(slot, "airing.interrupted", played_ms=heard,
                         reason="agent restarted during playback", started_at=saved["started_at"])
        self._resume(slot, saved, now)

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
        slot = next((s for s in self.schedule.slots if s.airing_id == airing_id), None)
        now = self.now()
        mode = self.schedule.mode
        if mode != "live":
            answer: PlayNowAnswer = "refused"
            why = f"this player is in {mode or 'unknown'} mode"
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
        """End what is over; let a due emergency in; start each due airing, in order, one at a time.

        Cases: an airing ends at its deadline whatever the output says; a due airing
        waits while an earlier one (or a bulletin) plays and starts the moment it
        ends (late, and logged with how late); one still waiting past
        ``late_grace_s`` is failed as missed, with the reason; none airs once a
        refused token's grace is over (emergencies still do: no scheduled content).
        """
        with self._lock:
            now = self.now()
            self._check_on_air(now)
            self._let_emergency_in(now)
            if self.preempted is not None and self.on_air.play is None:
                (slot, note), self.preempted = self.preempted, None
                self._resume(slot, note, now)  # after the emergency
            if self.link.refused_too_long(now):
                self._stop_refused(now)
                return
            self.outcomes.retry_saving(now)
            self.preemption.placed_playout(now)
            self.relays.playout(now)
            self._start_due_airings(now)

    def _start_due_airings(self, now: datetime) -> None:
        for slot in self.schedule.slots:
            if slot.starts_at > now and slot.airing_id not in self._forced:
                break
            if self.handled.get(slot.airing_id) is not None:
                continue
            self._forced.discard(slot.airing_id)
            late = (now - slot.starts_at).total_seconds()
            if late > self.config.late_grace_s or now >= slot.ends_at:
                playing = self.playing
                busy = f"; airing {playing.slot.airing_id} on air" if playing else ""
                self._finish(slot, "airing.failed",
                             reason=f"missed: not started within {late:.0f} s{busy}")
            elif self.on_air.play is not None:
                return  # wait for the airing or bulletin on air to reach its end
            else:
                self._start(slot, now)

    def _check_on_air(self, now: datetime) -> None:
        self.preemption.stop_if_cancelled()
        ended = self.on_air.check(now)
        if ended is None:
            if self.playing is not None:
                self._save_progress(now)
        elif isinstance(ended.what, NowPlaying):
            self._end_airing(ended, now)
        elif isinstance(ended.what, RelayOnAir):
            self.relays.report_end(ended)
        else:
            self.preemption.report_end(ended)

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
        playing = NowPlaying(slot, now, from_ms, before_ms, saved_at=now)
        self.outcomes.record("airing.started", slot, playing.note(now), **detail)
        cue = Cue(slot.airing_id, slot.sha256, self.cache.path(slot.sha256), slot.duration_ms,
                  slot.starts_at, from_ms)
        ended = self.on_air.start(playing, f"airing {slot.airing_id}", cue, now,
                                  playing.length_ms)
        if ended is not None:
            self._end_airing(ended, now)

    def _end_airing(self, ended: Ended, now: datetime) -> None:
        """The airing's final event: failed if nobody heard it through, else completed."""
        done: NowPlaying = ended.what
        if ended.error:
            self._finish(done.slot, "airing.failed", played_ms=done.played_ms(now),
                         reason=ended.error, **ended.detail())
        else:
            self._finish(done.slot, "airing.completed", played_ms=done.played_ms(now),
                         **ended.detail())

    def _save_progress(self, now: datetime) -> None:
        """Every ``progress_s``, note on disk how far the airing has played (for a crash)."""
        playing = self.playing
        assert playing is not None
        due = playing.saved_at or playing.started_at
        if now >= due + timedelta(seconds=self.config.progress_s):
            self._save("playing", playing.note(now))
            playing.saved_at = now

    # -- cutting in -------------------------------------------------------------------------

    def _let_emergency_in(self, now: datetime) -> None:
        """An emergency due now cuts what is on air (never another emergency) and plays."""
        due = self.preemption.due_emergency(now)
        if due is None:
            return
        bulletin, repeat = due
        # Before the cut is recorded: its report and the start's wait with the rest of the
        # fleet's (AgentConfig.report_spread_s).
        self.outbox.hold_back(now, self.config.report_spread_s)
        self.preempted = self._cut(now, "emergency", by=bulletin.id)
        self.preemption.play_emergency(bulletin, repeat, now)

    def _cut(self, now: datetime, reason: str, by: int | None = None,
             resumable: bool = True) -> tuple[Slot, dict[str, Any]] | None:
        """Stop what is on air and report it cut; an airing that may resume, with its note.

        The note on disk lets a restart during the cut resume the airing, reported once.
        """
        ended = self.on_air.stop()
        if ended is None:
            return None
        if isinstance(ended.what, RelayOnAir):  # it goes on after an emergency, if it may
            self.relays.report_end(ended, reason=reason)
            return None
        if not isinstance(ended.what, NowPlaying):
            self.preemption.report_end(ended, reason=reason,
                                       **({"interrupted_by": by} if by else {}))
            return None
        done: NowPlaying = ended.what
        note = {**done.note(now), "reported": True} if resumable and done.slot.resume else None
        self._finish(done.slot, "airing.interrupted", note=note, played_ms=done.played_ms(now),
                     reason=reason, **({"bulletin_id": by} if by else {}))
        return (done.slot, note) if note is not None else None

    def _resume(self, slot: Slot, note: dict[str, Any], now: datetime) -> None:
        """A cut airing plays on where it would be now, if allowed; else its note goes."""
        heard, resume_at = resume_plan(note, slot, now)
        if resume_at is None or self.link.refused_too_long(now):
            self._forget_note()
            return
        logger.info("airing %s: resuming at %d ms", slot.airing_id, resume_at)
        self._start(slot, now, from_ms=resume_at, before_ms=heard)

    def _stop_refused(self, now: datetime) -> None:
        """The server refused our token past the grace: scheduled content goes off air."""
        reason = "token refused by the server (HTTP 401); airing stopped"
        self.link.note_airing_stopped(now, reason)
        if self.playing is not None:
            self._cut(now, reason, resumable=False)
        for slot in self.schedule.slots:
            if slot.starts_at > now:
                break
            if self.handled.get(slot.airing_id) is None:
                self._finish(slot, "airing.failed", reason=reason)

    # -- driving ----------------------------------------------------------------------------

    def tick(self) -> None:
        """One step of everything, in the order a single thread should take them."""
        self.playout_step()
        self.preemption.bulletin_step()
        self.link.sync_step()
        self.link.send_step()
        self.playout_step()

    def next_playout_wake(self) -> datetime:
        """When playout next has something to do (agent time)."""
        now = self.now()
        wake = now + timedelta(seconds=self.config.poll_s)
        wake = min(wake, self.on_air.ends_by() or wake)
        playing = self.playing
        if playing:
            saved = playing.saved_at or playing.started_at
            wake = min(wake, saved + timedelta(seconds=self.config.progress_s))
        upcoming = (max(s.starts_at, now) for s in self.schedule.slots
                    if s.ends_at > now and self.handled.get(s.airing_id) is None)
        bulletins = self.preemption.next_playout_wake(now) or wake
        relays = self.relays.next_wake(now) or wake
        return min(wake, bulletins, relays, next(upcoming, wake))

    def next_wake(self) -> datetime:
        """The earliest instant (our estimate of server time) at which ``tick`` has work."""
        return min(self.next_playout_wake(), self.preemption.next_bulletin_wake(),
                   self.link.next_sync_wake(), self.link.next_send_wake())

    def close(self) -> None:
        """Stop: what was on air is reported cut short, with what played."""
        if self.closed:
            return
        self.closed = True
        with self._lock:
            # A clean restart (an upgrade) may resume an airing: its note stays, marked reported.
            self._cut(self.now(), "agent stopped during playback")
            self.relays.close()
            self.db.close()
