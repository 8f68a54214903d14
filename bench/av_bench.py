"""Audio-visual benchmarks, as ratios against the bare ffmpeg command in the same run.

  python bench/av_bench.py cost   [--clips 20]   per-clip cost of 10 s 640x360 clips vs bare ffmpeg
  python bench/av_bench.py memory [--clips 200]  worker memory over many clips

`cost`: for the same plans, (a) our per-sample path without Ray: plan (espeak-ng speech
included, cached per sentence as in a worker), draw the sprites and the mix, one ffmpeg
process that writes the mp4, the sampled JPEG frames, the probe frames and the 16 kHz
wav, then the question, the schema/box/timeline filters (every cited event's probes) and
the sample JSON; (b) the bare render: the same ffmpeg graph from the same inputs to the
mp4 only. They alternate clip by clip, so machine noise falls on both. Reported: clips/s
per worker (1 / our time) and the ratio a/b. Target <= 1.2.
`memory`: one worker renders `--clips` clips (mp4 + frames + wav); the worker's RSS and the
largest ffmpeg child's peak RSS are read every 50 clips. Target: flat.
Results go to bench/results/av_*.json and stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _recipe():
    from omnisynth.schemas.recipe import load_recipe

    return load_recipe("av_temporal_qa", [("generator.size", [640, 360]), ("generator.duration_s", [10, 10]),
                                          ("generator.media", ["frames", "wav", "mp4"])])


def _ours(recipe, generator, engine, filters, index: int):
    from omnisynth.filters.base import run_filters
    from omnisynth.schemas.truth import SampleSpec, WorkItem

    start = time.perf_counter()
    item = WorkItem(SampleSpec(recipe.name, recipe.seed, index, 0))
    item.media, item.truth = generator.render(item.spec)
    engine.annotate([item])
    run_filters(filters, item)
    json.dumps(item.sample)
    assert item.rejection is None, item.rejection
    return time.perf_counter() - start, item.truth.clip.plan


def _bare(plan, seed: int) -> float:
    from omnisynth.generators.clips.timeline import SR
    from omnisynth.generators.clips.render import ffmpeg_command, mix, run_ffmpeg, wav_bytes

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "mix.wav").write_bytes(wav_bytes(mix(plan, seed), SR))
        args = ffmpeg_command(plan, work, None, [], True)  # inputs prepared outside the timed part
        start = time.perf_counter()
        run_ffmpeg(args, 120)
        return time.perf_counter() - start


def cost(clips: int) -> dict:
    from omnisynth.filters.base import make_filters
    from omnisynth.generators import make_generator
    from omnisynth.model.engines import make_engine

    recipe = _recipe()
    generator, engine = make_generator(recipe), make_engine(recipe)
    filters = make_filters(recipe, generator)
    _ours(recipe, generator, engine, filters, 10_000)  # warm-up: imports, fonts
    ours, bare = [], []
    for i in range(clips):
        t, plan = _ours(recipe, generator, engine, filters, i)
        ours.append(t)
        bare.append(_bare(plan, recipe.seed * 1_000_003 + i))
    result = {"clips": clips, "size": [640, 360], "duration_s": 10, "ours_s": round(statistics.median(ours), 4),
              "bare_ffmpeg_s": round(statistics.median(bare), 4),
              "ratio": round(sum(ours) / sum(bare), 3), "clips_per_s_per_worker": round(1 / statistics.mean(ours), 3)}
    return result


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory(clips: int) -> dict:
    from omnisynth.filters.base import make_filters
    from omnisynth.generators import make_generator
    from omnisynth.model.engines import make_engine

    recipe = _recipe()
    generator, engine = make_generator(recipe), make_engine(recipe)
    filters = make_filters(recipe, generator)
    readings = []
    for i in range(clips):
        _ours(recipe, generator, engine, filters, i)
        if (i + 1) % 50 == 0 or i == 0:
            child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            readings.append({"clips": i + 1, "worker_rss_mib": round(_rss_mib(), 1),
                             "ffmpeg_peak_rss_mib": round(child, 1)})
    first = next((r for r in readings if r["clips"] >= 50), readings[0])
    return {"readings": readings, "growth": round(readings[-1]["worker_rss_mib"] / first["worker_rss_mib"] - 1, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["cost", "memory", "all"])
    ap.add_argument("--clips", type=int, default=0)
    args = ap.parse_args()
    RESULTS.mkdir(exist_ok=True)
    for name, fn, default in (("cost", cost, 20), ("memory", memory, 200)):
        if args.what in (name, "all"):
            result = fn(args.clips or default)
            (RESULTS / f"av_{name}.json").write_text(json.dumps(result, indent=2) + "\n")
            print(name, json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
