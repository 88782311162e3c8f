"""How long `loa --help` takes to start, beside `python -c pass` in the same run.

Run: .venv/bin/python -m bench.bench_cli_start
Median of 7 child processes each, with the peak memory of the last. `loa unit --help`
shows what a command that opens the database costs to start (SQLAlchemy, Flask).
"""

from __future__ import annotations

import statistics
import sys

from bench.country import LOA, Run, load_average, run_command
from bench.results import write_section

COMMAND = ".venv/bin/python -m bench.bench_cli_start"
RUNS = 7


def median_run(cmd: list[str]) -> tuple[float, float]:
    runs: list[Run] = [run_command(cmd) for _ in range(RUNS)]
    return statistics.median(r.seconds for r in runs), runs[-1].peak_mb


def main() -> None:
    reference, reference_mb = median_run([sys.executable, "-c", "pass"])
    rows = [f"| `python -c pass` (reference) | {reference:.3f} | {reference_mb:.0f} | 1× |"]
    for args in (["--help"], ["unit", "--help"]):
        seconds, peak = median_run([LOA, *args])
        rows.append(
            f"| `loa {' '.join(args)}` | {seconds:.3f} | {peak:.0f} | "
            f"{seconds / reference:.1f}× |"
        )
    body = (
        f"Median of {RUNS} runs each (2 shared cores; load average {load_average()}).\n\n"
        "| command | seconds | peak MB (RSS) | ratio to `python -c pass` |\n"
        "| --- | ---: | ---: | ---: |\n" + "\n".join(rows) + "\n\n"
        "Target: `loa --help` ≤ 0.3 s. Commands load when they run (`loa/cli.py`), so "
        "`--help` imports no database, web or audio library (tests/test_cli_start.py)."
    )
    write_section("cli start", COMMAND, body)


if __name__ == "__main__":
    main()
