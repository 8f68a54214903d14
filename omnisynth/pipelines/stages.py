"""Pipeline stages: small picklable classes that do one thing to a batch of work items.

A stage declares its name, columns and resources (a `Resources` value given when it is
built: the CPUs and memory Ray reserves per task, and whether it runs in long-lived actors),
loads heavy state in `setup()` on the worker, and maps a list of `WorkItem`s (the pattern of
NeMo Curator's stages). Stages know nothing of Ray: `dag.py` is the
one place that turns them into Ray Data calls, and tests run them on plain lists.
Between stages an item travels pickled in the `item` column (our own code on both ends).
"""

from __future__ import annotations

import functools
import json
import pickle
import time

from dataclasses import dataclass

import numpy as np

from omnisynth.datasets.shards import write_part
from omnisynth.datasets.store import as_store
from omnisynth.filters.base import run_filters
from omnisynth.schemas.truth import WorkItem

ROW_COLUMNS = ("shard", "index", "item")
# failures that say nothing about the sample (the model endpoint could not be reached): never
# written as finished, so a rerun retries them instead of keeping them quarantined
RETRY_LATER = {"model_unavailable"}


@dataclass(frozen=True)
class Resources:
    """What one task of a stage reserves, and how it runs: `num_cpus` logical CPUs, `memory`
    bytes (None: no reservation), `actor`: in a pool of long-lived Ray actors (a warm browser)
    instead of tasks. Stages with equal resources run as one Ray Data map (`dag.chains`)."""

    num_cpus: float = 1.0
    memory: int | None = None
    actor: bool = False


class Stage:
    name = "stage"
    reads: tuple[str, ...] = ROW_COLUMNS
    writes: tuple[str, ...] = ROW_COLUMNS
    per_item: bool = False  # items go through the chain one at a time (a live page per item)
    batch_only: bool = False  # runs once on the whole batch, after the per-item stages
    external: bool = False  # done outside our stage maps (the vLLM engine stage that dag.py inserts)

    def end_batch(self) -> None:
        """Release what the batch held (an open page); called after each batch."""

    def __init__(self, resources: Resources | None = None) -> None:
        self.resources = resources or Resources()
        self._ready = False

    @property
    def num_cpus(self) -> float:
        return self.resources.num_cpus

    @property
    def memory(self) -> int | None:
        return self.resources.memory

    @property
    def actor(self) -> bool:
        return self.resources.actor

    def setup(self) -> None:
        """Load heavy state (a browser, a model) once per worker process."""

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        return items

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return StageChain([self])(batch)

    def encode(self, items: list[WorkItem]) -> dict[str, np.ndarray]:
        return {**_ids(items), "item": np.array([pickle.dumps(it, protocol=5) for it in items], dtype=object)}


class StageChain:
    """Consecutive stages run as one Ray Data map: items are unpickled once and pickled once.

    `dag.py` chains stages that share resources and compute strategy, so a batch of work
    items crosses the object store only where the pipeline changes workers.
    """

    def __init__(self, stages: list[Stage]):
        self.stages = stages
        self.name = "+".join(s.name for s in stages)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        first = self.stages[0]
        missing = [c for c in first.reads if c not in batch]
        if missing:
            raise KeyError(f"stage {first.name!r} needs columns {missing}; the batch has {sorted(batch)}")
        items = [pickle.loads(b) for b in batch["item"]]
        return self.stages[-1].encode(run_chain(self.stages, items))

    @property
    def actor(self) -> bool:
        return self.stages[0].actor


class RenderStage(Stage):
    """spec -> media + ground truth. Bad input (or a generator bug) rejects one item, with why."""

    name = "render"

    def __init__(self, generator, resources: Resources | None = None):
        super().__init__(resources)
        self.generator = generator
        self.per_item = generator.needs_actor  # a live page per item: filters hit-test it

    def end_batch(self) -> None:
        self.generator.release()

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        from omnisynth.generators.errors import GroundTruthError, InputError

        for item in items:
            item.source = self.generator.source(item.spec)
            try:
                item.media, item.truth = self.generator.render(item.spec)
            except InputError as exc:
                item.reject(self.name, exc.reason, str(exc))
            except GroundTruthError as exc:
                item.reject(self.name, "ground_truth_mismatch", str(exc))
            except Exception as exc:  # one bad sample must not end the run: quarantine it with the error
                item.reject(self.name, "render_error", f"{type(exc).__name__}: {exc}")
            item.log(self.name)
        return items


