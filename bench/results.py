"""Write one benchmark's figures into its own section of bench/RESULTS.md."""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nEach section is rewritten by the benchmark named in it.\n"


def write_section(name: str, command: str, body: str) -> None:
    """Replace (or add) the section ``name`` with ``body``, noting command, machine and date."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    section = (
        f"<!-- bench:{name} -->\n## {name}\n\n"
        f"`{command}` — {stamp}, {machine}\n\n{body.strip()}\n<!-- /bench:{name} -->\n"
    )
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->\n",
                         re.S)
    text = pattern.sub(lambda _m: section, text) if pattern.search(text) else text + "\n" + section
    RESULTS.write_text(text, encoding="utf-8")
    print(section)
