"""The child processes (espeak-ng, ffmpeg) a render starts, so that stopping it stops them.

A render runs inside ``Children.scope()``; every process the audio code starts through
``popen``/``run`` while it runs, on any of its threads, is tracked there, and ``stop``
kills them all at once and refuses new ones. Outside a scope (an upload's probe, a
bulletin) processes run untracked: nothing stops those but their own timeouts.
"""

from __future__ import annotations

import contextlib
import contextvars
import subprocess
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from loa.audio.errors import AudioError

_CURRENT: contextvars.ContextVar[Children | None] = contextvars.ContextVar(
    "loa_render_children", default=None)


class RenderStopped(AudioError):
    """The render was stopped (a shutdown, or another worker took its job)."""

    def __init__(self) -> None:
        super().__init__("Đã dừng dựng âm thanh (render stopped)")


class Children:
    """Live child processes of one render."""

    def __init__(self) -> None:
        # Re-entrant: a signal handler (SIGTERM) may stop the render on the thread that
        # is starting a process under this lock.
        self._lock = threading.RLock()
        self._live: set[subprocess.Popen[bytes]] = set()
        self.stopped = False

    @contextlib.contextmanager
    def scope(self) -> Iterator[Children]:
        """Track the processes started in this context (and in contexts copied from it)."""
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)

    def start(self, cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        with self._lock:  # a stop between the check and the start would miss the process
            if self.stopped:
                raise RenderStopped()
            proc = subprocess.Popen(cmd, **kwargs)
            self._live.add(proc)
            if self.stopped:  # stopped by a signal handler while this one was starting
                proc.kill()
        return proc

    def forget(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._live.discard(proc)

    def stop(self) -> None:
        """Kill every live child now; any later start raises RenderStopped."""
        with self._lock:
            self.stopped = True
            live = list(self._live)
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()


def popen(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start ``cmd``, tracked by the render under way if any (``forget`` it once reaped)."""
    children = _CURRENT.get()
    return subprocess.Popen(cmd, **kwargs) if children is None else children.start(cmd, **kwargs)


def forget(proc: subprocess.Popen[bytes]) -> None:
    children = _CURRENT.get()
    if children is not None:
        children.forget(proc)


def check() -> None:
    """Raise RenderStopped if the render under way was stopped (between two blocks)."""
    children = _CURRENT.get()
    if children is not None and children.stopped:
        raise RenderStopped()


def run(cmd: Sequence[str], *, timeout: float, stdin: bytes | None = None,
        ) -> subprocess.CompletedProcess[bytes]:
    """``subprocess.run(cmd, capture_output=True)``, tracked by the render under way if any."""
    proc = popen(cmd, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
    finally:
        forget(proc)
    check()  # killed by a stop: its exit code is no error of its own
    return subprocess.CompletedProcess(list(cmd), proc.returncode, out, err)

