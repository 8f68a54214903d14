"""What realism costs: images per second per core with the degrade stage on and off, in one process.

  python bench/degrade_bench.py [--samples 48] [--rounds 3] [--recipes doc_scan_qa handwriting_qa scene_text_qa]
  python bench/degrade_bench.py --synthdog-cmd "VENV/bin/python HARNESS.py"   # and SynthDoG, same core

For each recipe, the same sample specs through our whole per-sample path without Ray (plan,
paint, render, degrade, write the question, run every filter, write the tar part): "on" with
the recipe's degrade section, "off" with `degrade.preset=none` (a clean PNG page), best of
`rounds` (and the median of on / off within each round), the rounds interleaving the
variants. The process is pinned to one core (and OpenCV to one thread), so images/s is per
core. Also: the mean megapixels of the images written, and the bare library cost of a clean
page (PyMuPDF replaying the same display list, render, PNG encode) for scale.
Targets (issue 10): on / off time <= 1.5; on >= 10x SynthDoG's 0.29 images/s per core at
~1.1 MP (measured here). With --synthdog-cmd SynthDoG is timed again in this run, pinned to the
same core: the command runs donut's SynthDoG template with its published config_en.yaml in a
venv of its own (synthtiger, numpy<2, Pillow 9) and prints "images/s megapixels" for N images
including the JPEG encode; SynthDoG's code is never part of this repository.
Results go to bench/results/degrade.json and stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SYNTHDOG_MEASURED = 0.29  # images/s per core on ~1.1 MP JPEGs, measured on this machine kind (issue 10)


def run_paths(recipe_name: str, variants: dict[str, list[str]], samples: int, rounds: int) -> dict[str, dict]:
    """Each variant (a name -> recipe overrides) timed over the same sample specs, best of `rounds`;
    the rounds interleave the variants, so a slow spell of the machine falls on all of them."""
    import cv2
    import numpy as np

    from omnisynth.pipelines.dag import build_stages
    from omnisynth.pipelines.stages import run_stages_locally
    from omnisynth.schemas.recipe import load_recipe, parse_overrides
    from omnisynth.schemas.truth import SampleSpec, WorkItem

    recipes = {name: load_recipe(recipe_name, parse_overrides(ov)) for name, ov in variants.items()}
    out: dict[str, dict] = {}
    per_round: dict[str, list[float]] = {name: [] for name in recipes}
    for _ in range(rounds):
        for name, recipe in recipes.items():
            with tempfile.TemporaryDirectory() as tmp:
                stages = build_stages(recipe, Path(tmp) / "out")
                items = [WorkItem(SampleSpec(recipe.name, recipe.seed, i, i // 16)) for i in range(samples)]
                t = time.perf_counter()
                items = run_stages_locally(stages, items)
                elapsed = time.perf_counter() - t
            per_round[name].append(elapsed)
            if name in out and out[name]["seconds"] <= elapsed:
                continue
            pixels, stage_s = [], {}
            for it in items:
                if it.rejection is None:
                    img = cv2.imdecode(np.frombuffer(next(iter(it.media.values())), np.uint8), cv2.IMREAD_REDUCED_COLOR_8)
                    pixels.append(img.shape[0] * img.shape[1] * 64 / 1e6)
                for stage, sec in it.seconds.items():
                    stage_s[stage] = stage_s.get(stage, 0.0) + sec
            out[name] = {"seconds": elapsed, "images_per_s": samples / elapsed, "samples": samples,
                         "kept": sum(it.rejection is None for it in items),
                         "megapixels": float(np.mean(pixels)) if pixels else 0.0,
                         "stage_ms": {k: round(1000 * v / samples, 2) for k, v in stage_s.items()}}
    for name, seconds in per_round.items():
        out[name]["rounds_s"] = seconds
    return out


def bare_render(recipe_name: str, samples: int, rounds: int) -> dict:
    """PyMuPDF alone on the same pages: replay the display list, render, PNG-encode."""
    import pymupdf

    from omnisynth.generators import make_generator
    from omnisynth.generators.documents.canvas import paint
    from omnisynth.schemas.recipe import load_recipe, parse_overrides
    from omnisynth.schemas.truth import SampleSpec

    recipe = load_recipe(recipe_name, parse_overrides(["degrade.preset=none"]))
    gen = make_generator(recipe)
    plans = [gen.plan(SampleSpec(recipe.name, recipe.seed, i, 0)) for i in range(samples)]
    best = None
    for _ in range(rounds):
        t = time.perf_counter()
        for plan in plans:
            doc = pymupdf.open()
            for cv in plan.pages:
                page = doc.new_page(width=cv.width, height=cv.height)
                paint(page, cv.ops)
                page.get_pixmap(dpi=recipe.generator.dpi, alpha=False).tobytes("png")
            doc.close()
        elapsed = time.perf_counter() - t
        best = elapsed if best is None else min(best, elapsed)
    return {"seconds": best, "images_per_s": samples / best}


def synthdog(command: str, samples: int) -> dict:
    """SynthDoG timed by `command N` (its own venv and a harness around donut's template; printing
    'images_per_s megapixels'), pinned to the same core as ours."""
    import shlex

    core = str(min(os.sched_getaffinity(0)))
    done = subprocess.run(["taskset", "-c", core, *shlex.split(command), str(samples)], capture_output=True,
                          text=True, timeout=3600)
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    rate, mp = map(float, done.stdout.split()[-2:])
    return {"images_per_s": rate, "megapixels": mp, "samples": samples}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=48)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--recipes", nargs="+", default=["doc_scan_qa", "handwriting_qa", "scene_text_qa"])
    ap.add_argument("--synthdog-cmd", default=None, help="a command printing SynthDoG's 'images/s megapixels' "
                                                           "for N images (N appended)")
    ap.add_argument("--synthdog-samples", type=int, default=20)
    args = ap.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core: the figures are per core
    import cv2

    cv2.setNumThreads(1)
    report: dict = {"cpu": os.cpu_count(), "per": "core", "recipes": {}}
    for name in args.recipes:
        variants = {"off": ["degrade.preset=none"], "on": []}
        if name == "doc_scan_qa":
            variants.update({preset: [f"degrade.preset={preset}"] for preset in ("scan", "photo")})
        timed = run_paths(name, variants, args.samples, args.rounds)
        off, on = timed.pop("off"), timed.pop("on")
        extra = timed
        if name == "doc_scan_qa":
            extra["bare_pymupdf_png"] = bare_render(name, args.samples, args.rounds)
        paired = sorted(a / b for a, b in zip(on["rounds_s"], off["rounds_s"], strict=False))  # on / off within each round
        row = {"off": off, "on": on, **extra, "on_over_off": on["seconds"] / off["seconds"],
               "on_over_off_per_round": paired, "on_over_off_median": statistics.median(paired),
               "on_vs_synthdog_measured": on["images_per_s"] / SYNTHDOG_MEASURED}
        report["recipes"][name] = row
        print(f"{name:16s} off {off['images_per_s']:6.2f} img/s ({off['megapixels']:.2f} MP)  "
              f"on {on['images_per_s']:6.2f} img/s ({on['megapixels']:.2f} MP)  on/off time {row['on_over_off']:.2f} "
              f"(best vs best; per round {', '.join(f'{r:.2f}' for r in paired)}: median "
              f"{row['on_over_off_median']:.2f})  vs SynthDoG 0.29 img/s: {row['on_vs_synthdog_measured']:.0f}x",
              flush=True)
        for key, val in extra.items():
            print(f"  {key:14s} {val['images_per_s']:6.2f} img/s" + (f" ({val['megapixels']:.2f} MP)"
                                                                       if "megapixels" in val else ""))
        print(f"  stage ms/sample off {off['stage_ms']}\n  stage ms/sample on  {on['stage_ms']}", flush=True)
    if args.synthdog_cmd:
        sd = report["synthdog"] = synthdog(args.synthdog_cmd, args.synthdog_samples)
        print("synthdog", sd)
        if "images_per_s" in sd:
            for name, row in report["recipes"].items():
                row["on_vs_synthdog_same_run"] = row["on"]["images_per_s"] / sd["images_per_s"]
                row["on_vs_synthdog_per_megapixel"] = (row["on"]["images_per_s"] * row["on"]["megapixels"]) / (
                    sd["images_per_s"] * sd["megapixels"])
                print(f"{name:16s} vs SynthDoG in this run: {row['on_vs_synthdog_same_run']:.1f}x images/s, "
                      f"{row['on_vs_synthdog_per_megapixel']:.1f}x megapixels/s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "degrade.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
