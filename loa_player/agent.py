"""The agent's decisions, one step at a time, on an injectable clock.

``playout_step`` starts and ends airings; ``network_step`` syncs, fetches audio
and sends events. A real-time runner calls them from two threads (a slow
download never delays a start); tests and the simulator call ``tick`` at the
instants ``next_wake`` names, so a month passes in seconds without sleeping.
"""

from __future__ import annotations

import logging
import random
import shutil
import sqlite3
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from loa.clock import Clock
from loa_player.cache import AudioCache
from loa_player.client import ServerClient, ServerUnreachable
from loa_player.config import VERSION, AgentConfig
from loa_player.keys import load_or_create_key, public_key_b64, sign_event
from loa_player.localdb import AgentDB
from loa_player.outbox import Outbox
from loa_player.output import Cue, Output, make_output
from loa_player.slots import NowPlaying, Slot, ms, parse_schedule, resume_plan

logger = logging.getLogger(__name__)


class Agent:
    """A player: its schedule, cache, outbox and output, driven by ``tick``."""

    def __init__(self, config: AgentConfig, clock: Clock, output: Output | None = None,
                 rng: random.Random | None = None) -> None:
        self.config, self.clock = config, clock
        self.db = AgentDB(config.db_path)
        self.key = load_or_create_key(config.key_path)
        self.client = ServerClient(config.server, config.token, clock.now)
        self.offset = timedelta(milliseconds=self.db.get("clock_offset_ms", 0))
        self.cache = AudioCache(config.cache_dir, self.client)
        self.outbox = Outbox(self.db, self.key, rng, config.backoff_base_s,
                             config.backoff_cap_s, config.batch_size)
        self.output = output or make_output(config.output, self.now, config.played_log)
        schedule = self.db.get("schedule")
        self.slots = parse_schedule(schedule)
        self.player_id: int | None = (schedule or {}).get("player", {}).get("id")
        self.playing: NowPlaying | None = None
        self.next_sync: datetime | None = None
        self.next_heartbeat: datetime | None = None
        self.sync_requested = threading.Event()
        self.synced = threading.Event()  # set after each successful sync (tests, runner)
        self._forced: set[int] = set()
        self._prerolled: set[int] = set()
        self.closed = False
        self._recover()

    def now(self) -> datetime:
        """Our best estimate of the server's time: the local clock plus the measured offset."""
        return self.clock.now() + self.offset

    # -- events -----------------------------------------------------------------------------

    def _record(self, conn: sqlite3.Connection, kind: str, slot: Slot | None,
                **fields: Any) -> None:
        event = {"type": kind, "airing_id": slot.airing_id if slot else None,
                 "at": self.now().isoformat(), "sha256": slot.sha256 if slot else None,
                 "played_ms": fields.pop("played_ms", None), "detail": fields}
        self.outbox.record(conn, event)

    def _finish(self, slot: Slot, kind: str, note: dict[str, Any] | None = None,
                **fields: Any) -> None:
        """Record the airing's final event and mark it handled, in one transaction.

        ``note`` replaces the saved 'playing' record instead of deleting it, so a
        restart may still resume the airing.
        """
        with self.db.transaction() as tx:
            self._record(tx, kind, slot, **fields)
            tx.execute("INSERT OR REPLACE INTO handled (airing_id, outcome) VALUES (?, ?)",
                       (slot.airing_id, kind))
            if note is None:
                self.db.delete("playing", tx)
            else:
                self.db.put("playing", note, tx)
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
        if resume_at is not None:
            logger.info("airing %s: resuming at %d ms", slot.airing_id, resume_at)
            self._start(slot, now, from_ms=resume_at, before_ms=heard)

    # -- playout ----------------------------------------------------------------------------

    def play_now(self, airing_id: int) -> None:
        """A live-mode order: start this airing at once if we hold it."""
        self._forced.add(airing_id)

    def playout_step(self) -> None:
        """End a finished airing; start (or give up on) each airing that is due."""
        now = self.now()
        if self.playing and self.playing.playback.finished():
            self._end_playing(now)
        elif self.playing:
            self._save_progress(now)
        for slot in self.slots:
            if slot.starts_at > now and slot.airing_id not in self._forced:
                break
            if self.db.outcome(slot.airing_id) is not None:
                continue
            self._forced.discard(slot.airing_id)
            self._start_or_fail(slot, now)

    def _start_or_fail(self, slot: Slot, now: datetime) -> None:
        late = (now - slot.starts_at).total_seconds()
        if late > self.config.late_grace_s or now >= slot.ends_at:
            self._finish(slot, "airing.failed",
                         reason=f"missed: not running at start ({late:.0f} s late)")
        elif self.playing is not None:
            self._finish(slot, "airing.failed",
                         reason=f"busy: airing {self.playing.slot.airing_id} still playing")
        else:
            self._start(slot, now)

    def _start(self, slot: Slot, now: datetime, from_ms: int = 0, before_ms: int = 0) -> None:
        """Play ``slot`` from ``from_ms`` in its audio (non-zero: resuming after a restart)."""
        problem = self.cache.ensure(slot.sha256, slot.url, slot.size)
        if problem is not None:
            self._finish(slot, "airing.failed", reason=f"audio missing or corrupt: {problem}")
            return
        cue = Cue(slot.airing_id, slot.sha256, self.cache.path(slot.sha256), slot.duration_ms,
                  slot.starts_at, from_ms)
        try:
            playback = self.output.start(cue)
        except OSError as exc:
            self._finish(slot, "airing.failed", reason=f"output failed: {exc}")
            return
        self.playing = NowPlaying(slot, playback, now, from_ms, before_ms, saved_at=now)
        detail = ({"resumed_from_ms": from_ms} if from_ms
                  else {"late_ms": ms(now - slot.starts_at)})
        with self.db.transaction() as tx:
            self._record(tx, "airing.started", slot, **detail)
            self.db.put("playing", self.playing.note(now), tx)
            tx.execute("INSERT OR REPLACE INTO handled (airing_id, outcome) VALUES (?, ?)",
                       (slot.airing_id, "airing.started"))

    def _save_progress(self, now: datetime) -> None:
        """Every ``progress_s``, note on disk how far the airing has played (for a crash)."""
        assert self.playing is not None
        due = self.playing.saved_at or self.playing.started_at
        if now >= due + timedelta(seconds=self.config.progress_s):
            self.db.put("playing", self.playing.note(now))
            self.playing.saved_at = now

    def _end_playing(self, now: datetime) -> None:
        assert self.playing is not None
        done, self.playing = self.playing, None
        error = done.playback.error()
        if error:
            self._finish(done.slot, "airing.failed", played_ms=done.played_ms(now), reason=error)
        else:
            self._finish(done.slot, "airing.completed", played_ms=done.played_ms(now))

    # -- network ----------------------------------------------------------------------------

    def request_sync(self) -> None:
        """Fetch the schedule at the next network step (an MQTT notice)."""
        self.sync_requested.set()

    def network_step(self) -> None:
        """Sync when due, check audio of airings about to start, send events when due."""
        now = self.now()
        if self.sync_requested.is_set() or self.next_sync is None or now >= self.next_sync:
            self.sync()
        self._preroll(now)
        self._send(now)
        if self.client.offset is not None:
            self._adopt_offset(self.client.offset)

    def sync(self) -> bool:
        """Fetch the schedule (ETag), fetch its audio, evict what is past; False if offline."""
        self.sync_requested.clear()
        self.next_sync = self.now() + timedelta(seconds=self.config.poll_s)
        try:
            answer = self.client.schedule(self.db.get("etag"))
        except ServerUnreachable as exc:
            logger.warning("schedule sync failed (%s); keeping %d airings",
                           type(exc).__name__, len(self.slots))
            return False
        if answer.body is not None:
            with self.db.transaction() as tx:
                self.db.put("schedule", answer.body, tx)
                self.db.put("etag", answer.etag, tx)
            self.slots = parse_schedule(answer.body)
            self.player_id = answer.body["player"]["id"]
        self._fetch_audio()
        self.synced.set()
        return True

    def _fetch_audio(self) -> None:
        now = self.now()
        wanted = {s.sha256: s for s in self.slots if s.ends_at > now}
        if self.playing:
            wanted[self.playing.slot.sha256] = self.playing.slot
        for sha, slot in wanted.items():
            problem = self.cache.ensure(sha, slot.url, slot.size)
            if problem:
                logger.warning("audio %s not fetched yet: %s", sha, problem)
        self.cache.evict(set(wanted))

    def _preroll(self, now: datetime) -> None:
        """Re-hash the audio of airings starting soon; re-download it if the disk spoilt it."""
        horizon = now + timedelta(seconds=self.config.preroll_s)
        for slot in self.slots:
            if slot.starts_at > horizon:
                break
            if slot.starts_at <= now or slot.airing_id in self._prerolled:
                continue
            self._prerolled.add(slot.airing_id)
            self.cache.forget_verification()
            problem = self.cache.ensure(slot.sha256, slot.url, slot.size)
            if problem:
                logger.warning("airing %s audio not ready: %s", slot.airing_id, problem)

    def _enrolled(self) -> bool:
        public = public_key_b64(self.key)
        if self.db.get("enrolled_key") == public:
            return True
        try:
            self.client.enroll(public)
        except ServerUnreachable as exc:
            logger.warning("key enrolment failed: %s", exc)
            return False
        self.db.put("enrolled_key", public)
        return True

    def _send(self, now: datetime) -> None:
        heartbeat_due = self.next_heartbeat is None or now >= self.next_heartbeat
        if not self.outbox.due(now) or not (heartbeat_due or self.outbox.pending()):
            return
        if not self._enrolled():
            self.outbox.next_attempt = now + timedelta(seconds=self.config.poll_s)
            return
        extra = [self._heartbeat(now)] if heartbeat_due else []
        self.outbox.flush(self.client, self.now, extra)
        if self.outbox.failures == 0:
            self.next_heartbeat = now + timedelta(seconds=self.config.heartbeat_s)

    def _heartbeat(self, now: datetime) -> dict[str, Any]:
        detail = {"version": VERSION, "state": "playing" if self.playing else "idle",
                  "disk_free_mb": shutil.disk_usage(self.config.home).free // 2**20,
                  "cached_files": self.cache.count(),
                  "clock_offset_ms": -round(self.offset.total_seconds() * 1000),
                  "outbox": self.outbox.pending()}
        return sign_event(self.key, {"id": str(uuid.uuid4()), "type": "heartbeat",
                                     "airing_id": None, "at": now.isoformat(), "sha256": None,
                                     "played_ms": None, "detail": detail})

    def _adopt_offset(self, offset: timedelta) -> None:
        """Use the server's clock from now on; saved, so a reboot offline keeps it."""
        if abs((offset - self.offset).total_seconds()) >= 0.001:
            self.offset = offset
            self.db.put("clock_offset_ms", round(offset.total_seconds() * 1000))

    # -- driving ----------------------------------------------------------------------------

    def tick(self) -> None:
        """One step of everything, in the order a single thread should take them."""
        self.playout_step()
        self.network_step()
        self.playout_step()

    def next_playout_wake(self) -> datetime:
        """When playout next has something to do (agent time)."""
        now = self.now()
        wake = now + timedelta(seconds=self.config.poll_s)
        if self.playing:
            ends = self.playing.playback.ends_by()
            wake = min(wake, ends if ends else now + timedelta(seconds=0.25))
            saved = self.playing.saved_at or self.playing.started_at
            wake = min(wake, saved + timedelta(seconds=self.config.progress_s))
        upcoming = (max(s.starts_at, now) for s in self.slots
                    if s.ends_at > now and self.db.outcome(s.airing_id) is None)
        return min(wake, next(upcoming, wake))

    def next_network_wake(self) -> datetime:
        """When the network side next has something to do (agent time)."""
        now = self.now()
        send = self.next_heartbeat or now
        if self.outbox.pending():
            send = now
        times = [self.next_sync or now, max(send, self.outbox.next_attempt or send)]
        preroll = timedelta(seconds=self.config.preroll_s)
        times += [s.starts_at - preroll for s in self.slots
                  if s.starts_at - preroll > now and s.airing_id not in self._prerolled][:1]
        return min(times)

    def next_wake(self) -> datetime:
        """The earliest instant (our estimate of server time) at which ``tick`` has work."""
        return min(self.next_playout_wake(), self.next_network_wake())

    def close(self) -> None:
        """Stop: an airing cut short is reported interrupted with what played."""
        if self.closed:
            return
        self.closed = True
        if self.playing:
            done, self.playing = self.playing, None
            done.playback.stop()
            now = self.now()
            # A clean restart (an upgrade) may resume too: keep the note, marked as reported.
            note = {**done.note(now), "reported": True} if done.slot.resume else None
            self._finish(done.slot, "airing.interrupted", note=note,
                         played_ms=done.played_ms(now), reason="agent stopped during playback")
        self.db.close()
