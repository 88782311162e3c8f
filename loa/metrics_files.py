"""Where each process writes its Prometheus figures (multi-process mode).

Every process that counts gets a folder of its own under one root
(``LOA_METRICS_DIR``, default ``$LOA_HOME/prometheus``): the gunicorn workers
share ``web/`` (emptied when gunicorn starts), each ``loa scheduler`` and
``loa worker`` has ``<kind>-<pid>/``; /metrics adds up every folder. So
gunicorn's start no longer wipes the render figures of a scheduler already
running. Nothing of prometheus_client is imported here: the folder must be
chosen before its first import, which fixes how values are kept.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT_ENV = "LOA_METRICS_DIR"
WEB = "web"


def metrics_root(home: Path) -> Path:
    return Path(os.environ.get(ROOT_ENV) or home / "prometheus").resolve()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def use_process_folder(kind: str, home: Path) -> Path:
    """Point this process (and its children) at its own folder; ``web`` is emptied, and the
    folders of dead processes of the same kind go (their counts with them: a counter reset,
    which Prometheus' rate() expects). Others' folders are left alone."""
    root = metrics_root(home)
    folder = root / (WEB if kind == WEB else f"{kind}-{os.getpid()}")
    if root.is_dir():
        for other in root.iterdir():
            same, _, pid = other.name.rpartition("-")
            if other == folder or (same == kind and pid.isdigit() and not _alive(int(pid))):
                shutil.rmtree(other, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def every_process_file(own_folder: Path) -> list[str]:
    """The value files of every process under the root ``own_folder`` is in."""
    return sorted(str(p) for p in own_folder.parent.glob("*/*.db"))
