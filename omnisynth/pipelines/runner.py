"""Run a recipe into an output folder: resume what is there, stream the rest, assemble, report.

The driver never holds samples: it reads the write stage's status rows, counts each
shard's finished indices, and assembles a shard as soon as all of them are in. Killing
the run at any point loses at most unfinished parts; the same command resumes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from omnisynth.datasets.manifest import (build_manifest, claim_output, finished_shards, num_shards, shard_indices,
                                         write_manifest)
from omnisynth.datasets.shards import assemble_shard, part_paths, read_part_status, shard_name
from omnisynth.datasets.store import Store, as_store
from omnisynth.model.engines import prompt_hash
from omnisynth.generators.corpus import INVENTORY, Inventory, take_inventory
from omnisynth.quiet import ClusterWatch
from omnisynth.schemas.recipe import Recipe, RecipeError

RAY_STATS = "ray_data_stats.txt"


@dataclass
class RunSummary:
    recipe: Recipe  # as run: `num_samples: all` counted
    out: Store
    kept: int
    rejected: int
    rejected_by_reason: dict[str, int]
    stage_seconds: dict[str, float]
    shards: int
    bytes: int
    seconds: float
    processed: int  # samples processed by this invocation (not resumed ones)
    resumed_shards: int

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


class Progress:
    def __init__(self, total: int, done: int, stream: TextIO, interval: float):
        self.total, self.done, self.kept, self.rejected = total, done, 0, 0
        self.stream, self.interval = stream, interval
        self.start = self.last = time.monotonic()
        self.tty = stream.isatty()
        self.new = 0
        self.mark_at = max(1, (total - done) // 5)  # steady rate: from the 20% point of this run's samples
        self.mark_time = self.latest = 0.0
        self.cpus = 0.0

    def steady_rate(self) -> float:
        """Samples/s over the last 80% of this run's samples: start-up and warm-up excluded."""
        span = self.latest - self.mark_time
        return (self.new - self.mark_at) / span if self.new >= 10 and span > 0 else 0.0

    def update(self, status: str, shards_done: int, shards: int, force: bool = False) -> None:
        now = time.monotonic()
        if status:
            self.new += 1
            self.done += 1
            self.kept += status == "kept"
            self.rejected += status != "kept"
            self.latest = now
            if self.new == self.mark_at:
                self.mark_time = now
        if not force and now - self.last < self.interval:
            return
        self.last = now
        rate = self.new / max(now - self.start, 1e-9)
        line = (f"{self.done}/{self.total} samples  kept {self.kept}  rejected {self.rejected}  "
                f"{rate:.1f} samples/s  shards {shards_done}/{shards}")
        self.stream.write(("\r" + line + "  ") if self.tty else line + "\n")
        self.stream.flush()


def run(recipe: Recipe, out: Store | Path | str, stream: TextIO | None = None) -> RunSummary:
    """Generate `recipe` into `out` (a folder or a pyarrow filesystem URI), resuming what a previous run finished."""
    stream = stream or sys.stderr  # looked up per call: the stream may be replaced after import
    t0 = time.monotonic()
    out = as_store(out)
    inventory, extra = None, {}
    if recipe.family().probe is not None:  # a corpus family: probe the user's files once, here on the driver
        inventory = take_corpus_inventory(recipe, out)
        recipe = count_samples(recipe, inventory)
        extra["corpus"] = inventory.fingerprint()
        stream.write(inventory.summary(f"{out}/{INVENTORY}"))
    if recipe.filters.decontaminate.sources:  # the benchmarks' index, built (or found) once here on the driver
        from omnisynth.filters.decontaminate import prepare

        try:
            indexed = prepare(recipe)
        except ValueError as exc:  # a file that is not the benchmark's records: refused before any sample
            raise RecipeError(f"recipe {recipe.name}: filters.decontaminate.sources: {exc}") from None
        stream.write("decontaminate: " + ", ".join(f"{b} ({n['texts']} texts, {n['images']} images)"
                                                   for b, n in indexed.items()) + "\n")
    if recipe.model.engine == "openai":  # an endpoint that is down stops the run before any work
        from omnisynth.model.engines import make_engine

        make_engine(recipe).check()
    lock = claim_output(out, recipe, extra)
    try:
        if inventory is not None:
            out.write_text(INVENTORY, inventory.jsonl())
            if not inventory.units:
                raise RecipeError(f"generator.path {recipe.generator.path}: no usable file among "
                                  f"{len(inventory.entries)} (each one's reason is in {out}/{INVENTORY})")
        records, progress, resumed, ray_stats = _generate(recipe, out, inventory, stream)
        processed = progress.new
        energon = _energon(out, recipe, records)
        seconds = time.monotonic() - t0
        run_info = {"seconds": round(seconds, 3), "processed": processed, "resumed_shards": resumed,
                    "steady_samples_per_s": round(progress.steady_rate(), 3), "cpus": progress.cpus,
                    "energon": energon}
        if ray_stats:  # Ray Data's own per-operator timing of this invocation: which stage bounds throughput
            out.write_text(RAY_STATS, ray_stats + "\n")
            run_info["ray_data_stats"] = RAY_STATS
        manifest = build_manifest(recipe, list(records.values()), run_info, prompt_hash(recipe))
        write_manifest(out, manifest)
    finally:
        lock.close()
    return RunSummary(recipe, out, manifest.kept, manifest.rejected, manifest.rejected_by_reason, manifest.stage_seconds,
                      len(manifest.shards),
                      sum(r.bytes for r in manifest.shards), seconds, processed, resumed)


