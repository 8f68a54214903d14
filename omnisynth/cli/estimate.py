"""`omnisynth estimate RECIPE --num-samples N`: a probe run, its measured cost, and the cost of N samples."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path


def add_parser(sub) -> None:
    s = sub.add_parser("estimate", help="run a small probe of a recipe and project its cost to --num-samples")
    s.add_argument("recipe", help="a bundled recipe name or a YAML file")
    s.add_argument("--num-samples", required=True, type=lambda v: v if v == "all" else int(v),
                   help="samples the real run will attempt ('all': every usable unit of your corpus)")
    s.add_argument("--probe", type=int, default=24, help="samples the probe runs (default 24)")
    s.add_argument("--out", help="keep the probe's output here (default: a temporary folder, removed)")
    s.add_argument("--tokens-per-s", type=float, help="model engines: generated tokens/s per GPU (bench/llm_bench.py)")
    s.add_argument("--node-cpus", type=int, help="CPUs per node of the cluster to size (default: this machine's)")
    s.add_argument("--node-gpus", type=int, default=1, help="GPUs per node (model engines)")
    s.add_argument("--hours", type=float, default=1.0, help="the wall time the suggested cluster should take")
    s.add_argument("--seed", type=int)
    s.add_argument("--engine", help="annotation engine: oracle | vllm | openai")
    s.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="override a recipe field")
    s.add_argument("--json", help="also write the estimate as JSON here")
    s.set_defaults(fn=cmd_estimate)


def cmd_estimate(args) -> int:
    from omnisynth.datasets.manifest import OutputMismatch
    from omnisynth.pipelines.estimate import estimate, format_estimate
    from omnisynth.schemas.recipe import RecipeError, load_recipe, parse_overrides

    try:
        overrides = parse_overrides(args.set or [])
        overrides += [("seed", args.seed)] if args.seed is not None else []
        overrides += [("model.engine", args.engine)] if args.engine is not None else []
        target = load_recipe(args.recipe, overrides + [("num_samples", args.num_samples)])
        probe = load_recipe(args.recipe, overrides + [("num_samples", args.probe)])
    except RecipeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="omnisynth-estimate-"))
    try:
        n = target.num_samples
        if n == "all":  # count the corpus's units the way the run will
            from omnisynth.datasets.store import as_store
            from omnisynth.pipelines.runner import count_samples, take_corpus_inventory

            n = count_samples(target, take_corpus_inventory(target, as_store(out))).num_samples
        result = estimate(probe, n, out, args.tokens_per_s, args.node_cpus, args.node_gpus, args.hours)
    except (OutputMismatch, RecipeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)
    print(format_estimate(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result.as_dict(), indent=1) + "\n")
    return 0
