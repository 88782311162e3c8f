"""Benchmark: render a 15-minute programme (14 TTS news items over a bed, 2 jingles)."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from audio.render import RenderOptions, SegmentSpec, render_programme
from audio.store import AudioStore
from bench._fixtures import SEEDS, make_bed, make_jingle, news_items
from bench.results import write_section

ITEMS = 14
CHARS_PER_ITEM = 950  # about 60 s each once normalised, at espeak-ng's default rate


def _programme(folder: Path) -> list[SegmentSpec]:
    jingle = make_jingle(folder / "jingle.wav")
    bed = make_bed(folder / "bed.wav")
    segments = [SegmentSpec("jingle", path=jingle), SegmentSpec("bed", path=bed, seconds=4.0)]
    for index, text in enumerate(news_items(ITEMS, CHARS_PER_ITEM)):
        if index:
            segments.append(SegmentSpec("silence", seconds=1.0))
        segments.append(SegmentSpec("tts", text=text))
    segments += [SegmentSpec("bed"), SegmentSpec("jingle", path=jingle)]
    return segments


def _max_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    """Run cold and warm renders and record time, loudness and peak memory."""
    if not SEEDS.is_dir():
        sys.exit(f"seed texts not found at {SEEDS}")
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        folder = Path(tmp)
        segments = _programme(folder)
        store = AudioStore(folder / "store")
        options = RenderOptions(title="Chuyển đổi số: bản tin tháng 11", campaign="Chuyển đổi số",
                                unit="Xã Thủy Nguyên, Hải Phòng", month="2026-11",
                                cache_dir=folder / "tts-cache")
        rows = []
        for label in ("cold TTS cache", "warm TTS cache"):
            start = time.perf_counter()
            result = render_programme(segments, options, store)
            rows.append((label, time.perf_counter() - start, result))
    own, children = _max_rss_mb()
    lines = ["| run | seconds | duration | loudness | true peak | MP3 bytes |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, seconds, r in rows:
        lines.append(f"| {label} | {seconds:.2f} | {r.duration_ms / 60000:.2f} min | "
                     f"{r.loudness_lufs:.2f} LUFS | {r.true_peak_db:.2f} dBTP | {r.bytes:,} |")
    lines += ["", f"Peak memory (ru_maxrss): render process {own:.0f} MB, largest child "
              f"{children:.0f} MB. Targets: cold ≤ 6 s, warm ≤ 4 s, memory ≤ 400 MB. "
              f"{ITEMS} TTS items (espeak-ng, vi) from the seed plans over a synthetic bed, "
              "2 synthetic jingles; output 64 kbps mono MP3 (22.05 kHz) + 128 kbps archive."]
    write_section("render", "python -m bench.bench_render", "\n".join(lines))


if __name__ == "__main__":
    main()
