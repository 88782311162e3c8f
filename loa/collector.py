"""When Python's cyclic garbage collector runs: not while a batch builds what outlives it.

A collection walks every tracked object and frees only cycles. Loading a command
makes some hundred thousand objects that live as long as the process (the
modules, SQLAlchemy's and the models' metadata), and a set-based report as many
that live until it returns (rows, facts, verdicts): collections meanwhile free
nothing and cost `loa audit report` of the country a quarter of its time.
Reference counting still frees everything else at once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_starting = False  # `loa` paused the collector until its command has loaded


@contextmanager
def collection_paused() -> Iterator[None]:
    """Run the block with the collector paused; it resumes after unless it was off before.

    Threads may overlap: the collector is global, so it stays paused until the one that
    paused it first is done, and is never left off.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def pause_for_start_up() -> None:
    """Pause the collector while the `loa` process loads its command."""
    global _starting
    _starting = True
    gc.disable()


def start_up_done() -> None:
    """Freeze what loading made, so that no later collection walks it, and collect from now
    on (a long-running command too); nothing when `loa` did not pause (e.g. under tests)."""
    global _starting
    if _starting:
        _starting = False
        gc.freeze()
        gc.enable()
