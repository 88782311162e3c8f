"""When the cyclic garbage collector runs (loa.collector): paused while `loa` loads its
command and while a report builds its rows, never left off."""

from __future__ import annotations

import gc
import subprocess
import sys

from loa.collector import collection_paused, start_up_done

_COMMAND = """
import gc, sys
sys.argv = ["loa", "secret", "generate"]
from loa.cli import main
try:
    main()
except SystemExit:
    pass
print(gc.isenabled(), gc.get_freeze_count() > 0)
"""


def test_a_command_runs_with_the_collector_on_and_what_loading_made_frozen() -> None:
    """A long-running command (`loa serve`, the scheduler) must collect as usual."""
    done = subprocess.run([sys.executable, "-c", _COMMAND], capture_output=True, text=True,
                          check=True)
    key, state = done.stdout.strip().splitlines()
    assert len(key) == 64 and state == "True True"


def test_a_pause_ends_with_its_block_and_leaves_a_collector_that_was_off_off() -> None:
    assert gc.isenabled()
    try:
        with collection_paused():
            assert not gc.isenabled()
            with collection_paused():  # nested, as a report inside a request
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
        gc.disable()
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    start_up_done()  # `loa` did not pause it here (tests): nothing happens
    assert gc.isenabled() and gc.get_freeze_count() == 0