def take_corpus_inventory(recipe: Recipe, out: Store) -> Inventory:
    """Probe every file of the recipe's corpus (omnisynth.generators.corpus); an earlier run of the same
    configuration into `out` lends its inventory lines for files that did not change."""
    from functools import partial

    previous = None
    try:
        if json.loads(out.read_text("run.json")).get("config_hash") == recipe.config_hash():
            previous = out.read_text(INVENTORY)
    except (FileNotFoundError, ValueError):
        pass
    fam, gen = recipe.family(), recipe.generator
    return take_inventory(gen.path, partial(fam.load("probe"), gen), recipe.seed, gen.max_per_file, fam.unit_name(gen), previous)


def count_samples(recipe: Recipe, inventory: Inventory) -> Recipe:
    """`num_samples: all` -> the corpus's usable units; more samples than units with `max_per_file` set is refused."""
    if recipe.num_samples == "all":
        return recipe.model_copy(update={"num_samples": max(inventory.units, 1)})
    if recipe.generator.max_per_file and recipe.num_samples > inventory.units:
        raise RecipeError(f"num_samples {recipe.num_samples}: the corpus has {inventory.units} usable units with "
                          f"generator.max_per_file={recipe.generator.max_per_file} ({inventory.usable_files} files); "
                          "lower num_samples, use --num-samples all, or raise max_per_file")
    return recipe


def _generate(recipe: Recipe, out: Store, catalog, stream: TextIO):
    """Resume, stream the remaining samples through Ray Data, assemble shards as they finish."""
    import ray

    from omnisynth.pipelines.dag import build_dataset, build_stages, ensure_ray, work_units

    done = finished_shards(out)
    finished_names = {shard_name(s) for s in done}
    for folder in out.folders("staging"):  # a run killed between a shard's commit and its cleanup
        if folder in finished_names:
            out.delete_dir(f"staging/{folder}")
    total_shards = num_shards(recipe)
    remaining: dict[int, list[int]] = {}
    progress_by_shard: dict[int, set[int]] = {}
    for shard in range(total_shards):
        if shard in done:
            continue
        finished = {rec["index"] for p in part_paths(out, shard) for rec in _status_or_drop(out, p)}
        expected = set(shard_indices(shard, recipe))
        progress_by_shard[shard] = finished & expected
        todo = sorted(expected - finished)
        if todo:
            remaining[shard] = todo
    resumed = len(done)
    already = sum(len(shard_indices(s, recipe)) for s in done) + sum(len(v) for v in progress_by_shard.values())
    progress = Progress(recipe.num_samples, already, stream, recipe.runtime.progress_interval_s)
    records = dict(done)
    ray_stats = ""
    retry = 0

    started = ensure_ray(recipe)
    address = os.environ.get("RAY_ADDRESS")
    watch = ClusterWatch(address, recipe.runtime.connect_timeout_s).start() if started and address else None
    node = ray.get_runtime_context().get_node_id()
    progress.cpus = float(ray.cluster_resources().get("CPU", 0))  # what the run had (omnisynth estimate)
    try:
        for shard in [s for s in progress_by_shard if s not in remaining]:  # complete in parts already
            records[shard] = assemble_shard(out, shard, set(shard_indices(shard, recipe)), node)
        if remaining:
            stages = build_stages(recipe, out, catalog)
            ds = build_dataset(recipe, work_units(remaining, recipe.runtime.rows_per_task), stages)
            for batch in _batches(ds):
                for shard, index, status in zip(batch["shard"], batch["index"], batch["status"], strict=False):
                    if status == "retry":
                        retry += 1
                        continue
                    shard = int(shard)
                    seen = progress_by_shard[shard]
                    seen.add(int(index))
                    if len(seen) == len(shard_indices(shard, recipe)):
                        records[shard] = assemble_shard(out, shard, seen, node)
                    progress.update(str(status), len(records), total_shards)
            ray_stats = ds.stats()
        lost = [s for s in range(total_shards) if s not in records]
        if lost:
            why = f" ({retry} samples could not reach the model endpoint)" if retry else ""
            raise RuntimeError(f"shards {lost[:5]} did not finish{why}; rerun the same command to resume")
        if recipe.filters.dedup.screens:
            from omnisynth.datasets.dedup import drop_duplicate_screens

            records = drop_duplicate_screens(out, records)
        if recipe.filters.dedup.text or recipe.filters.dedup.images:
            from omnisynth.datasets.dedup import drop_near_duplicates, signature_shards
            from omnisynth.pipelines.dag import near_duplicates

            shards = signature_shards(out, records)
            if shards:
                found = near_duplicates(out, shards, recipe.filters.dedup)
                records = drop_near_duplicates(out, records, shards, found)
    finally:
        if watch is not None:
            watch.stop()
        if started:
            ray.shutdown()
    progress.update("", len(records), total_shards, force=True)
    if progress.tty:
        stream.write("\n")
    return records, progress, resumed, ray_stats


