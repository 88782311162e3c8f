"""The seed texts (real commune bulletins and programmes, in ../shared/seeds) as sentences."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Beside the checkout (../shared/seeds); LOA_SEEDS points elsewhere (e.g. from a worktree).
SEEDS = Path(os.environ.get("LOA_SEEDS") or
             Path(__file__).resolve().parents[2].parent / "shared" / "seeds")


def seed_sentences() -> list[str]:
    """Every sentence of the seed texts; missing texts fail under CI and skip elsewhere."""
    if not SEEDS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"seed texts missing at {SEEDS}; CI must check out shared/ beside it")
        pytest.skip(f"seed texts not found at {SEEDS}; shared/ is not beside the repository")
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    return [s for s in re.split(r"(?<=[.;!?])\s+|\n+", text) if s.strip()]
