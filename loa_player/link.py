"""The agent's side facing the server: the schedule and audio in, events and heartbeats out.

``Link`` is a part of ``Agent``, handed the parts it shares (the local
database, the outbox, the schedule it keeps current, ``OnAir`` for the
heartbeat). A 401 is not an outage: the server refused the token (revoked, or
rotated and not yet put on the box), so the agent asks only every
``refused_retry_s`` and, after ``refused_grace_s``, stops airing scheduled
content until a request is accepted again.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loa.player.cache import AudioCache
from loa.player.client import ServerClient, ServerUnreachable, Unauthorised
from loa.player.config import VERSION, AgentConfig
from loa.player.health import Health
from loa.player.keys import public_key_b64, sign_event
from loa.player.localdb import AgentDB
from loa.player.on_air import OnAir
from loa.player.outbox import Outbox
from loa.player.slots import Schedule
from loa.player.timekeeping import TimeKeeper

logger = logging.getLogger(__name__)

# Less free than this and the outbox or the next download fails: say so in the heartbeat.
LOW_DISK_BYTES = 2**20


def token_fingerprint(token: str) -> str:
    """Enough of the token's hash to tell a new token from the refused one."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class Link:
    """Sync (schedule, audio) and send (events, heartbeats), each its own step and wake-up."""

    def __init__(self, config: AgentConfig, db: AgentDB, keeper: TimeKeeper, health: Health,
                 key: Ed25519PrivateKey, outbox: Outbox, schedule: Schedule, on_air: OnAir,
                 save: Callable[[str, Any], None], bulletin_audio: Callable[[], set[str]]) -> None:
        self.config, self.db, self.keeper, self.health = config, db, keeper, health
        self.key, self.outbox, self.schedule, self.on_air = key, outbox, schedule, on_air
        self.now, self._save = keeper.now, save
        # Emergencies' audio is the bulletin side's: kept when evicting, never fetched here.
        self.bulletin_audio = bulletin_audio
        self.client = ServerClient(config.server, config.token, self.keeper)
        # Events get their own connection: a long download never holds them back.
        self.sender = ServerClient(config.server, config.token, self.keeper)
        self.cache = AudioCache(config.cache_dir, self.client, self.health)
        self.next_sync: datetime | None = None
        self.next_heartbeat: datetime | None = None
        self.sync_requested = threading.Event()
        self.synced = threading.Event()  # set after each successful sync (tests, runner)
        self._prerolled: set[int] = set()
        self._notice_retries = 0
        self._steps_seen = self.keeper.steps
        self.refused: dict[str, Any] | None = self.db.get("refused")
        if self.refused and self.refused.get("token") != token_fingerprint(config.token):
            logger.info("a new token is set: the server's earlier refusal no longer applies")
            self._accepted()

    # -- revocation -------------------------------------------------------------------------

    def _refused(self, where: str, exc: Exception) -> None:
        if self.refused is None:
            self.refused = {"since": self.now().isoformat(), "where": where,
                            "token": token_fingerprint(self.config.token),
                            "grace_s": self.config.refused_grace_s, "reason": str(exc)[:200]}
            self._save("refused", self.refused)
            logger.error("the server refused this player's token (HTTP 401, %s): revoked or "
                         "rotated; scheduled airing stops in %.0f s unless a new token is set",
                         where, self.config.refused_grace_s)
        self.health.report("token", f"refused by the server (HTTP 401) since "
                                    f"{self.refused['since']}")

    def _accepted(self) -> None:
        if self.refused is not None:
            logger.info("the server accepts the token again")
            self.refused = None
            self._save("refused", None)
        self.health.clear("token")

    def refused_too_long(self, now: datetime) -> bool:
        """Whether a 401 has lasted past the grace, so scheduled content must not air."""
        if self.refused is None:
            return False
        since = datetime.fromisoformat(self.refused["since"])
        return now >= since + timedelta(seconds=self.config.refused_grace_s)

    def note_airing_stopped(self, now: datetime, reason: str) -> None:
        """Log once, and keep for `loa-player status`, that scheduled airing has stopped."""
        if self.refused is not None and "stopped" not in self.refused:
            logger.error("scheduled airing stopped: %s", reason)
            self.refused["stopped"] = now.isoformat()
            self._save("refused", self.refused)

    # -- sync -------------------------------------------------------------------------------

    def request_sync(self) -> None:
        """A push notice: fetch the schedule now, and again shortly if it looks unchanged."""
        self._notice_retries = self.config.notice_retries
        self.sync_requested.set()

    def sync_step(self) -> None:
        """Sync when due (or asked, or after a clock step), then check audio about to air."""
        if self.keeper.steps != self._steps_seen:
            self._steps_seen = self.keeper.steps
            self.sync_requested.set()  # a fresh reply re-measures the offset
        now = self.now()
        if self.sync_requested.is_set() or self.next_sync is None or now >= self.next_sync:
            self.sync()
        self._preroll(now)

    def sync(self) -> bool:
        """Fetch the schedule (ETag), fetch its audio, evict what is past; False if offline."""
        self.sync_requested.clear()
        now = self.now()
        self.next_sync = now + timedelta(seconds=self.config.poll_s)
        try:
            answer = self.client.schedule(self.db.get("etag"))
        except Unauthorised as exc:
            self._refused("schedule", exc)
            self.next_sync = now + timedelta(seconds=max(self.config.poll_s,
                                                         self.config.refused_retry_s))
            return False
        except ServerUnreachable as exc:
            logger.warning("schedule sync failed (%s); keeping %d airings",
                           type(exc).__name__, len(self.schedule.slots))
            return False
        self._accepted()
        if answer.body is not None:
            self._notice_retries = 0
            self.schedule.take(answer.body)
            try:
                with self.db.transaction() as tx:
                    self.db.put("schedule", answer.body, tx)
                    self.db.put("etag", answer.etag, tx)
            except sqlite3.Error as exc:
                self.health.report("outbox", f"local database: {exc}; schedule kept in memory")
        elif self._notice_retries > 0:
            # The notice may have outrun the change it announces: look again shortly.
            self._notice_retries -= 1
            self.next_sync = now + timedelta(seconds=self.config.notice_retry_s)
        self._fetch_audio()
        self.synced.set()
        return True

    def _fetch_audio(self) -> None:
        now = self.now()
        sources = {s.sha256: (s.url, s.size) for s in self.schedule.slots if s.ends_at > now}
        sources.update({p.audio.sha256: (p.audio.url, p.audio.size)
                        for p in self.schedule.placed if p.ends_at > now})
        sources.update({r.fallback.sha256: (r.fallback.url, r.fallback.size)  # relays' fallbacks
                        for r in self.schedule.relays if r.fallback and r.ends_at > now})
        problems = [self.cache.ensure(sha, url, size) for sha, (url, size) in sources.items()]
        for sha, problem in zip(sources, problems, strict=True):
            if problem:
                logger.warning("audio %s not fetched yet: %s", sha, problem)
        if not any(problems):
            self.health.clear("disk")
            self.health.clear("cache")
        try:
            self.cache.evict(set(sources) | self.bulletin_audio() | self._on_air_audio())
        except OSError as exc:
            self.health.report("disk", f"audio cache: {exc}")

    def _on_air_audio(self) -> set[str]:
        """The file on air, kept even if its airing has left the schedule."""
        play = self.on_air.play  # read once: playout may end it meanwhile
        return {play.cue.sha256} if play is not None else set()

    def _preroll(self, now: datetime) -> None:
        """Re-hash the audio of airings starting soon; re-download it if the disk spoilt it."""
        horizon = now + timedelta(seconds=self.config.preroll_s)
        for slot in self.schedule.slots:
            if slot.starts_at > horizon:
                break
            if slot.starts_at <= now or slot.airing_id in self._prerolled:
                continue
            self._prerolled.add(slot.airing_id)
            self.cache.forget_verification()
            problem = self.cache.ensure(slot.sha256, slot.url, slot.size)
            if problem:
                logger.warning("airing %s audio not ready: %s", slot.airing_id, problem)

    def next_sync_wake(self) -> datetime:
        """When the sync side next has something to do (agent time)."""
        now = self.now()
        preroll = timedelta(seconds=self.config.preroll_s)
        times = [self.next_sync or now]
        times += [s.starts_at - preroll for s in self.schedule.slots
                  if s.starts_at - preroll > now and s.airing_id not in self._prerolled][:1]
        return min(times)

    # -- send -------------------------------------------------------------------------------

    def send_step(self) -> None:
        """Send waiting events (and a heartbeat when due) unless backing off."""
        now = self.now()
        heartbeat_due = self.next_heartbeat is None or now >= self.next_heartbeat
        if not self.outbox.due(now) or not (heartbeat_due or self.outbox.pending()):
            return
        retry = now + timedelta(seconds=self.config.refused_retry_s)
        try:
            enrolled = self._enrolled()
        except Unauthorised as exc:
            self._refused("enroll", exc)
            self.outbox.next_attempt = retry
            return
        if not enrolled:
            self.outbox.next_attempt = now + timedelta(seconds=self.config.poll_s)
            return
        if heartbeat_due:
            self._check_disk()
        problems = self.health.snapshot()
        extra = [self._heartbeat(now, problems)] if heartbeat_due else []
        try:
            self.outbox.flush(self.sender, self.now, extra)
        except Unauthorised as exc:
            self._refused("events", exc)
            self.outbox.next_attempt = retry
            return
        if self.outbox.failures == 0:
            self._accepted()
            if extra:
                self.health.sent(problems)
                self.next_heartbeat = now + timedelta(seconds=self.config.heartbeat_s)

    def _enrolled(self) -> bool:
        public = public_key_b64(self.key)
        if self.db.get("enrolled_key") == public:
            return True
        try:
            self.sender.enroll(public)
        except Unauthorised:
            raise
        except ServerUnreachable as exc:
            logger.warning("key enrolment failed: %s", exc)
            return False
        self._save("enrolled_key", public)
        return True

    def _check_disk(self) -> None:
        """A full disk is a problem even while the cache already holds every file."""
        try:
            free = shutil.disk_usage(self.config.home).free
        except OSError as exc:
            self.health.report("disk", f"{self.config.home}: {exc}")
            return
        if free < LOW_DISK_BYTES and "disk" not in self.health.snapshot():
            self.health.report("disk", f"full: {free} bytes free in {self.config.home}")

    def _heartbeat(self, now: datetime, problems: dict[str, str]) -> dict[str, Any]:
        try:
            free_mb: int | None = shutil.disk_usage(self.config.home).free // 2**20
            cached: int | None = self.cache.count()
        except OSError:
            free_mb = cached = None
        state = "playing" if self.on_air.play is not None else "idle"  # a bulletin too
        detail = {"version": VERSION, "state": state,
                  "disk_free_mb": free_mb, "cached_files": cached,
                  "clock_offset_ms": -round(self.keeper.offset.total_seconds() * 1000),
                  "clock_offset_age_s": self.keeper.age_s(),
                  "outputs": [o.name for o in self.on_air.outputs],
                  "outbox": self.outbox.pending(), "problems": problems}
        self._save("health", {"at": now.isoformat(), **detail})
        return sign_event(self.key, {"id": str(uuid.uuid4()), "type": "heartbeat",
                                     "airing_id": None, "at": now.isoformat(), "sha256": None,
                                     "played_ms": None, "detail": detail})

    def next_send_wake(self) -> datetime:
        """When the send side next has something to do (agent time)."""
        now = self.now()
        send = now if self.outbox.pending() else (self.next_heartbeat or now)
        return max(send, self.outbox.next_attempt or send)
