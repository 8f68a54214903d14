"""GUI benchmarks, as ratios against a bare Playwright in the same run.

  python bench/gui_bench.py cost    [--samples 60]   per-sample cost at 1080p and 4K vs bare Playwright
  python bench/gui_bench.py memory  [--samples 1000] browser memory per worker over many samples
  python bench/gui_bench.py all

`cost`: for the same screens, (a) our per-sample path without Ray: plan and write the HTML,
show it in the warm locked-down browser, read the live DOM (roles, names, boxes, hit
tests), screenshot, write the question, run every filter including the live hit test;
(b) bare Playwright on the same Chromium: `set_content` of the same HTML and a PNG
`screenshot`, nothing else. The two alternate screen by screen, so machine noise falls on
both. Reported: screenshots/s per worker (1 / our per-sample time) and the ratio a/b,
render-only and whole path. Target <= 1.3.
`memory`: one worker renders `--samples` screens; the PSS (RSS where PSS is unreadable)
of the browser's process tree is sampled every 100 samples. Target: flat (the last
reading within 10% of the one at 100 samples).
Results go to bench/results/gui_*.json and stdout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _recipe(viewport, scale: float = 1.0, families=None):
    from omnisynth.schemas.recipe import load_recipe

    over = [("generator.viewports", [list(viewport)]), ("generator.scales", [scale])]
    if families:
        over.append(("generator.families", families))
    return load_recipe("gui_pro_grounding" if families == ["pro"] else "gui_grounding", over)


def bench_cost(samples: int, viewport, families=None) -> dict:
    from playwright.sync_api import sync_playwright

    from omnisynth.generators.gui.browser import chromium_path
    from omnisynth.pipelines.dag import build_stages
    from omnisynth.pipelines.stages import run_stages_locally
    from omnisynth.schemas.truth import SampleSpec, WorkItem

    recipe = _recipe(viewport, families=families)
    stages = build_stages(recipe, "/nonexistent")[:-1]  # render, annotate, filter (the writer is shared cost)
    gen = stages[0].generator
    specs = [SampleSpec(recipe.name, 0, i, 0) for i in range(samples)]
    pages = [gen.html(s, gen.plan(s)) for s in specs]
    ours_render, ours_all, bare, rejected = [], [], [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path())
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        for i, (spec, html) in enumerate(zip(specs, pages, strict=False)):
            t = time.perf_counter()
            page.set_content(html)
            page.screenshot(type="png")
            b = time.perf_counter() - t
            item = WorkItem(spec)
            t = time.perf_counter()
            run_stages_locally(stages[:1], [item])
            r = time.perf_counter() - t
            run_stages_locally(stages[1:], [item])
            a = time.perf_counter() - t
            if i >= 3:  # warm-up of both browsers excluded
                bare.append(b)
                ours_render.append(r)
                ours_all.append(a)
            if item.rejection:
                rejected[item.rejection.reason] = rejected.get(item.rejection.reason, 0) + 1
            assert not item.rejection or item.rejection.stage == "annotate", item.rejection  # only "nothing to ask"
        browser.close()
    gen.close()
    med = statistics.median
    return {"viewport": list(viewport), "families": families or "default", "samples": len(bare),
            "bare_ms": round(med(bare) * 1e3, 1), "ours_render_ms": round(med(ours_render) * 1e3, 1),
            "ours_all_ms": round(med(ours_all) * 1e3, 1),
            "ratio_render": round(sum(ours_render) / sum(bare), 3), "ratio_all": round(sum(ours_all) / sum(bare), 3),
            "screenshots_per_s_per_worker": round(len(ours_all) / sum(ours_all), 2), "rejected": rejected}


def browser_memory_mb() -> float:
    import psutil

    total = 0
    for proc in psutil.Process().children(recursive=True):
        try:
            mem = proc.memory_full_info()
            total += getattr(mem, "pss", 0) or mem.rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total / 2**20


def bench_memory(samples: int) -> dict:
    from omnisynth.pipelines.dag import build_stages
    from omnisynth.pipelines.stages import run_chain
    from omnisynth.schemas.truth import SampleSpec, WorkItem

    recipe = _recipe((1920, 1080))
    stages = build_stages(recipe, "/nonexistent")[:-1]
    readings, t0 = [], time.perf_counter()
    for start in range(0, samples, 100):
        run_chain(stages, [WorkItem(SampleSpec(recipe.name, 0, i, 0)) for i in range(start, min(samples, start + 100))])
        readings.append({"samples": min(samples, start + 100), "browser_mb": round(browser_memory_mb(), 1),
                         "seconds": round(time.perf_counter() - t0, 1)})
        print(json.dumps(readings[-1]), flush=True)
    launches = stages[0].generator.browser.launches
    stages[0].generator.close()
    first, last = readings[0]["browser_mb"], readings[-1]["browser_mb"]
    return {"samples": samples, "readings": readings, "growth": round(last / first - 1, 4), "browser_launches": launches}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["cost", "memory", "all"])
    ap.add_argument("--samples", type=int, default=None)
    args = ap.parse_args()
    RESULTS.mkdir(exist_ok=True)
    out = {}
    if args.what in ("cost", "all"):
        n = args.samples or 60
        out["cost"] = [bench_cost(n, (1920, 1080)), bench_cost(max(10, n // 3), (3840, 2160), ["pro"])]
        for row in out["cost"]:
            print(json.dumps(row), flush=True)
    if args.what in ("memory", "all"):
        out["memory"] = bench_memory(args.samples or 1000)
        print(json.dumps({k: v for k, v in out["memory"].items() if k != "readings"}), flush=True)
    (RESULTS / f"gui_{args.what}.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
