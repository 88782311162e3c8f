"""Benchmark: one minute of bulletin speech from text to the player MP3 (goal: <= 2 s).

Each one-minute text of the seed plans is rendered with the default attention signal, and
beside each render the plain ffmpeg encode of the same audio (the bulletin's own PCM, to
the same 64 kbps mono 22.05 kHz MP3) is timed as the reference, in the same run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_render import SEEDS, news_items
from bench.results import write_section
from loa.audio.bulletin import RATE, default_attention_signal, render_bulletin
from loa.audio.clips import decode_pcm

COMMAND = ".venv/bin/python -m bench.bench_bulletin_render [repeats]"
TEXTS = 5
CHARS = 1000  # a little over 60 s of speech once normalised, at espeak-ng's default rate
GOAL_S = 2.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _plain_encode(pcm: bytes, out: Path) -> float:
    """Seconds for ffmpeg alone to encode ``pcm`` to the player MP3 (the reference)."""
    start = time.perf_counter()
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "s16le", "-ar", str(RATE),
                    "-ac", "1", "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "64k",
                    "-compression_level", "7", "-f", "mp3", str(out)], input=pcm, check=True)
    return time.perf_counter() - start


def main(repeats: int) -> None:
    """Render each text ``repeats`` times, timing the plain encode beside each render."""
    if not SEEDS.is_dir():
        sys.exit(f"seed texts not found at {SEEDS}")
    texts = news_items(TEXTS, CHARS)
    signal = default_attention_signal()
    # Warm (imports, the signal's analysis) and measure what the signal and pause add.
    lead_s = (render_bulletin(texts[0], attention=signal).duration_ms
              - render_bulletin(texts[0], attention=None).duration_ms) / 1000
    renders: list[float] = []
    plains: list[float] = []
    speech_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="loa-bench-bulletin-") as tmp:
        work = Path(tmp)
        for _ in range(repeats):
            for text in texts:
                start = time.perf_counter()
                result = render_bulletin(text, attention=signal)
                renders.append(time.perf_counter() - start)
                (work / "b.mp3").write_bytes(result.mp3)
                pcm = decode_pcm(work / "b.mp3", rate=RATE).tobytes()
                plains.append(_plain_encode(pcm, work / "plain.mp3"))
                speech_s.append(result.duration_ms / 1000 - lead_s)
    load = os.getloadavg()[0]
    median, p99 = statistics.median(renders), _percentile(renders, 0.99)
    ref_median, ref_p99 = statistics.median(plains), _percentile(plains, 0.99)
    per_minute = sorted(r / (s / 60) for r, s in zip(renders, speech_s, strict=True))
    verdict = "meets" if _percentile(per_minute, 0.99) <= GOAL_S else "MISSES"
    body = "\n".join([
        "| | median s | p99 s | max s |",
        "| --- | ---: | ---: | ---: |",
        f"| render_bulletin (text to MP3) | {median:.3f} | {p99:.3f} | {max(renders):.3f} |",
        f"| reference: ffmpeg encode of the same PCM | {ref_median:.3f} | {ref_p99:.3f} | "
        f"{max(plains):.3f} |",
        f"| ratio render / reference | {median / ref_median:.2f} | {p99 / ref_p99:.2f} | |",
        f"| render per minute of speech | {statistics.median(per_minute):.3f} | "
        f"{_percentile(per_minute, 0.99):.3f} | {max(per_minute):.3f} |",
        "",
        f"{len(renders)} renders ({TEXTS} texts of about {CHARS} characters of the seed plans, "
        f"{repeats} times each): {statistics.median(speech_s):.1f} s of speech (median) after "
        f"the default attention signal and pause ({lead_s:.1f} s); espeak-ng voice vi, normalised "
        "text, -16 LUFS, 64 kbps mono 22.05 kHz MP3. The reference runs ffmpeg alone on the "
        "bulletin's decoded PCM, right after each render. 1-minute load average at the end "
        f"{load:.2f} (2 cores, shared). Goal: one minute in <= {GOAL_S:.0f} s at p99: {verdict}.",
    ])
    write_section("bulletin render", COMMAND, body)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
