"""Bulletins on the agent: fetching emergencies, cutting into the output for them, placed plays.

``Preemption`` is a part of ``Agent``, handed the parts it shares (the local
database, outbox, audio cache, schedule and ``OnAir``, which plays bulletins
through the same output chain and fallback as airings). Emergencies come from
``GET /player/bulletins`` on the bulletin thread: on a push notice at once,
otherwise every ``bulletin_poll_s``; their audio is fetched there too, on its
own HTTP session, so a long programme download on the sync thread never holds
an emergency back. Once a bulletin's audio is verified, the bulletin thread
wakes playout (``on_bulletins``), which cuts what plays (the agent reports an
airing ``airing.interrupted``, reason "emergency") and plays the bulletin.
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
    next_repeat,
    next_repeat_at,
    parse_emergencies,
)
from loa.player.cache import AudioCache
from loa.player.client import ServerClient, ServerUnreachable, Unauthorised
from loa.player.config import AgentConfig
from loa.player.health import Health
from loa.player.localdb import AgentDB
from loa.player.on_air import Ended, OnAir
from loa.player.outbox import Outbox
from loa.player.output import Cue
from loa.player.slots import Schedule, ms
from loa.player.timekeeping import TimeKeeper

logger = logging.getLogger(__name__)

# After a failed fetch of an emergency's audio, try again this soon (not a whole poll later).
AUDIO_RETRY_S = 2.0


class Preemption:
    """Emergencies fetched and aired over whatever plays; placed bulletin plays in their slots."""

    def __init__(self, config: AgentConfig, db: AgentDB, health: Health, outbox: Outbox,
                 keeper: TimeKeeper, cache: AudioCache, schedule: Schedule, on_air: OnAir,
                 on_event: Callable[[], None]) -> None:
        self.config, self.db, self.health, self.outbox = config, db, health, outbox
        self.now, self.cache, self.schedule, self.on_air = keeper.now, cache, schedule, on_air
        self._on_event = on_event  # wakes the sender
        # Its own session: requests sessions are not shared between threads.
        self.bulletin_client = ServerClient(config.server, config.token, keeper)
        self.bulletin_cache = AudioCache(config.cache_dir, self.bulletin_client, health)
        self.emergencies: list[Emergency] = parse_emergencies(db.get("bulletins"))
        done = db.get("bulletins_done") or {}
        # Emergency id -> the first repeat not yet played; placed slot ids already handled.
        self.repeats_done: dict[int, int] = {int(k): v for k, v in done.get("repeats", {}).items()}
        self.placed_done: set[int] = set(done.get("placed", []))
        self.next_bulletin_poll: datetime | None = None
        self.bulletins_requested = threading.Event()
        self.bulletins_fetched = threading.Event()  # set after each successful fetch (tests)
        self.on_bulletins: Callable[[], None] = lambda: None  # the runner wakes playout here
        self._recover()

    @property
    def playing(self) -> BulletinOnAir | None:
        """The bulletin on air, if what is on air is one."""
        what = self.on_air.what
        return what if isinstance(what, BulletinOnAir) else None

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
        keep |= {p.audio.sha256 for p in self.schedule.placed if p.ends_at > now}
        return keep

    # -- playout ----------------------------------------------------------------------------

    def stop_if_cancelled(self) -> None:
        """A cancelled emergency stops at once (an ended one plays to its end)."""
        play = self.playing
        if play is not None and play.emergency and self._cancelled(play.bulletin_id):
            self.report_end(self.on_air.stop(), cancelled=True)

    def _cancelled(self, bulletin_id: int) -> bool:
        found = next((b for b in self.emergencies if b.id == bulletin_id), None)
        return found is not None and found.status == "cancelled"

    def due_emergency(self, now: datetime) -> tuple[Emergency, int] | None:
        """The emergency repeat to cut in for now: none while another emergency plays."""
        playing = self.playing
        if playing is not None and playing.emergency:
            return None  # an emergency never cuts another: the later one waits
        for bulletin in self.emergencies:
            repeat = next_repeat(bulletin, self.repeats_done.get(bulletin.id, 0), now)
            if repeat is not None and self.bulletin_cache.is_good(bulletin.audio.sha256):
                return bulletin, repeat
        return None

    def play_emergency(self, bulletin: Emergency, repeat: int, now: datetime) -> None:
        """Play repeat ``repeat`` of ``bulletin`` (the air is clear: the agent cut what played)."""
        self.repeats_done[bulletin.id] = repeat + 1
        self._play(BulletinOnAir(bulletin.id, bulletin.audio, {"repeat": repeat}, now))

    def _play(self, play: BulletinOnAir) -> None:
        """Report ``bulletin.started`` (stored first, as for airings), then put it on air."""
        self._store("bulletin.started", play, None)
        audio, now = play.audio, play.started_at
        path = self.bulletin_cache.path(audio.sha256)  # one folder: placed plays' audio too
        cue = Cue(None, audio.sha256, path, audio.duration_ms, now, bulletin_id=play.bulletin_id)
        ended = self.on_air.start(play, f"bulletin {play.bulletin_id}", cue, now,
                                  audio.duration_ms)
        if ended is not None:
            self.report_end(ended)
        else:
            logger.info("bulletin %s %s on air", play.bulletin_id, play.detail)

    def report_end(self, ended: Ended | None, **detail: Any) -> None:
        """The bulletin play is over (or was cut): ``bulletin.completed`` with how it went,
        or ``bulletin.failed`` if nobody heard it through.

        A failed play (every output failed, or only ``null`` kept time after the real
        outputs failed) says why in ``detail.reason`` and claims no ``played_ms``: the
        delivery page shows the station "lỗi phát" with that reason, never "đã phát".
        """
        if ended is None:
            return
        play: BulletinOnAir = ended.what
        if ended.error:
            if "reason" in detail:  # also cut (a cancel, an emergency): kept beside it
                detail["cut_reason"] = detail.pop("reason")
            self._store("bulletin.failed", play, None,
                        **{**ended.detail(), **detail, "reason": ended.error})
            logger.warning("bulletin %s: failed: %s", play.bulletin_id, ended.error)
            return
        detail = {**ended.detail(), **detail}
        # What was heard: the time on air less what failed tries lost before the fallback
        # (the next output starts where the bulletin should be by then).
        heard = max(play.played_ms(self.now()) - ended.unheard_ms, 0)
        self._store("bulletin.completed", play, heard, **detail)
        logger.info("bulletin %s: completed %s", play.bulletin_id, detail)

    def _store(self, kind: str, play: BulletinOnAir, played_ms: int | None,
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
        self._on_event()

    def _recover(self) -> None:
        """A saved 'bulletin_playing' means we stopped mid-play: report it completed, unheard.

        How much was heard is not known (never overstated: ``played_ms`` null); the
        play is not started again, and the emergency's next repeat comes as planned.
        """
        saved = self.db.get("bulletin_playing")
        if not saved:
            return
        audio = Audio(saved["sha256"], "", None, 0)
        play = BulletinOnAir(saved["bulletin_id"], audio, saved["detail"], self.now())
        self._store("bulletin.completed", play, None, reason="agent restarted during playback")

    # -- placed plays -----------------------------------------------------------------------

    def placed_playout(self, now: datetime) -> None:
        """Start each placed bulletin play that is due, like an airing; a late one is dropped.

        Cases: it waits while an airing or bulletin is on air and starts as it
        ends; past ``late_grace_s`` (or its end) it is not played (logged).
        """
        for placed in self.schedule.placed:
            if placed.starts_at > now:
                return
            if placed.slot_id in self.placed_done:
                continue
            late = (now - placed.starts_at).total_seconds()
            if late > self.config.late_grace_s or now >= placed.ends_at:
                self.placed_done.add(placed.slot_id)
                logger.warning("bulletin %s (slot %s) not played: %.0f s late",
                               placed.bulletin_id, placed.slot_id, late)
            elif self.on_air.play is not None:
                return
            elif problem := self.cache.ensure(placed.audio.sha256, placed.audio.url,
                                              placed.audio.size):
                self.placed_done.add(placed.slot_id)
                logger.warning("bulletin %s (slot %s) not played: audio missing or corrupt: %s",
                               placed.bulletin_id, placed.slot_id, problem)
            else:
                self.placed_done.add(placed.slot_id)
                detail = {"slot_id": placed.slot_id, "late_ms": ms(now - placed.starts_at)}
                self._play(BulletinOnAir(placed.bulletin_id, placed.audio, detail, now,
                                         emergency=False))

    def next_playout_wake(self, now: datetime) -> datetime | None:
        """When playout next has bulletin work: a repeat, a placed start."""
        times = []
        for bulletin in self.emergencies:
            if not self.bulletin_cache.is_good(bulletin.audio.sha256):
                continue  # the bulletin thread wakes playout once the audio is here
            first_unplayed = self.repeats_done.get(bulletin.id, 0)
            if next_repeat(bulletin, first_unplayed, now) is not None:
                times.append(now)
            elif (at := next_repeat_at(bulletin, first_unplayed)) is not None and at > now:
                times.append(at)
        times += [max(p.starts_at, now) for p in self.schedule.placed
                  if p.ends_at > now and p.slot_id not in self.placed_done][:1]
        return min(times, default=None)