class DegradeStage(Stage):
    """media + ground truth -> the same, as captured: scanned, photographed, screenshotted (omnisynth.degrade)."""

    name = "degrade"

    def __init__(self, config, resources: Resources | None = None):
        super().__init__(resources)
        self.config = config

    def setup(self) -> None:
        import cv2

        from omnisynth.degrade import Degrader

        cv2.setNumThreads(max(1, int(self.num_cpus)))  # the task's CPUs, not every core of the node
        self.degrader = Degrader(self.config)

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        for item in items:
            if item.rejection is not None:
                continue
            try:
                item.media, item.truth = self.degrader.apply(item.spec, item.media, item.truth)
            except Exception as exc:  # one bad image must not end the run: quarantine it with the error
                item.reject(self.name, "degrade_error", f"{type(exc).__name__}: {exc}")
            item.log(self.name)
        return items


class AnnotateStage(Stage):
    """ground truth -> candidate sample, written by the recipe's engine."""

    name = "annotate"

    def __init__(self, engine, resources: Resources | None = None):
        super().__init__(resources)
        self.engine = engine

    def setup(self) -> None:
        self.engine.setup()

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        todo = [it for it in items if it.rejection is None]
        self.engine.annotate(todo)
        for item in todo:
            item.log(self.name)
        return items


class PromptStage(Stage):
    """Model engines: ground truth (annotate) or a kept sample (judge) -> the request to send."""

    def __init__(self, engine, purpose: str = "annotate", resources: Resources | None = None):
        super().__init__(resources)
        self.engine, self.purpose = engine, purpose
        self.name = "prompt" if purpose == "annotate" else "judge_prompt"

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        live = [it for it in items if it.rejection is None]
        self.engine.prompt(live, self.purpose)
        if self.purpose == "annotate":
            for item in live:
                item.log("annotate")
        return items


class CallStage(Stage):
    """The model call. `openai` sends here, over HTTP; for `vllm`, dag.py puts a ray.data.llm stage in its place."""

    llm = True

    def __init__(self, engine, purpose: str = "annotate", resources: Resources | None = None):
        super().__init__(resources)
        self.engine, self.purpose = engine, purpose
        self.external = engine.name == "vllm"  # ray.data.llm's engine stage takes its place (its own resources)
        self.name = "model" if purpose == "annotate" else "judge_model"

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        self.engine.send([it for it in items if it.rejection is None and it.request is not None])
        return items


class ParseStage(Stage):
    """Model replies -> candidate samples (or judge verdicts); unusable replies reject with their reason."""

    def __init__(self, engine, purpose: str = "annotate", resources: Resources | None = None):
        super().__init__(resources)
        self.engine, self.purpose = engine, purpose
        self.name = "parse" if purpose == "annotate" else "judge"

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        live = [it for it in items if it.rejection is None and it.request is not None]
        self.engine.parse(live)
        for item in live:
            if self.purpose == "annotate":
                item.log(self.name)
            elif item.rejection and not any(name == "judge" for name, _, _ in item.filter_log):
                item.log("judge")  # the judge call itself failed
        return items


class PairStage(Stage):
    """Rejected model candidates whose prompt has a verified oracle answer become preference pairs."""

    name = "pairs"

    def __init__(self, engine, filters, resources: Resources | None = None):
        super().__init__(resources)
        self.engine, self.filters = engine, filters

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        for item in items:
            if item.rejection is not None and item.model_reply is not None:
                try:
                    self.engine.pair(item, functools.partial(run_filters, self.filters))
                except Exception:  # a counterpart that cannot be checked makes no pair; the sample stays rejected
                    item.pair = None
        return items


class FilterStage(Stage):
    name = "filter"

    def __init__(self, filters, resources: Resources | None = None):
        super().__init__(resources)
        self.filters = filters

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        for item in items:
            try:
                run_filters(self.filters, item)
            except Exception as exc:  # a filter that cannot decide (a page that died) drops one sample, with why
                item.reject(self.name, "filter_error", f"{type(exc).__name__}: {exc}")
                item.log(self.name)
        return items


