"""Recipe -> stage list -> one Ray Data pipeline. With `vllm.py`, the only module that calls Ray Data.

The stage list is built by appending stages from the recipe; `build_dataset` turns it
into `map_batches` calls over a dataset of work units (a shard's remaining indices, a few
at a time), so Ray Data streams, back-pressures and retries; the driver only reads the
small status rows the write stage emits.
"""

from __future__ import annotations

import logging
import os
import pickle

import numpy as np

from omnisynth.pipelines.stages import (AnnotateStage, CallStage, DegradeStage, FilterStage, PairStage, ParseStage,
                                       PromptStage, RenderStage, Resources, Stage, StageChain, WriteStage)
from omnisynth.schemas.recipe import Recipe
from omnisynth.schemas.truth import SampleSpec, WorkItem


def build_stages(recipe: Recipe, out, catalog=None) -> list[Stage]:
    from omnisynth.filters.base import make_filters
    from omnisynth.generators import make_generator
    from omnisynth.model.engines import make_engine

    generator = make_generator(recipe, catalog)
    engine = make_engine(recipe)
    filters = make_filters(recipe, generator)  # GUI filters hit-test the live page
    # the recipe's resources, for every stage (the vLLM stage declares its own: pipelines/vllm.py);
    # a generator with a warm browser puts the whole chain in its actors
    mb = recipe.runtime.memory_per_task_mb
    res = Resources(num_cpus=recipe.runtime.cpus_per_task, memory=mb * 2**20 if mb else None,
                    actor=generator.needs_actor)
    stages: list[Stage] = [RenderStage(generator, resources=res)]
    if recipe.degrade.enabled:  # before any question is written: the model sees the captured image
        stages.append(DegradeStage(recipe.degrade, resources=res))
    if engine.name == "oracle":
        stages += [AnnotateStage(engine, resources=res), FilterStage(filters, resources=res)]
    else:
        stages += [PromptStage(engine, resources=res), CallStage(engine, resources=res),
                   ParseStage(engine, resources=res), FilterStage(filters, resources=res)]
        if recipe.model.preference_pairs:
            stages.append(PairStage(engine, filters, resources=res))
        if engine.judge is not None:
            stages += [PromptStage(engine, "judge", resources=res), CallStage(engine, "judge", resources=res),
                       ParseStage(engine, "judge", resources=res)]
    dedup = recipe.filters.dedup
    stages.append(WriteStage(out, dedup if dedup.text or dedup.images else None, resources=res))
    return stages


def work_units(remaining: dict[int, list[int]], rows_per_task: int) -> list[dict]:
    """Split each shard's remaining indices into units of at most `rows_per_task`."""
    units = []
    for shard, indices in sorted(remaining.items()):
        for i in range(0, len(indices), rows_per_task):
            units.append({"shard": shard, "indices": indices[i:i + rows_per_task]})
    return units


class ExpandUnit:
    """A work unit -> one row per sample, carrying a fresh pickled WorkItem."""

    def __init__(self, recipe: str, seed: int):
        self.recipe, self.seed = recipe, seed

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        shards, indices, items = [], [], []
        for shard, unit in zip(batch["shard"], batch["indices"], strict=False):
            for index in unit:
                spec = SampleSpec(self.recipe, self.seed, int(index), int(shard))
                shards.append(int(shard))
                indices.append(int(index))
                items.append(pickle.dumps(WorkItem(spec), protocol=5))
        return {"shard": np.array(shards, dtype=np.int64), "index": np.array(indices, dtype=np.int64),
                "item": np.array(items, dtype=object)}


def chains(stages: list[Stage]) -> list[StageChain]:
    """Group consecutive stages with equal resources into one map each."""
    groups: list[list[Stage]] = []
    for stage in stages:
        last = groups[-1][-1] if groups else None
        if last is not None and not (last.external or stage.external) and \
                last.resources == stage.resources:
            groups[-1].append(stage)
        else:
            groups.append([stage])
    return [StageChain(g) for g in groups]


class ActorChain:
    """A stage chain in a Ray actor that lives for the whole run: heavy state (a browser) stays warm.

    It expands work units itself, so no task needs a CPU beside the actors (on a small node an
    actor pool holding every CPU would otherwise starve the tasks that feed it).
    """

    def __init__(self, chain: StageChain, expand: ExpandUnit | None = None):
        self.chain, self.expand = chain, expand

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self.chain(self.expand(batch) if self.expand else batch)


def actor_pool_size(recipe: Recipe, units: int, cpus_per_actor: float) -> int:
    """runtime.workers, else as many actors as the cluster's CPUs hold; never more than units."""
    import ray

    if recipe.runtime.workers:
        size = recipe.runtime.workers
    else:
        size = max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_actor))
    return max(1, min(size, units))


