"""Benchmark: peak memory of a render does not grow with its inputs' length.

The 15-minute programme of bench_render over a 1-minute bed (the reference) and over a
2-hour FLAC bed, each rendered in a fresh process (warm TTS cache, so only the bed
differs). Peak memory is the process's own maximum RSS (getrusage) and the sum of it
and its children (encoders, the bed's decoder) sampled every 20 ms. Goal: the 2-hour bed
within the 1-minute bed's memory + 50 MB.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_render import MemorySampler, _programme
from bench.results import write_section
from loa.audio.render import RenderOptions, SegmentSpec, render_programme
from loa.audio.store import AudioStore

BEDS = {"1-minute bed (reference)": 60, "2-hour bed": 7200}
ALLOWANCE_MB = 50


def _bed(folder: Path, seconds: int) -> Path:
    """The bench's bed looped to ``seconds``, as FLAC (what an operator might upload)."""
    loop = _programme(folder)[1].path
    path = folder / f"bed-{seconds}.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(loop), "-t",
                    str(seconds), "-c:a", "flac", str(path)], check=True)
    return path


def _render_once(folder: Path, bed: Path) -> None:
    """In the child: render the programme over ``bed`` and print its figures as JSON."""
    segments = [SegmentSpec("bed", path=bed, seconds=4.0) if s.kind == "bed" and s.path
                else s for s in _programme(folder)]
    options = RenderOptions(title="Bộ nhớ", campaign="Chuyển đổi số", unit="Xã Thủy Nguyên",
                            month="2026-12", cache_dir=folder / "tts-cache")
    start = time.perf_counter()
    with MemorySampler() as memory:
        result = render_programme(segments, options, AudioStore(folder / "store"))
    print(json.dumps({
        "seconds": time.perf_counter() - start,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "total_mb": memory.peak_total / 1024, "children_mb": memory.peak_children / 1024,
        "duration_min": result.duration_ms / 60000, "lufs": result.loudness_lufs,
        "peak_db": result.true_peak_db}))


def _child(folder: Path, bed: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "bench.bench_render_memory", str(folder),
                          str(bed)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="loa-bench-memory-") as tmp:
        folder = Path(tmp)
        beds = {label: _bed(folder, seconds) for label, seconds in BEDS.items()}
        _child(folder, beds[next(iter(BEDS))])  # warms the TTS cache: only the bed differs
        rows = {label: _child(folder, bed) for label, bed in beds.items()}
    reference, long = rows.values()
    lines = ["| bed | render s | render process max RSS MB | with children MB (sampled) | "
             "duration | loudness | true peak |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, row in rows.items():
        lines.append(f"| {label} | {row['seconds']:.2f} | {row['maxrss_mb']:.0f} | "
                     f"{row['total_mb']:.0f} | {row['duration_min']:.2f} min | "
                     f"{row['lufs']:.2f} LUFS | {row['peak_db']:.2f} dBTP |")
    growth = long["total_mb"] - reference["total_mb"]
    ratio = long["total_mb"] / reference["total_mb"]
    own = long["maxrss_mb"] - reference["maxrss_mb"]
    verdict = "meets" if max(growth, own) <= ALLOWANCE_MB else "MISSES"
    lines += ["", f"2-hour bed minus the reference: {own:+.0f} MB (render process), "
              f"{growth:+.0f} MB (with children); ratio {ratio:.2f}. "
              f"Goal: at most +{ALLOWANCE_MB} MB: {verdict}. Each render in a fresh process, "
              "warm TTS cache (14 items), the bed streamed through ffmpeg and levelled from its "
              "first 10 minutes."]
    write_section("render memory", "python -m bench.bench_render_memory", "\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) == 3:
        _render_once(Path(sys.argv[1]), Path(sys.argv[2]))
    else:
        main()
