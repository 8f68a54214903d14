"""What a run will cost, from a probe: run a few dozen samples of the recipe, measure, scale up.

The probe is a real run (the same pipeline, engine and filters) into a folder of its own.
From its manifest come the worker time per stage per sample (`stage_seconds`, the time each
stage spent on a sample, summed over the pipeline's workers), the share kept, the bytes
written per sample and, for model engines, the prompt and generated tokens per sample that
the endpoint or vLLM reported (`tokens`). Its steady throughput (samples/s after the first
20%, start-up excluded) on this machine's CPUs gives samples per second per core.

For N samples: core-hours = N x worker seconds per sample x `runtime.cpus_per_task` / 3600;
GPU-hours = N x generated tokens per sample / (tokens/s per GPU) / 3600, at the tokens/s
the user gives (`bench/llm_bench.py` measures a server's); wall time = core-hours over the
cores, the cores kept busy (Ray Data streams the stages, so CPU-bound recipes keep them so),
plus the probe's fixed cost (its wall time beyond its samples' work: Ray start-up, warm-up);
the cluster shape is the number of nodes of `node_cpus` CPUs (and `node_gpus` GPUs) that
finishes within `hours`.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from omnisynth.datasets.manifest import read_manifest
from omnisynth.pipelines.runner import run
from omnisynth.schemas.recipe import Recipe


@dataclass
class Estimate:
    """A probe's measurements and their projection to `num_samples` (seconds, bytes, tokens per attempted sample)."""

    recipe: str
    engine: str
    probe_samples: int
    probe_kept: int
    probe_wall_s: float
    probe_cpus: float
    stage_s_per_sample: dict[str, float]
    bytes_per_sample: float
    tokens_per_sample: dict[str, dict[str, float]]
    num_samples: int
    core_hours: float
    expected_kept: int
    output_bytes: int
    tokens_per_s: float | None = None
    gpu_hours: float | None = None
    node_cpus: int = 0
    node_gpus: int = 0
    hours: float = 1.0
    nodes: int = 1
    fixed_s: float = 0.0  # the probe's wall time beyond its samples' work: start-up, warm-up, closing passes
    one_node_hours: float = 0.0  # wall hours on one node of node_cpus CPUs: the fixed part + the work, every core busy
    notes: list[str] = field(default_factory=list)

    @property
    def keep_rate(self) -> float:
        return self.probe_kept / self.probe_samples if self.probe_samples else 0.0

    def as_dict(self) -> dict:
        return asdict(self) | {"keep_rate": round(self.keep_rate, 4)}


