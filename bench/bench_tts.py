"""Benchmark: real-time factor of the offline TTS engine, normalisation included."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from audio.normalize import normalize_vi
from audio.synth import read_wav
from audio.tts import ESPEAK_VOICES, get_engine
from bench.bench_render import SEEDS, news_items
from bench.results import write_section


def main() -> None:
    """Normalise and speak about five minutes of plan text per voice; print the RTF."""
    if not SEEDS.is_dir():
        sys.exit(f"seed texts not found at {SEEDS}")
    text = " ".join(news_items(5, 950))
    engine = get_engine("espeak-ng")
    lines = ["| voice | normalise s | synthesis s | audio s | RTF |",
             "| --- | ---: | ---: | ---: | ---: |"]
    with tempfile.TemporaryDirectory(prefix="loa-bench-tts-") as tmp:
        for voice in ESPEAK_VOICES:
            start = time.perf_counter()
            spoken = normalize_vi(text)
            normalised = time.perf_counter()
            out = Path(tmp) / f"{voice}.wav"
            engine.synthesize(spoken, voice, out)
            done = time.perf_counter()
            pcm, rate = read_wav(out)
            audio_s = len(pcm) / rate
            lines.append(f"| {voice} | {normalised - start:.3f} | {done - normalised:.3f} | "
                         f"{audio_s:.1f} | {(done - start) / audio_s:.4f} |")
    lines += ["", f"{len(text):,} characters of the seed plans per voice; RTF = (normalise + "
              "synthesise) / audio duration, one espeak-ng process."]
    write_section("tts", "python -m bench.bench_tts", "\n".join(lines))


if __name__ == "__main__":
    main()
