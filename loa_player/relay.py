"""Live relays on the agent: the schedule's ``relays``, connected before their slot, put on
air through ``OnAir`` at the slot's start, stopped at its end, reported as signed events.

``Relays`` is a part of ``Agent`` like ``Preemption``: handed the local database,
outbox, audio cache, schedule and ``OnAir``. Relays come with the schedule (35 days
ahead), so a station relays with the Loa server down: only the stream is needed.
The sound itself is ``relay_feed.RelayFeed`` (the stream, its fallback, the rules);
an emergency cuts a relay like an airing, and the relay goes on afterwards while its
slot runs, its totals summed over the parts.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from loa.player.cache import AudioCache
from loa.player.config import AgentConfig
from loa.player.health import Health
from loa.player.localdb import AgentDB
from loa.player.on_air import Ended, OnAir
from loa.player.outbox import Outbox
from loa.player.output import Cue, Output, Playback
from loa.player.relay_feed import Dropout, RelayFeed, RelayRules, Totals
from loa.player.relay_schedule import Relay
from loa.player.relay_sinks import open_sink

logger = logging.getLogger(__name__)

PREROLL = timedelta(seconds=3)  # connect this long before the slot: on air at its start
CHECK = timedelta(seconds=0.5)  # how often playout looks at a relay on air
NOTE_EVERY = timedelta(seconds=2)  # how often its totals so far are kept on disk


def _ms(delta: timedelta) -> int:
    return round(delta.total_seconds() * 1000)


@dataclass
class RelayOnAir:
    """A relay on air (``OnAir`` holds it); ``totals`` sums the parts an emergency made."""

    relay: Relay
    feed: RelayFeed
    started_at: datetime
    totals: Totals = field(default_factory=Totals)


@dataclass(frozen=True)
class RelayCue(Cue):
    """What ``OnAir`` hands an output for a relay: the live feed, not a file."""

    feed: RelayFeed | None = None
    open_sink: Callable[[str], Any] | None = None
    now: Callable[[], datetime] | None = None

    def play_on(self, output: Output) -> Playback:
        """Attach ``output``'s relay side to the feed (OSError: it cannot take PCM)."""
        assert self.feed is not None and self.open_sink is not None and self.now is not None
        sink = self.open_sink(output.name)
        self.feed.attach(sink)
        return RelayPlayback(self.feed, sink, self.now)


class RelayPlayback:
    """The relay on one output: it fails when the output dies, and never ends on its own."""

    def __init__(self, feed: RelayFeed, sink: Any, now: Callable[[], datetime]) -> None:
        self._feed, self._sink, self._now = feed, sink, now

    def finished(self) -> bool:
        return self._sink.failed() is not None

    def error(self) -> str | None:
        return self._sink.failed()

    def ends_by(self) -> datetime:
        return self._now() + CHECK

    def stop(self) -> None:
        self._feed.detach(self._sink)
        self._sink.close()