def estimate(probe: Recipe, num_samples: int, out: Path | str, tokens_per_s: float | None = None,
             node_cpus: int | None = None, node_gpus: int = 1, hours: float = 1.0,
             stream: TextIO | None = None) -> Estimate:
    """Run `probe` (a recipe whose num_samples is the probe's size) into `out`, then project to `num_samples`.

    Raises what `run` raises (a bad corpus, an endpoint that is down); a probe that kept
    nothing still gives costs (every attempt costs its work).
    """
    summary = run(probe, out, stream)
    manifest = read_manifest(out)
    n = max(summary.kept + summary.rejected, 1)
    cpus = float(manifest.run.get("cpus") or probe.runtime.num_cpus or os.cpu_count() or 1)
    per_stage = {k: round(v / n, 4) for k, v in sorted(manifest.stage_seconds.items(), key=lambda kv: -kv[1])}
    worker_s = sum(manifest.stage_seconds.values()) / n
    size = sum(r.bytes for r in manifest.shards) / n
    tokens = {purpose: {k: round(v / n, 1) for k, v in counts.items()} for purpose, counts in manifest.tokens.items()}
    node_cpus = node_cpus or os.cpu_count() or 1
    core_hours = num_samples * worker_s * probe.runtime.cpus_per_task / 3600
    # what the probe spent beyond its samples' work on its cores: Ray start-up, warm-up, the closing passes
    fixed_s = max(0.0, summary.seconds - n * worker_s * probe.runtime.cpus_per_task / cpus)
    nodes = max(1, math.ceil(core_hours / (node_cpus * hours)))
    notes = []
    gpu_hours = None
    generated = sum(t.get("completion", 0.0) for t in tokens.values())
    if probe.model.engine == "oracle":
        notes.append("oracle engine: no model calls (the answers come from the ground truth)")
    elif tokens_per_s:
        gpu_hours = round(num_samples * generated / tokens_per_s / 3600, 3)
        nodes = max(nodes, math.ceil(gpu_hours / (hours * max(node_gpus, 1))))
    else:
        notes.append("give --tokens-per-s (generated tokens/s per GPU; bench/llm_bench.py measures a server) "
                     "for GPU-hours")
    if n < 20:
        notes.append(f"a probe of {n} samples: per-sample figures carry start-up; 20-50 samples are steadier")
    return Estimate(
        recipe=probe.name, engine=probe.model.engine, probe_samples=n, probe_kept=summary.kept,
        probe_wall_s=round(summary.seconds, 2), probe_cpus=cpus,
        stage_s_per_sample=per_stage, bytes_per_sample=round(size, 1), tokens_per_sample=tokens,
        num_samples=num_samples, core_hours=round(core_hours, 6),
        expected_kept=round(num_samples * summary.kept / n), output_bytes=round(num_samples * size),
        tokens_per_s=tokens_per_s, gpu_hours=gpu_hours, node_cpus=node_cpus,
        node_gpus=node_gpus if gpu_hours is not None else 0, hours=hours, nodes=nodes,
        fixed_s=round(fixed_s, 2), one_node_hours=round(core_hours / node_cpus + fixed_s / 3600, 6), notes=notes)


def format_estimate(e: Estimate) -> str:
    """The estimate as a short table for the terminal."""
    stages = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in e.stage_s_per_sample.items())
    lines = [f"omnisynth estimate {e.recipe} ({e.engine} engine): probe of {e.probe_samples} samples, "
             f"{e.probe_kept} kept ({100 * e.keep_rate:.0f}%), {e.probe_wall_s:.1f} s on {e.probe_cpus:g} CPUs "
             "(Ray start-up included)",
             f"  per sample     worker time {sum(e.stage_s_per_sample.values()) * 1000:.0f} ms ({stages}); "
             f"output {e.bytes_per_sample / 1e3:.1f} kB"]
    for purpose, t in e.tokens_per_sample.items():
        lines.append(f"  model tokens   {purpose}: {t.get('prompt', 0):.0f} prompt + {t.get('completion', 0):.0f} "
                     f"generated per sample ({t.get('calls', 0):.2f} calls)")
    lines += [f"  for {e.num_samples} samples",
              f"    core-hours   {e.core_hours:.3f}",
              f"    output       {_size(e.output_bytes)} ({e.expected_kept} samples kept at the probe's rate)"]
    if e.gpu_hours is not None:
        lines.append(f"    GPU-hours    {e.gpu_hours:.3f} at {e.tokens_per_s:g} generated tokens/s per GPU")
    shape = f"{e.nodes} node{'s' if e.nodes > 1 else ''} of {e.node_cpus} CPUs"
    if e.gpu_hours is not None:
        shape += f" and {e.node_gpus} GPU{'s' if e.node_gpus != 1 else ''}"
    lines.append(f"    wall time    {_hours(e.one_node_hours)} on one node of {e.node_cpus} CPUs ({e.fixed_s:.0f} s fixed, "
                 f"then every core busy); {shape} finish within {e.hours:g} h")
    lines += [f"  note: {n}" for n in e.notes]
    return "\n".join(lines)


def _hours(h: float) -> str:
    return f"{h * 60:.1f} min" if h < 1 else f"{h:.2f} h"


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"