class WriteStage(Stage):
    """Write finished items as staging parts, one per shard in the batch; emit small status rows."""

    name = "write"
    writes = ("shard", "index", "status")
    batch_only = True

    def __init__(self, out, dedup=None, resources: Resources | None = None):
        super().__init__(resources)
        self.out = as_store(out)  # the run's output: parts go to its staging/ folder
        self.dedup = dedup  # the recipe's DedupFilter: which signatures the run-wide pass needs

    def process(self, items: list[WorkItem]) -> list[WorkItem]:
        by_shard: dict[int, list[WorkItem]] = {}
        for item in items:
            if item.rejection is not None and item.rejection.reason in RETRY_LATER:
                continue  # not finished: the next run of the same command tries it again
            by_shard.setdefault(item.spec.shard, []).append(item)
        node = node_id()
        for shard, group in sorted(by_shard.items()):
            records, members = [], []
            for item in group:
                rec = status_record(item, node)
                if rec["status"] == "kept":
                    payload = {"json": json.dumps(item.sample, sort_keys=True, ensure_ascii=False).encode(),
                               **item.media}
                    rec["members"] = sorted(payload)
                    members += [(f"{item.spec.key}.{ext}", payload[ext]) for ext in rec["members"]]
                    if self.dedup is not None:
                        from omnisynth.datasets.dedup import signatures

                        rec.update(signatures(item, self.dedup))
                elif item.pair is not None:  # a preference pair: its prompt's media travel with it
                    payload = {"pair.json": json.dumps(item.pair, sort_keys=True, ensure_ascii=False).encode(),
                               **{m["member"]: item.media[m["member"]] for m in item.pair["media"]}}
                    rec["pair_members"] = sorted(payload)
                    members += [(f"{item.spec.key}.{ext}", payload[ext]) for ext in rec["pair_members"]]
                records.append(rec)
            write_part(self.out, shard, records, members)
        return items

    def encode(self, items: list[WorkItem]) -> dict[str, np.ndarray]:
        status = [("retry" if it.rejection.reason in RETRY_LATER else it.rejection.reason) if it.rejection else "kept"
                  for it in items]
        return {**_ids(items), "status": np.array(status, dtype=object)}


def _ids(items: list[WorkItem]) -> dict[str, np.ndarray]:
    return {"shard": np.array([it.spec.shard for it in items], dtype=np.int64),
            "index": np.array([it.spec.index for it in items], dtype=np.int64)}


def node_id() -> str:
    """The Ray node this runs on ('local' outside Ray)."""
    import ray

    return ray.get_runtime_context().get_node_id() if ray.is_initialized() else "local"


def status_record(item: WorkItem, node: str = "local") -> dict:
    rec = {"index": item.spec.index, "key": item.spec.key, "filter_log": item.filter_log, "node": node,
           "seconds": {k: round(v, 6) for k, v in item.seconds.items()}}
    if item.tokens:
        rec["tokens"] = item.tokens
    if item.rejection is None:
        rec["status"] = "kept"
        if item.truth is not None and "screen_sha" in item.truth.meta:  # for the run-wide duplicate check
            rec["screen"] = item.truth.meta["screen_sha"]
        return rec
    rec.update(status="rejected", stage=item.rejection.stage, reason=item.rejection.reason,
               detail=item.rejection.detail, sample=item.sample, source=item.source)
    return rec


def run_chain(stages: list[Stage], items: list[WorkItem]) -> list[WorkItem]:
    """Run a chain on a batch. With a per-item stage (a live page that filters check against),
    each item goes through every stage but the batch-only ones (the writer) before the next."""
    if not any(s.per_item for s in stages):
        return run_stages_locally(stages, items)
    head = [s for s in stages if not s.batch_only]
    tail = [s for s in stages if s.batch_only]
    try:
        done = [out for item in items for out in run_stages_locally(head, [item])]
    finally:
        for stage in head:
            stage.end_batch()
    return run_stages_locally(tail, done)


def run_stages_locally(stages: list[Stage], items: list[WorkItem]) -> list[WorkItem]:
    """Apply stages in order to plain items (no Ray needed), timing each stage per item.

    The writer's own time is not in the records it writes (they are written inside it).
    """
    for stage in stages:
        if not stage._ready:
            stage.setup()
            stage._ready = True
        start = time.perf_counter()
        items = stage.process(items)
        share = (time.perf_counter() - start) / max(1, len(items))
        for item in items:
            item.seconds[stage.name] = item.seconds.get(stage.name, 0.0) + share
    return items
