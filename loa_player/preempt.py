"""Bulletins on the agent: fetching emergencies, cutting into the output for them, placed plays.

``Preemption`` is the bulletin half of ``Agent`` (which sets the attributes named
below). Emergencies come from ``GET /player/bulletins`` on the bulletin thread:
on a push notice at once, otherwise every ``bulletin_poll_s``; their audio is
fetched there too, on its own HTTP session, so a long programme download on the
sync thread never holds an emergency back. Once a bulletin's audio is verified,
the bulletin thread wakes playout (``on_bulletins``), which stops what plays,
reports it ``airing.interrupted`` (reason "emergency") and plays the bulletin.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from loa.player.bulletins import (
    Audio,
    BulletinOnAir,
    Emergency,
    PlacedBulletin,
    next_repeat,
    next_repeat_at,
    parse_emergencies,
    parse_placed,
)
from loa.player.cache import AudioCache
from loa.player.client import ServerClient, ServerUnreachable, Unauthorised
from loa.player.config import AgentConfig
from loa.player.health import Health
from loa.player.localdb import AgentDB
from loa.player.outbox import Outbox
from loa.player.output import Cue, NotStarted, Output
from loa.player.slots import NowPlaying, Slot, ms, resume_plan

logger = logging.getLogger(__name__)

# After a failed fetch of an emergency's audio, try again this soon (not a whole poll later).
AUDIO_RETRY_S = 2.0


class Preemption:
    """Emergencies fetched and aired over whatever plays; placed bulletin plays in their slots."""

    config: AgentConfig
    db: AgentDB
    health: Health
    outbox: Outbox
    outputs: list[Output]
    playing: NowPlaying | None
    handled: dict[int, str]
    keeper: Any
    cache: AudioCache
    now: Callable[[], datetime]
    on_event: Callable[[], None]
    _finish: Callable[..., None]
    _start: Callable[..., None]
    refused_too_long: Callable[[datetime], bool]

    def _init_bulletins(self, schedule: dict[str, Any] | None) -> None:
        config = self.config
        # Its own session: requests sessions are not shared between threads.
        self.bulletin_client = ServerClient(config.server, config.token, self.keeper)
        self.bulletin_cache = AudioCache(config.cache_dir, self.bulletin_client, self.health)
        self.emergencies: list[Emergency] = parse_emergencies(self.db.get("bulletins"))
        self.placed: list[PlacedBulletin] = parse_placed(schedule)
        done = self.db.get("bulletins_done") or {}
        # Emergency id -> the first repeat not yet played; placed slot ids already handled.
        self.repeats_done: dict[int, int] = {int(k): v for k, v in done.get("repeats", {}).items()}
        self.placed_done: set[int] = set(done.get("placed", []))
        self.on_air: BulletinOnAir | None = None
        self.preempted: tuple[Slot, dict[str, Any]] | None = None  # to resume after
        self.next_bulletin_poll: datetime | None = None
        self.bulletins_requested = threading.Event()
        self.bulletins_fetched = threading.Event()  # set after each successful fetch (tests)
        self.on_bulletins: Callable[[], None] = lambda: None  # the runner wakes playout here

    # -- fetching (bulletin thread) ---------------------------------------------------------

    def request_bulletins(self) -> None:
        """A push notice (bulletin sent or cancelled): fetch the list now."""
        self.bulletins_requested.set()

    def bulletin_step(self) -> None:
        """Fetch the bulletins when asked or when the poll interval is up."""
        now = self.now()
        if (self.bulletins_requested.is_set() or self.next_bulletin_poll is None
                or now >= self.next_bulletin_poll):
            self.fetch_bulletins()

    def fetch_bulletins(self) -> bool:
        """Fetch the list (ETag) and the active ones' audio, then wake playout; False if offline."""
        self.bulletins_requested.clear()
        now = self.now()
        self.next_bulletin_poll = now + timedelta(seconds=self.config.bulletin_poll_s)
        try:
            answer = self.bulletin_client.bulletins(self.db.get("bulletins_etag"))
        except Unauthorised:
            return False  # the sync side reports and handles a refused token
        except ServerUnreachable as exc:
            logger.warning("bulletin fetch failed: %s", exc)
            return False
        emergencies = self.emergencies
        if answer.body is not None:
            emergencies = parse_emergencies(answer.body)
            try:
                with self.db.transaction() as tx:
                    self.db.put("bulletins", answer.body, tx)
                    self.db.put("bulletins_etag", answer.etag, tx)
            except sqlite3.Error as exc:
                self.health.report("outbox", f"local database: {exc}; bulletins kept in memory")
        self.emergencies = emergencies
        self.on_bulletins()  # a cancel must reach playout even if audio is still missing
        if self._fetch_emergency_audio(emergencies):
            self.on_bulletins()
        else:
            self.next_bulletin_poll = now + timedelta(seconds=AUDIO_RETRY_S)
        self.bulletins_fetched.set()
        return True

    def _fetch_emergency_audio(self, emergencies: list[Emergency]) -> bool:
        """Make the audio of every active emergency good; False if one is still missing."""
        ok = True
        for bulletin in emergencies:
            if not bulletin.active:
                continue
            audio = bulletin.audio
            problem = self.bulletin_cache.ensure(audio.sha256, audio.url, audio.size)
            if problem:
                ok = False
                logger.warning("bulletin %s audio not fetched: %s", bulletin.id, problem)
                self.health.report("cache", f"bulletin {bulletin.id} audio: {problem}"[:300])
        return ok

    def next_bulletin_wake(self) -> datetime:
        return self.next_bulletin_poll or self.now()

    def bulletin_audio(self) -> set[str]:
        """The files bulletins still need (kept when the cache is evicted)."""
        now = self.now()
        keep = {b.audio.sha256 for b in self.emergencies}
        keep |= {p.audio.sha256 for p in self.placed if p.ends_at > now}
        if self.on_air is not None:
            keep.add(self.on_air.audio.sha256)
        return keep

    # -- playout ----------------------------------------------------------------------------

    def bulletin_playout(self, now: datetime) -> None:
        """End the bulletin on air when due; cut into the output for an emergency that is due.

        Cases: a cancelled emergency stops at once (an ended one plays to its end);
        an emergency waits for no airing and no placed play (they are cut) but
        for another emergency; once no bulletin is due, an airing cut while its
        slot still runs resumes in step with the schedule if its ``resume``
        allows, else it stays interrupted.
        """
        if self.on_air is not None:
            self._check_on_air(now)
        due = self._due_emergency(now)
        if due is not None and (self.on_air is None or not self.on_air.emergency):
            bulletin, repeat = due
            self._cut_for(bulletin.id, now)
            self._play_bulletin(bulletin.id, bulletin.audio, now, {"repeat": repeat},
                                emergency=True)
        if self.on_air is None and self.preempted is not None:
            self._resume_preempted(now)

    def _due_emergency(self, now: datetime) -> tuple[Emergency, int] | None:
        for bulletin in self.emergencies:
            repeat = next_repeat(bulletin, self.repeats_done.get(bulletin.id, 0), now)
            if repeat is not None and self.bulletin_cache.is_good(bulletin.audio.sha256):
                return bulletin, repeat
        return None

    def _check_on_air(self, now: datetime) -> None:
        play = self.on_air
        assert play is not None
        if play.emergency and self._cancelled(play.bulletin_id):
            play.playback.stop()
            self._end_bulletin(now, cancelled=True)
        elif play.playback.finished():
            error = play.playback.error()
            self._end_bulletin(now, **({"error": error} if error else {}))
        elif now >= play.deadline:
            play.playback.stop()
            self._end_bulletin(now, stopped_at_end=True)

    def _cancelled(self, bulletin_id: int) -> bool:
        """Cancelled: stop now. Ended (its window is over) or dropped: the play on air ends."""
        found = next((b for b in self.emergencies if b.id == bulletin_id), None)
        return found is not None and found.status == "cancelled"

    def _cut_for(self, bulletin_id: int, now: datetime) -> None:
        """Stop the airing or placed bulletin on air for emergency ``bulletin_id``."""
        if self.on_air is not None:  # a placed play: emergencies are never cut
            self.on_air.playback.stop()
            self._end_bulletin(now, reason="emergency", interrupted_by=bulletin_id)
        if self.playing is None:
            return
        done, self.playing = self.playing, None
        done.playback.stop()
        # The note on disk lets a restart during the bulletin resume it, reported once.
        note = {**done.note(now), "reported": True} if done.slot.resume else None
        self._finish(done.slot, "airing.interrupted", note=note, played_ms=done.played_ms(now),
                     reason="emergency", bulletin_id=bulletin_id)
        if note is not None:
            self.preempted = (done.slot, note)

    def _resume_preempted(self, now: datetime) -> None:
        """After the emergency: the cut airing plays on where it would be now, if allowed."""
        assert self.preempted is not None
        (slot, note), self.preempted = self.preempted, None
        heard, resume_at = resume_plan(note, slot, now)
        if resume_at is None or self.refused_too_long(now):
            try:
                with self.db.transaction() as tx:
                    self.db.delete("playing", tx)
            except sqlite3.Error as exc:
                self.health.report("outbox", f"local database: {exc}")
            return
        logger.info("airing %s: resuming at %d ms after the emergency", slot.airing_id, resume_at)
        self._start(slot, now, from_ms=resume_at, before_ms=heard)

    def _play_bulletin(self, bulletin_id: int, audio: Audio, now: datetime,
                       detail: dict[str, Any], emergency: bool) -> None:
        """Report ``bulletin.started`` (stored first, as for airings), then start the output."""
        play = BulletinOnAir(bulletin_id, audio, detail, now, NotStarted(now), emergency=emergency)
        if emergency:
            self.repeats_done[bulletin_id] = detail["repeat"] + 1
        else:
            self.placed_done.add(detail["slot_id"])
        self._store_bulletin("bulletin.started", play, None)
        self.on_air = play
        cue = Cue(None, audio.sha256, self.bulletin_cache.path(audio.sha256), audio.duration_ms,
                  now, bulletin_id=bulletin_id)
        errors = []
        for output in self.outputs:
            try:
                play.playback = output.start(cue)
            except OSError as exc:
                errors.append(f"{output.name}: {exc}")
                continue
            play.output = output.name
            if errors:
                play.detail = {**play.detail, "output_errors": errors}
                self.health.report("output", "; ".join(errors)[-300:])
            logger.info("bulletin %s %s on air", bulletin_id, detail)
            return
        self._end_bulletin(now, error="all outputs failed: " + "; ".join(errors))

    def _end_bulletin(self, now: datetime, **detail: Any) -> None:
        play, self.on_air = self.on_air, None
        assert play is not None
        self._store_bulletin("bulletin.completed", play, play.played_ms(now),
                             output=play.output, **detail)
        logger.info("bulletin %s: completed %s", play.bulletin_id, detail)

    def _store_bulletin(self, kind: str, play: BulletinOnAir, played_ms: int | None,
                        **detail: Any) -> None:
        """Record a bulletin event and what has been played, in one transaction."""
        event = self.outbox.sign({
            "type": kind, "airing_id": None, "bulletin_id": play.bulletin_id,
            "at": self.now().isoformat(), "sha256": play.audio.sha256, "played_ms": played_ms,
            "detail": {**play.detail, **detail}})
        done = {"repeats": self.repeats_done, "placed": sorted(self.placed_done)}
        try:
            with self.db.transaction() as tx:
                self.outbox.store(tx, event)
                self.db.put("bulletins_done", done, tx)
                if kind == "bulletin.started":  # a crash now leaves a play to report
                    self.db.put("bulletin_playing", {
                        "bulletin_id": play.bulletin_id, "sha256": play.audio.sha256,
                        "detail": play.detail}, tx)
                else:
                    self.db.delete("bulletin_playing", tx)
        except sqlite3.Error as exc:
            self.outbox.hold(event)
            self.health.report("outbox", f"local database: {exc}; events held in memory")
        self.on_event()

    def _recover_bulletin(self) -> None:
        """A saved 'bulletin_playing' means we stopped mid-play: report it completed, unheard.

        How much was heard is not known (never overstated: ``played_ms`` null); the
        play is not started again, and the emergency's next repeat comes as planned.
        """
        saved = self.db.get("bulletin_playing")
        if not saved:
            return
        audio = Audio(saved["sha256"], "", None, 0)
        play = BulletinOnAir(saved["bulletin_id"], audio, saved["detail"], self.now(),
                             NotStarted(self.now()))
        self._store_bulletin("bulletin.completed", play, None,
                             reason="agent restarted during playback")

    # -- placed plays -----------------------------------------------------------------------

    def placed_playout(self, now: datetime) -> None:
        """Start each placed bulletin play that is due, like an airing; a late one is dropped.

        Cases: it waits while an airing or bulletin is on air and starts as it
        ends; past ``late_grace_s`` (or its end) it is not played (logged).
        """
        for placed in self.placed:
            if placed.starts_at > now:
                return
            if placed.slot_id in self.placed_done:
                continue
            late = (now - placed.starts_at).total_seconds()
            if late > self.config.late_grace_s or now >= placed.ends_at:
                self.placed_done.add(placed.slot_id)
                logger.warning("bulletin %s (slot %s) not played: %.0f s late",
                               placed.bulletin_id, placed.slot_id, late)
            elif self.playing is not None or self.on_air is not None:
                return
            elif problem := self.cache.ensure(placed.audio.sha256, placed.audio.url,
                                              placed.audio.size):
                self.placed_done.add(placed.slot_id)
                logger.warning("bulletin %s (slot %s) not played: audio missing or corrupt: %s",
                               placed.bulletin_id, placed.slot_id, problem)
            else:
                detail = {"slot_id": placed.slot_id, "late_ms": ms(now - placed.starts_at)}
                self._play_bulletin(placed.bulletin_id, placed.audio, now, detail,
                                    emergency=False)

    def next_bulletin_playout_wake(self, now: datetime) -> datetime | None:
        """When playout next has bulletin work: an end, a repeat, a placed start."""
        times = []
        if self.on_air is not None:
            times += [self.on_air.playback.ends_by(), self.on_air.deadline]
        for bulletin in self.emergencies:
            if not self.bulletin_cache.is_good(bulletin.audio.sha256):
                continue  # the bulletin thread wakes playout once the audio is here
            first_unplayed = self.repeats_done.get(bulletin.id, 0)
            if next_repeat(bulletin, first_unplayed, now) is not None:
                times.append(now)
            elif (at := next_repeat_at(bulletin, first_unplayed)) is not None and at > now:
                times.append(at)
        times += [max(p.starts_at, now) for p in self.placed
                  if p.ends_at > now and p.slot_id not in self.placed_done][:1]
        return min(times, default=None)
