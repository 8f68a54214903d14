"""The closed loop on our own tiny model: eval -> gap -> regenerate -> continue training -> eval,
against an equal-size untargeted mix.

  python bench/gap_loop.py [--work DIR] [--budget 160] [--base-steps 150] [--steps 150] [--min-error 0.5] [--replay 1]

1. Data: `av_temporal_qa` for training (--train-samples) and a separate evaluation set (another
   seed, --eval-samples); a base model: the omni_tiny model trained on the training data alone.
2. `omnisynth eval` of the base on the evaluation set -> per-sample rows -> `omnisynth gap`
   (benchmark `omnisynth`) -> a plan of --budget samples aimed at the weak question types,
   run into parts.
3. The same --budget of untargeted samples (the recipe's default mix, another seed).
4. Two continuations of the base, identical but for the new data (each replays the base's
   training data with weight --replay against the new data's 1): targeted vs untargeted;
   both evaluated on the same set.
Reports each weak category's accuracy before and after under both, and overall accuracy.
Results go to bench/results/gap_loop.json and stdout. Everything is real: Ray, ffmpeg,
espeak-ng, the trainer; expect about 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
RECIPE = "av_temporal_qa"


def by_task(rows_file: Path) -> dict[str, tuple[int, float]]:
    acc: dict[str, list[float]] = defaultdict(list)
    for line in rows_file.read_text().splitlines():
        r = json.loads(line)
        acc[r["task"]].append(r["correct"])
        acc["all"].append(r["correct"])
    return {k: (len(v), sum(v) / len(v)) for k, v in acc.items()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/omnisynth-gap-loop")
    ap.add_argument("--train-samples", type=int, default=192)
    ap.add_argument("--eval-samples", type=int, default=160)
    ap.add_argument("--budget", type=int, default=160)
    ap.add_argument("--base-steps", type=int, default=150)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--replay", type=float, default=1.0,
                    help="weight of the base's training data in the continuation (the new data has weight 1; 0: none)")
    ap.add_argument("--min-error", type=float, default=0.5,
                    help="weak: the error rate's 95%% interval starts at least here (omnisynth gap --min-error)")
    args = ap.parse_args()
    import ray

    from omnisynth.gap.plan import load_plan, make_plan, plan_yaml
    from omnisynth.pipelines.runner import run_plan
    from omnisynth.gap.results import per_category, read_results
    from omnisynth.train.evaluate import evaluate
    from omnisynth.train.curriculum import load_curriculum
    from omnisynth.train.trainer import Trainer
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    work = Path(args.work)
    data = work / "data"
    ray.init(num_cpus=2, include_dashboard=False)
    for name, n, seed in (("train", args.train_samples, 0), ("eval", args.eval_samples, 9),
                          ("untargeted", args.budget, 1)):
        if not (data / name / "manifest.json").is_file():
            run(load_recipe(RECIPE, [("num_samples", n), ("seed", seed)]), data / name)

    base_stages = yaml.safe_load((ROOT / "omnisynth/train/curricula/omni_tiny.yaml").read_text())

    def stage_file(path: Path, stages: list[dict], **top) -> str:
        path.write_text(yaml.safe_dump({**base_stages, "heldout": 0.0, "save_every": 10 ** 6, **top, "stages": stages}))
        return str(path)

    def sft(name: str, sources: dict[str, float], steps: int) -> dict:
        return {"name": name, "objective": "sft", "data": [{"path": p, "weight": w} for p, w in sources.items()],
                "steps": steps, "batch_size": 8, "seq_len": 192,
                "lr": {"peak": 2e-3, "warmup": 5, "schedule": "cosine", "min_ratio": 0.1}}

    ckpt = work / "base"
    Trainer(load_curriculum(stage_file(work / "base.yaml", [sft("base", {"train": 1.0}, args.base_steps)])),
            ckpt, data, quiet=True).run()
    base = ckpt / "01-base"
    rows = work / "base_eval.jsonl"
    evaluate(base, ["eval"], split="all", base=data, results=rows, max_new_tokens=24)
    before = by_task(rows)

    stats = per_category(read_results(rows, "omnisynth"))
    plan = make_plan(stats, "omnisynth", args.budget, base=RECIPE, seed=3, min_error=args.min_error)
    import shutil

    for derived in (data / "targeted", work / "targeted", work / "untargeted"):  # made anew each run
        shutil.rmtree(derived, ignore_errors=True)
    (work / "plan.yaml").write_text(plan_yaml(plan, 0.05, 0.05))
    loaded, recipes = load_plan(str(work / "plan.yaml"))
    report = run_plan(loaded, recipes, data / "targeted")
    weak = [p.category for p in plan.parts if p.category != "general"]
    parts = {f"targeted/{p['folder']}": p["kept"] for p in report["parts"] if p["kept"]}

    after = {}
    for arm, sources in (("targeted", parts), ("untargeted", {"untargeted": args.budget})):
        new = sum(sources.values())
        mix = {k: v / new for k, v in sources.items()}          # the new data, weight 1 in all
        if args.replay:
            mix["train"] = args.replay                           # and the base's data replayed
        out = work / arm
        Trainer(load_curriculum(stage_file(work / f"{arm}.yaml", [sft(arm, mix, args.steps)], init=str(base))),
                out, data, quiet=True).run()
        arm_rows = work / f"{arm}_eval.jsonl"
        evaluate(out / f"01-{arm}", ["eval"], split="all", base=data, results=arm_rows, max_new_tokens=24)
        after[arm] = by_task(arm_rows)

    result = {"recipe": RECIPE, "budget": args.budget, "base_steps": args.base_steps, "steps": args.steps,
              "min_error": args.min_error, "replay": args.replay,
              "weak": weak, "plan": [{"category": p.category, "samples": p.num_samples} for p in plan.parts],
              "before": before, "after": after}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gap_loop.json").write_text(json.dumps(result, indent=2))
    print(f"plan: {', '.join(f'{p.category} {p.num_samples}' for p in plan.parts)}")
    print(f"{'category':<34}{'n':>5}{'base':>8}{'targeted':>10}{'untargeted':>12}")
    for cat in [*weak, *sorted(k for k in before if k not in weak and k != "all"), "all"]:
        n, b = before.get(cat, (0, 0.0))
        t, u = after["targeted"].get(cat, (0, 0.0))[1], after["untargeted"].get(cat, (0, 0.0))[1]
        mark = "  <- weak, targeted" if cat in weak else ""
        print(f"{cat:<34}{n:>5}{b:>8.3f}{t:>10.3f}{u:>12.3f}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
