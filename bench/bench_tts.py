"""Benchmark: real-time factor of the offline TTS engine, normalisation included."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_render import SEEDS, news_items
from bench.results import write_section
from loa.audio.normalize import normalize_vi
from loa.audio.synth import read_wav
from loa.audio.tts import ESPEAK_VOICES, TTSEngine, get_engine

REPEATS = 5


def _once(engine: TTSEngine, text: str, voice: str, out: Path) -> tuple[float, float, float]:
    """Seconds to normalise, seconds to synthesise, seconds of audio produced."""
    start = time.perf_counter()
    spoken = normalize_vi(text)
    normalised = time.perf_counter()
    engine.synthesize(spoken, voice, out)
    done = time.perf_counter()
    pcm, rate = read_wav(out)
    return normalised - start, done - normalised, len(pcm) / rate


def main() -> None:
    """Normalise and speak about five minutes of plan text per voice; print the median RTF."""
    if not SEEDS.is_dir():
        sys.exit(f"seed texts not found at {SEEDS}")
    text = " ".join(news_items(5, 950))
    engine = get_engine("espeak-ng")
    lines = ["| voice | normalise s | synthesis s | audio s | RTF | load average |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    with tempfile.TemporaryDirectory(prefix="loa-bench-tts-") as tmp:
        for voice in ESPEAK_VOICES:
            runs = [_once(engine, text, voice, Path(tmp) / f"{voice}.wav") for _ in range(REPEATS)]
            norm, synth = (statistics.median(r[i] for r in runs) for i in (0, 1))
            audio_s = runs[-1][2]
            lines.append(f"| {voice} | {norm:.3f} | {synth:.3f} | {audio_s:.1f} | "
                         f"{(norm + synth) / audio_s:.4f} | {os.getloadavg()[0]:.2f} |")
    lines += ["", f"{len(text):,} characters of the seed plans per voice, median of {REPEATS} "
              "runs; RTF = (normalise + synthesise) / audio duration, one espeak-ng process; "
              "load average is the 1-minute load after each voice (2 cores, shared)."]
    write_section("tts", "python -m bench.bench_tts", "\n".join(lines))


if __name__ == "__main__":
    main()