class Relays:
    """The schedule's relays: connect, start on time, report, resume after an emergency."""

    def __init__(self, config: AgentConfig, db: AgentDB, health: Health, outbox: Outbox,
                 now: Callable[[], datetime], cache: AudioCache, schedule: Any, on_air: OnAir,
                 on_event: Callable[[], None], rules: RelayRules | None = None) -> None:
        self.config, self.db, self.health, self.outbox = config, db, health, outbox
        self.now, self.cache, self.schedule, self.on_air = now, cache, schedule, on_air
        self._on_event, self.rules = on_event, rules or RelayRules()
        self.done: set[str] = set(db.get("relays_done") or [])
        # Relays cut (an emergency, the agent stopped or crashed) whose slot may still run:
        # they go on when the air is free, their totals summed; kept on disk for a restart.
        self.cut: dict[str, Totals] = {k: _totals_of(v) for k, v in
                                       (db.get("relays_cut") or {}).items()}
        self._noted_at: datetime | None = None
        self.feed: tuple[str, RelayFeed] | None = None  # connected ahead of, or during, a slot

    @property
    def playing(self) -> RelayOnAir | None:
        what = self.on_air.what
        return what if isinstance(what, RelayOnAir) else None

    def playout(self, now: datetime) -> None:
        """Connect the next relay ahead of its slot; start it at its start; report what ended.

        Cases: it waits while something else is on air (an emergency) and goes on
        when that ends, if its slot still runs; a slot over before it could start
        is ``relay.failed``; one relay at a time.
        """
        self._report_dropouts()
        self._note_progress(now)
        for relay in self.schedule.relays:
            if relay.key in self.done:
                continue
            if relay.ends_at <= now:
                self._finish_unplayed(relay, now)
                continue
            if relay.starts_at - PREROLL > now:
                return
            if self.playing is not None:
                return
            if self.feed is None or self.feed[0] != relay.key:
                self._connect(relay)
            if relay.starts_at <= now and self.on_air.play is None:
                self._start(relay, now)
            return

    def _connect(self, relay: Relay) -> None:
        self._disconnect()
        feed = RelayFeed(relay.url, lambda: self._fallback_path(relay), self.now, self.rules)
        self.feed = (relay.key, feed.start())
        logger.info("relay %s: connecting to %s", relay.slot_id, relay.url)

    def _disconnect(self) -> Totals | None:
        if self.feed is None:
            return None
        _key, feed = self.feed
        self.feed = None
        return feed.stop()

    def _fallback_path(self, relay: Relay) -> Path | None:
        """The source's fallback file, else the latest programme the station holds."""
        if relay.fallback is not None and self.cache.path(relay.fallback.sha256).exists():
            return self.cache.path(relay.fallback.sha256)
        for slot in sorted(self.schedule.slots, key=lambda s: s.starts_at, reverse=True):
            if self.cache.path(slot.sha256).exists():
                return self.cache.path(slot.sha256)
        return None

    def _start(self, relay: Relay, now: datetime) -> None:
        assert self.feed is not None
        feed = self.feed[1]
        totals = self.cut.pop(relay.key, None)
        detail: dict[str, Any] = {"late_ms": _ms(now - relay.starts_at)}
        if totals is not None:
            detail["resumed"] = True
        self._store("relay.started", relay, None, **detail)
        play = RelayOnAir(relay, feed, now, totals or Totals())
        entry = {"relay_slot_id": relay.slot_id, "starts_at": relay.starts_at.isoformat(),
                 "started_at": now.isoformat(), "source": relay.source,
                 "error_s": (now - relay.starts_at).total_seconds()}
        cue = RelayCue(None, "", Path(os.devnull), _ms(relay.ends_at - relay.starts_at),
                       relay.starts_at, feed=feed, now=self.now,
                       open_sink=lambda name: open_sink(
                           name, alsa_device=self.config.alsa_device,
                           folder=self.config.home, record=self.config.played_log, entry=entry))
        ended = self.on_air.start(play, f"relay {relay.slot_id}", cue, now,
                                  _ms(relay.ends_at - now))
        if ended is not None:
            self.report_end(ended)

    def report_end(self, ended: Ended, reason: str | None = None, **_detail: Any) -> None:
        """The relay left the air: at its end, when every output failed, or cut (``reason``).

        Cut by an emergency with its slot still running, it goes on afterwards;
        otherwise ``relay.completed``, or ``relay.failed`` if nothing was relayed.
        """
        play: RelayOnAir = ended.what
        now = self.now()
        if self.feed is not None and self.feed[1] is play.feed:
            self.feed = None
        _add(play.totals, play.feed.stop())
        self._report_dropouts(play.feed, play.relay)
        if reason is not None and not ended.error and now < play.relay.ends_at:
            self.cut[play.relay.key] = play.totals
            self._save_cut()
            logger.info("relay %s cut (%s); goes on after it", play.relay.slot_id, reason)
            return
        self._finish(play.relay, play.totals, ended.detail(),
                     ended.error or (reason if reason != "emergency" else None))

    def _finish(self, relay: Relay, totals: Totals, outputs: dict[str, Any],
                error: str | None) -> None:
        detail = {"relayed_ms": totals.ms(totals.relayed),
                  "fallback_ms": totals.ms(totals.fallback),
                  "silence_ms": totals.ms(totals.silence), "dropouts": len(totals.dropouts),
                  **outputs}
        if not totals.relayed:  # nothing of the stream went on air
            self._store("relay.failed", relay, None,
                        reason=error or "the stream gave no audio; the fallback aired",
                        **detail)
        else:
            if error:
                detail["reason"] = error
            self._store("relay.completed", relay, detail["relayed_ms"], **detail)
        self.done.add(relay.key)
        self._save_done()
        self.cut.pop(relay.key, None)
        self._save_cut()
        logger.info("relay %s: %s", relay.slot_id, detail)

    def _finish_unplayed(self, relay: Relay, now: datetime) -> None:
        """A slot over: cut and never resumed (completed with what it had), or never begun."""
        totals = self.cut.pop(relay.key, None)
        if self.feed is not None and self.feed[0] == relay.key:
            self._disconnect()
        if totals is not None:
            self._finish(relay, totals, {}, None)
            return
        self._store("relay.failed", relay, None,
                    reason=f"not started: the slot ended at {relay.ends_at.isoformat()} "
                           f"while something else was on air")
        self.done.add(relay.key)
        self._save_done()

    def _report_dropouts(self, feed: RelayFeed | None = None, relay: Relay | None = None) -> None:
        """``relay.dropout`` for each stretch on the fallback that has ended."""
        play = self.playing
        if feed is None and play is not None:
            feed, relay = play.feed, play.relay
        if feed is None or relay is None:
            return
        while feed.finished_dropouts:
            dropout: Dropout = feed.finished_dropouts.pop(0)
            self._store("relay.dropout", relay, None, **dropout.detail())

    def _note_progress(self, now: datetime) -> None:
        """Every 2 s on air, what the relay has put on air so far, for a crash: a restarted
        agent goes on with it (or completes it) and never loses or doubles the part before."""
        play = self.playing
        if play is None or (self._noted_at is not None
                            and now < self._noted_at + NOTE_EVERY):
            return
        self._noted_at = now
        so_far = Totals()
        _add(so_far, play.totals)
        _add(so_far, play.feed.totals)
        self._save_cut({play.relay.key: so_far})

    def _save_cut(self, also: dict[str, Totals] | None = None) -> None:
        cut = {**self.cut, **(also or {})}
        try:
            self.db.put("relays_cut", {k: _totals_json(v) for k, v in cut.items()})
        except sqlite3.Error as exc:
            self.health.report("outbox", f"local database: {exc}")

    def _save_done(self) -> None:
        keep = sorted(k for k in self.done if any(r.key == k for r in self.schedule.relays))
        try:
            self.db.put("relays_done", keep)
        except sqlite3.Error as exc:
            self.health.report("outbox", f"local database: {exc}")

    def _store(self, kind: str, relay: Relay, played_ms: int | None, **detail: Any) -> None:
        event = self.outbox.sign({
            "type": kind, "airing_id": None, "at": self.now().isoformat(), "sha256": None,
            "played_ms": played_ms,
            "detail": {"slot_id": relay.slot_id, "starts_at": relay.starts_at.isoformat(),
                       "source": relay.source, **detail}})
        try:
            with self.db.transaction() as tx:
                self.outbox.store(tx, event)
        except sqlite3.Error as exc:
            self.outbox.hold(event)
            self.health.report("outbox", f"local database: {exc}; events held in memory")
        self._on_event()

    def fallback_audio(self) -> dict[str, tuple[str, int | None]]:
        """The fallback files of relays still to come (the sync side fetches and keeps them)."""
        now = self.now()
        return {r.fallback.sha256: (r.fallback.url, r.fallback.size)
                for r in self.schedule.relays if r.fallback is not None and r.ends_at > now}

    def next_wake(self, now: datetime) -> datetime | None:
        """When playout next has relay work: a connect, a start, a relay on air."""
        if self.playing is not None:
            return now + CHECK
        for relay in self.schedule.relays:
            if relay.key in self.done:
                continue
            if relay.ends_at <= now:
                return now
            return max(relay.starts_at - PREROLL, min(relay.starts_at, now + CHECK)) \
                if relay.starts_at > now else now + CHECK
        return None

    def close(self) -> None:
        self._disconnect()


def _add(into: Totals, part: Totals) -> None:
    into.relayed += part.relayed
    into.fallback += part.fallback
    into.silence += part.silence
    into.dropouts += [d for d in part.dropouts if d not in into.dropouts]


def _totals_json(totals: Totals) -> dict[str, Any]:
    return {"relayed": totals.relayed, "fallback": totals.fallback, "silence": totals.silence,
            "dropouts": [{"start": d.start.isoformat(), "reason": d.reason,
                          "end": d.end.isoformat() if d.end else None}
                         for d in totals.dropouts]}


def _totals_of(saved: dict[str, Any]) -> Totals:
    return Totals(int(saved.get("relayed", 0)), int(saved.get("fallback", 0)),
                  int(saved.get("silence", 0)),
                  [Dropout(datetime.fromisoformat(d["start"]), d["reason"],
                           datetime.fromisoformat(d["end"]) if d.get("end") else None)
                   for d in saved.get("dropouts", [])])
