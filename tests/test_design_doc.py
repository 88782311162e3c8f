"""docs/design.md names only files and modules that exist, so a reader can follow it."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from tests.helpers.project import ROOT, package_dirs

DESIGN = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
TOP_FOLDERS = ("audio|bench|compliance|docs|loa|loa_player|notify|packaging|playlists|scheduler"
               "|scripts|stations|tests|web")
# A repository path (web/ui.py, tests/players/x.py, audio/), not a URL (/stations/…) or $LOA_HOME/…
PATH = re.compile(rf"(?<![\w/.$~-])(?:{TOP_FOLDERS})/[^\s`()\[\]'\"]*")
# A module or attribute by import name (loa.web.player_api.BODY_LIMIT), not loa.sqlite in a path.
MODULE = re.compile(r"(?<![\w/.-])loa(?:\.\w+)+\*?")
# The rooms' short forms: `scheduler.edits`, `playlists.jobs.enqueue`.
ROOM_MODULE = re.compile(
    r"`((?:audio|compliance|notify|playlists|scheduler|stations|web)(?:\.\w+)+)`")


PACKAGES = package_dirs()


def expand_braces(path: str) -> list[str]:
    """web/translations/{vi,en} → both paths."""
    parts = re.split(r"\{([^}]*)\}", path)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(c) for c in itertools.product(*choices)]


def defines(source: Path, names: list[str]) -> bool:
    text = source.read_text(encoding="utf-8")
    return all(re.search(rf"\b{re.escape(n)}\b", text) for n in names)


def path_exists(token: str) -> bool:
    """A file or folder, or a module file and one of its names: web/audio_files.send_audio."""
    if (ROOT / token).exists():
        return True
    folder, _, last = token.rpartition("/")
    module, _, name = last.partition(".")
    source = ROOT / folder / f"{module}.py"
    return bool(name) and source.is_file() and defines(source, [name])


def module_exists(dotted: str) -> bool:
    """A module by its import name, then any names defined in it: loa.web.player_api.BODY_LIMIT."""
    parts = dotted.rstrip("*").split(".")
    package = max((p for p in PACKAGES if parts[: p.count(".") + 1] == p.split(".")), key=len)
    folder, rest = PACKAGES[package], parts[package.count(".") + 1:]
    if dotted.endswith("*"):  # loa.cli*: some module of the package starts so
        return len(rest) == 1 and any(folder.glob(f"{rest[0]}*.py"))
    source = folder / "__init__.py"
    while rest and ((folder / rest[0]).is_dir() or (folder / f"{rest[0]}.py").is_file()):
        folder = folder / rest.pop(0)
        source = folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py")
    if not rest:
        return True
    return source.is_file() and defines(source, rest)


def named_paths() -> set[str]:
    found = set()
    for match in PATH.findall(DESIGN):
        token = match.rstrip(".,;:")
        if "<" in token:  # a pattern such as loa/players/<player id>, an MQTT topic
            continue
        found.update(expand_braces(token))
    return found


def named_modules() -> set[str]:
    found = {m.rstrip(".") for m in MODULE.findall(DESIGN)}
    found.update(f"loa.{m}" for m in ROOM_MODULE.findall(DESIGN))
    return found


def test_every_path_the_design_names_exists() -> None:
    paths = named_paths()
    assert len(paths) > 20  # the scan sees the paths, so the empty list below means something
    assert sorted(p for p in paths if not path_exists(p)) == []


def test_every_module_the_design_names_exists() -> None:
    modules = named_modules()
    assert len(modules) > 20
    assert sorted(m for m in modules if not module_exists(m)) == []


def test_the_checks_refuse_what_is_not_there() -> None:
    assert not path_exists("web/nowhere.py")
    assert not path_exists("web/audio_files.no_such_function")
    assert not module_exists("loa.web.BODY_LIMIT")  # web/__init__.py is empty
    assert not module_exists("loa.scheduler.no_such_module")
    assert module_exists("loa.player.agent") and module_exists("loa.cli*")