def build_dataset(recipe: Recipe, units: list[dict], stages: list[Stage]):
    """Units -> expand -> stage chains, fused by Ray Data into one task per unit.

    Every map runs on whole blocks (batch_size=None) with the stages' resources, so Ray
    Data fuses them and never bundles two units into one task: a unit (rows_per_task
    samples) is the grain of parallelism and of retries. Stages that keep a browser warm
    run as one chain in a fixed pool of actors, each taking whole units.
    """
    import ray.data

    ds = ray.data.from_items(units, override_num_blocks=max(1, len(units)))
    first = stages[0]
    todo = chains(stages)
    if todo[0].actor:
        head = todo.pop(0)
        size = actor_pool_size(recipe, len(units), first.num_cpus)
        ds = ds.map_batches(ActorChain, fn_constructor_kwargs={"chain": head, "expand": ExpandUnit(recipe.name, recipe.seed)},
                            compute=ray.data.ActorPoolStrategy(size=size), batch_size=None, num_cpus=first.num_cpus,
                            memory=first.memory, batch_format="numpy", zero_copy_batch=False)
    else:
        ds = ds.map_batches(ExpandUnit(recipe.name, recipe.seed), batch_size=None, num_cpus=first.num_cpus,
                            memory=first.memory)
    for chain in todo:
        head = chain.stages[0]
        if head.external:  # the model call: vLLM engine replicas inside the pipeline (ray.data.llm)
            from omnisynth.pipelines.vllm import apply_vllm

            ds = apply_vllm(ds, recipe, head.engine, head.purpose)
            continue
        ds = ds.map_batches(chain, batch_size=None, num_cpus=head.num_cpus, memory=head.memory, batch_format="numpy",
                            zero_copy_batch=False)
    return ds


def ensure_ray(recipe: Recipe) -> bool:
    """Start a local Ray on loopback (or join RAY_ADDRESS's cluster) unless one is up; True if we started it.

    Without RAY_ADDRESS the run gets a Ray of its own (`address="local"`: never the latest
    cluster started on the machine, which Ray's default lookup would join) whose processes
    listen on 127.0.0.1 only. A loopback RAY_ADDRESS makes the driver take 127.0.0.1 as its
    node address too. Neither Ray nor a vLLM engine it hosts reports usage
    (omnisynth/quiet.py). Raises ClusterUnreachable when RAY_ADDRESS does not answer.
    """
    import ray
    from ray.data import DataContext

    from omnisynth.quiet import ClusterUnreachable, loopback_ray, prepare_join, quiet

    for name in ("ray", "ray.data", "ray._private"):
        logging.getLogger(name).setLevel(logging.WARNING)
    quiet()
    if ray.is_initialized():
        started = False
    else:
        kwargs = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": True}
        address = os.environ.get("RAY_ADDRESS")
        if address:
            prepare_join(address, recipe.runtime.connect_timeout_s)
        else:
            loopback_ray()
            kwargs["address"] = "local"
            if recipe.runtime.num_cpus:
                kwargs["num_cpus"] = recipe.runtime.num_cpus
        try:
            ray.init(**kwargs)
        except ConnectionError as exc:  # it answers but will not take us: most often a token the driver lacks
            if not address:
                raise
            raise ClusterUnreachable(
                f"RAY_ADDRESS={address}: the cluster answers but refused this driver ({str(exc)[:300]}); a cluster "
                "with token authentication needs RAY_AUTH_MODE=token and its token here (README: Loopback only, "
                "and quiet)") from None
        started = True
    ctx = DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    return started


def near_duplicates(out, shards: list[int], cfg) -> dict[str, tuple[str, str, str]]:
    """key -> (reason, original key, detail) for every sample with a lower-index near-duplicate.

    Signatures are bucketed (MinHash bands, pHash prefixes: `omnisynth.datasets.dedup`) and each
    bucket compared in a Ray Data groupby; of near-duplicates the lowest index stays.
    """
    import ray.data

    from omnisynth.datasets.dedup import bucket_rows, group_pairs

    conf = cfg.model_dump()
    ds = ray.data.from_items([{"shard": s} for s in shards], override_num_blocks=max(1, min(len(shards), 64)))
    ds = ds.flat_map(bucket_rows, fn_kwargs={"out": out, "cfg": conf})
    partitions = max(1, min(200, len(shards)))  # Ray's default of 200 hash partitions is for large runs
    ds = ds.groupby("bucket", num_partitions=partitions).map_groups(group_pairs, fn_kwargs={"cfg": conf},
                                                                    batch_format="numpy")
    found: dict[str, tuple] = {}
    for batch in ds.iter_batches(batch_size=1024, batch_format="numpy"):
        for key, reason, orig, oidx, score in zip(batch["key"], batch["reason"], batch["original"],
                                                  batch["original_index"], batch["score"], strict=False):
            best = found.get(key)
            if best is None or int(oidx) < best[2]:
                what = f"Jaccard {score:.2f}" if reason.endswith("text") else f"pHash distance {int(score)} bits"
                found[str(key)] = (str(reason), str(orig), int(oidx), f"{what} with {orig}")
    return {k: (r, o, d) for k, (r, o, _, d) in found.items()}
