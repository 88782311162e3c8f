"""OnAir on a frozen clock: the output chain's order and tries, where a fallback starts, how a
play ends. Real outputs' failures are tests/players/test_bulletin_outputs.py's and
test_realtime.py's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from loa.clock import FrozenClock
from loa.player.health import Health
from loa.player.on_air import OnAir
from loa.player.output import Cue, NullOutput, Playback

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


class CardGone:
    """An output whose program is missing (start raises), or whose sound dies at once."""

    def __init__(self, name: str, dies_after_start: bool = False) -> None:
        self.name, self.dies_after_start = name, dies_after_start
        self.cues: list[Cue] = []

    def start(self, cue: Cue) -> Playback:
        self.cues.append(cue)
        if not self.dies_after_start:
            raise OSError(f"{self.name}: no such file")
        return Died(self.name)


class Died:
    def __init__(self, name: str) -> None:
        self.name = name

    def finished(self) -> bool:
        return True

    def error(self) -> str | None:
        return f"{self.name} exited 1"

    def ends_by(self) -> datetime:
        return T0

    def stop(self) -> None:
        """Nothing plays."""


def cue() -> Cue:
    return Cue(None, "ab" * 32, Path("bulletin.mp3"), 10_000, T0, bulletin_id=7)


def test_each_output_is_tried_twice_in_order_before_the_next() -> None:
    clock = FrozenClock(T0)
    first, second = CardGone("aplay"), CardGone("ffplay")
    null = NullOutput(clock.now)
    on_air = OnAir([first, second, null], 2, Health())
    assert on_air.start("bulletin", "bulletin 7", cue(), T0, 10_000) is None
    assert (len(first.cues), len(second.cues), len(null.played)) == (2, 2, 1)
    clock.advance(seconds=10)
    ended = on_air.check(clock.now())
    assert ended is not None and ended.what == "bulletin" and ended.output == "null"
    assert [e.split(":")[0] for e in ended.output_errors] == ["aplay"] * 2 + ["ffplay"] * 2
    assert ended.error is not None and ended.error.startswith("no real output played")
    assert on_air.play is None


def test_a_fallback_starts_where_the_source_should_be_by_then() -> None:
    clock = FrozenClock(T0)
    dying = CardGone("aplay", dies_after_start=True)
    null = NullOutput(clock.now)
    on_air = OnAir([dying, null], 2, Health())
    on_air.start("airing", "airing 1", cue(), T0, 10_000)
    clock.advance(seconds=1.5)
    assert on_air.check(clock.now()) is None  # the second try of aplay
    clock.advance(seconds=1)
    assert on_air.check(clock.now()) is None  # null takes over
    assert [c.from_ms for c in dying.cues] == [0, 1500]
    assert [p["from_ms"] for p in null.played] == [2500]


def test_every_output_failing_ends_the_play_at_once_with_every_error() -> None:
    on_air = OnAir([CardGone("aplay"), CardGone("ffplay")], 2, Health())
    ended = on_air.start("bulletin", "bulletin 7", cue(), T0, 10_000)
    assert ended is not None and ended.error is not None
    assert ended.error.startswith("all outputs failed") and len(ended.output_errors) == 4
    assert on_air.play is None


def test_a_play_ends_at_its_deadline_whatever_the_output_says() -> None:
    clock = FrozenClock(T0)
    on_air = OnAir([NullOutput(clock.now)], 2, Health())
    on_air.start("airing", "airing 1", cue(), T0, 4_000)  # the rest of a resumed airing
    clock.advance(seconds=4)
    ended = on_air.check(clock.now())
    assert ended is not None and ended.error is None and ended.stopped_at_end
    assert ended.detail() == {"output": "null", "stopped_at_end": True}
