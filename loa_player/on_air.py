"""What is on air: one play at a time, through the output chain and its fallback.

``OnAir`` is the one owner of the speakers. Airings and bulletins (and next,
relays) hand it a source (a ``Cue``) to play for at most so many milliseconds,
with a label of their own; it starts the source on the first output that takes
it, each output tried ``tries`` times in the configured order, and when a
playback fails before its end the next try starts where the source should be
by then. A play ends at its deadline whatever the output says. The caller gets
back an ``Ended``: which output played, the errors before it, why the play
failed if it did (every output failed, or only the ``null`` output kept time),
and how much of its time on air tries that failed at once lost (``unheard_ms``:
the next output starts further on, so a bulletin's report claims only what was heard).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loa.player.health import Health
from loa.player.output import Cue, NotStarted, Output, Playback
from loa.player.slots import ms

logger = logging.getLogger(__name__)

# An output that fails this soon after it started played nothing worth counting (no sound
# card: aplay exits at once); the next one starts further on, so that time was not heard.
QUICK_FAILURE = timedelta(seconds=1)


@dataclass
class Play:
    """The source on air: ``what`` is the caller's own record of it (an airing, a bulletin)."""

    what: Any
    name: str  # for the log: "airing 12", "bulletin 3"
    cue: Cue
    started_at: datetime
    limit_ms: int
    playback: Playback
    attempt: int = 0  # which try of the output order is playing
    output_errors: list[str] = field(default_factory=list)
    output_started: datetime | None = None  # when the playing try's output started
    unheard_ms: int = 0  # lost to tries that failed at once (``QUICK_FAILURE``)

    @property
    def deadline(self) -> datetime:
        return self.started_at + timedelta(milliseconds=self.limit_ms)

    def position(self, now: datetime) -> int:
        """Where in the source the play should be by ``now``."""
        return self.cue.from_ms + ms(now - self.started_at)


@dataclass(frozen=True)
class Ended:
    """How a play went: ``error`` set means nobody heard it through (report it failed)."""

    what: Any
    output: str
    error: str | None
    output_errors: list[str]
    stopped_at_end: bool = False
    unheard_ms: int = 0  # of the time on air, what failed tries lost before the fallback

    def detail(self) -> dict[str, Any]:
        """What the final event says about the outputs."""
        detail: dict[str, Any] = {"output": self.output}
        if self.output_errors:
            detail["output_errors"] = self.output_errors
        if self.unheard_ms:
            detail["unheard_ms"] = self.unheard_ms
        if self.stopped_at_end:
            detail["stopped_at_end"] = True
        return detail


class OnAir:
    """The speakers: at most one play, started, watched, ended or cut here and nowhere else."""

    def __init__(self, outputs: list[Output], tries: int, health: Health) -> None:
        self.outputs, self.tries, self.health = outputs, tries, health
        self.play: Play | None = None

    @property
    def what(self) -> Any:
        """The caller's record of what is on air, or None."""
        play = self.play  # read once: playout may end it meanwhile (another thread reads)
        return play.what if play is not None else None

    def start(self, what: Any, name: str, cue: Cue, now: datetime,
              limit_ms: int) -> Ended | None:
        """Put ``cue`` on air for at most ``limit_ms``; an ``Ended`` if no output took it."""
        assert self.play is None, f"{name} started while {self.play.name} is on air"
        self.play = Play(what, name, cue, now, limit_ms, NotStarted(now))
        return self._try_outputs(now)

    def check(self, now: datetime) -> Ended | None:
        """Look at the play on air: fall back if its output failed; end it when it is over."""
        play = self.play
        if play is None:
            return None
        if play.playback.finished():
            error = play.playback.error()
            if error and now < play.deadline:
                if play.output_started is not None and now - play.output_started <= QUICK_FAILURE:
                    play.unheard_ms += ms(now - play.output_started)
                self._note_failure(play, error)
                return self._try_outputs(now)
            return self._end(error)
        if now >= play.deadline:
            play.playback.stop()
            return self._end(None, stopped_at_end=True)
        return None

    def stop(self) -> Ended | None:
        """Cut the play on air now (an emergency, a cancel, a shutdown)."""
        if self.play is None:
            return None
        self.play.playback.stop()
        return self._end(None)

    def ends_by(self) -> datetime | None:
        """When to look at the play on air next."""
        play = self.play
        return None if play is None else min(play.playback.ends_by(), play.deadline)

    def _try_outputs(self, now: datetime) -> Ended | None:
        """Start the play on the next try of the output order, where it should be by ``now``."""
        play = self.play
        assert play is not None
        cue = dataclasses.replace(play.cue, from_ms=play.position(now))
        while play.attempt < len(self.outputs) * self.tries:
            output = self.outputs[play.attempt // self.tries]
            try:
                # A live relay's cue attaches the output to its feed (loa_player/relay.py).
                play_on = getattr(cue, "play_on", None)
                play.playback = play_on(output) if play_on else output.start(cue)
            except OSError as exc:
                self._note_failure(play, str(exc))
                continue
            play.output_started = now
            if play.output_errors:
                self.health.report("output", "; ".join(play.output_errors)[-300:])
            return None
        return self._end("all outputs failed: " + "; ".join(play.output_errors))

    def _note_failure(self, play: Play, error: str) -> None:
        output = self._output_name(play.attempt)
        play.output_errors.append(f"{output}: {error}")
        logger.warning("%s: output %s failed: %s", play.name, output, error)
        play.attempt += 1

    def _output_name(self, attempt: int) -> str:
        return self.outputs[min(attempt // self.tries, len(self.outputs) - 1)].name

    def _end(self, error: str | None, stopped_at_end: bool = False) -> Ended:
        play, self.play = self.play, None
        assert play is not None
        output = self._output_name(play.attempt)
        if output == "null" and play.output_errors and not error:
            # The null output only keeps time and the log: nobody heard this play.
            error = "no real output played: " + "; ".join(play.output_errors)
        return Ended(play.what, output, error, play.output_errors, stopped_at_end,
                     play.unheard_ms)