def _batches(ds):
    """The write stage's status batches; a model endpoint that went down surfaces as EndpointDown."""
    from omnisynth.model.openai_client import EndpointDown

    try:
        yield from ds.iter_batches(batch_size=None, batch_format="numpy")
    except Exception as exc:
        cause = exc
        while cause is not None:
            if isinstance(cause, EndpointDown):
                raise EndpointDown(str(cause).splitlines()[-1] if str(cause) else "model endpoint down") from None
            cause = cause.__cause__ or getattr(cause, "cause", None)
        for line in str(exc).splitlines():  # Ray may carry only the remote error's text
            if "EndpointDown:" in line:
                raise EndpointDown(line.split("EndpointDown:", 1)[1].strip()) from None
        raise


def _energon(out: Store, recipe: Recipe, records: dict) -> str:
    """Index the finished shards for Megatron-Energon when it is installed; say what was done."""
    from omnisynth.datasets.energon import prepare_if_available

    if not any(r.samples for r in records.values()):
        return "skipped: no samples"
    if not out.local:
        return ("skipped: object-store output (Energon indexes a folder: run `omnisynth energon DIR` "
                "on a synced or mounted copy)")
    return prepare_if_available(out.path, recipe.model_dump(mode="json"), recipe.output.split)


def _status_or_drop(out: Store, rel: str) -> list[dict]:
    """A part's status records; a part that cannot be read (cut off by a crash) is removed."""
    try:
        return read_part_status(out, rel)
    except Exception:  # a torn part is redone, never trusted
        out.delete(rel)
        return []


def format_summary(recipe: Recipe, s: RunSummary) -> str:
    lines = [f"omnisynth run {recipe.name}: {s.kept + s.rejected} samples, {s.processed} processed now in "
             f"{s.seconds:.1f} s ({s.rate:.2f} samples/s)" + (f", {s.resumed_shards} shards resumed" if s.resumed_shards else ""),
             f"  kept      {s.kept}", f"  rejected  {s.rejected}"]
    width = max((len(r) for r in s.rejected_by_reason), default=0)
    lines += [f"    {reason:<{width}}  {n}" for reason, n in s.rejected_by_reason.items()]
    total = sum(s.stage_seconds.values())
    if total > 0:
        lines.append("  worker time by stage: " + ", ".join(
            f"{stage} {100 * t / total:.0f}%" for stage, t in sorted(s.stage_seconds.items(), key=lambda kv: -kv[1])))
    lines += [f"  output    {s.out}/shards ({s.shards} shards, {s.bytes / 1e6:.1f} MB)",
              f"  manifest  {s.out}/manifest.json", f"  quarantine {s.out}/quarantine"]
    return "\n".join(lines)


def run_plan(plan, recipes: list, out, stream: TextIO | None = None) -> dict:
    """Run a gap plan (`omnisynth.gap.plan.load_plan`): every part into `out/parts/NAME` (each
    resumable on its own), then write `out/gap.json` mapping parts to the categories they target."""
    stream = stream or sys.stderr  # looked up per call: the stream may be replaced after import
    store = as_store(out)
    parts = []
    for part, recipe in zip(plan.parts, recipes, strict=False):
        stream.write(f"== part {part.name}: {part.num_samples} samples of {part.recipe} for {part.category}\n")
        summary = run(recipe, store.child(f"parts/{part.name}"), stream)
        parts.append({"name": part.name, "category": part.category, "recipe": part.recipe, "set": part.set,
                      "num_samples": part.num_samples, "kept": summary.kept, "rejected": summary.rejected,
                      "folder": f"parts/{part.name}", "why": part.why, "stats": part.stats})
    kept = sum(p["kept"] for p in parts)
    report = {"plan": plan.name, "benchmark": plan.benchmark, "taxonomy_version": plan.taxonomy_version,
              "results": plan.results, "budget": plan.budget, "kept": kept,
              "kept_by_category": {p["category"]: p["kept"] for p in parts},
              "share_by_category": {p["category"]: round(p["kept"] / kept, 4) if kept else 0.0 for p in parts},
              "parts": parts, "unmapped": plan.unmapped,
              "keys": "a sample key starts with its part name (NAME-s<seed>-<index>), which is also its provenance.recipe"}
    store.write_text("gap.json", json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return report
