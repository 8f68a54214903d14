"""The output folder's bookkeeping: run identity, completion records, and the manifest."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from omnisynth import __version__
from omnisynth.datasets.store import OutputBusy, Store, as_store
from omnisynth.schemas.manifest import FilterStats, Manifest, ShardRecord
from omnisynth.schemas.recipe import Recipe

PACKAGES = ("ray", "pymupdf", "webdataset", "pillow", "pydantic", "jsonschema", "numpy", "pyarrow")


class OutputMismatch(RuntimeError):
    """The output folder holds a run of another configuration, or another run is writing it."""


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def claim_output(out: Store, recipe: Recipe, extra: dict):
    """Lock the output, sweep a crashed run's temporaries and record what run it holds; refuse another run's output.

    Returns the held lock: the caller holds it for the run (closing releases it), so a
    second run into the same output is refused instead of racing the first.
    """
    try:
        lock = out.lock()
    except OutputBusy as exc:
        raise OutputMismatch(str(exc)) from None
    identity = {"recipe": recipe.name, "config_hash": recipe.config_hash(), **extra}
    try:
        found = json.loads(out.read_text("run.json"))
    except FileNotFoundError:
        found = None
    if found is not None and found != identity:
        diff = ", ".join(f"{k}: {found.get(k)!r} -> {v!r}" for k, v in identity.items() if found.get(k) != v)
        lock.close()
        raise OutputMismatch(f"{out} holds output of another configuration ({diff}); "
                             f"rerun with its original settings to resume, or use a new --out")
    # (an object store's root was swept when its lease was taken: its renewal writes there from now on)
    root = ("",) if out.local else ()
    out.sweep_temporaries((*root, "shards", "pairs", "quarantine", "state", "state/signatures", "state/screens"))
    if out.local:  # the layout exists from the start, also for a run that keeps nothing
        for sub in ("shards", "quarantine", "state", "staging"):
            (out.path / sub).mkdir(parents=True, exist_ok=True)
    if found is None:
        out.write_json("run.json", identity)
    return lock


def finished_shards(out: Store) -> dict[int, ShardRecord]:
    """Shards whose completion record exists and whose tar is still the one recorded."""
    done = {}
    for name in out.list("state", prefix="shard-", suffix=".json"):
        record = ShardRecord.model_validate_json(out.read_text(f"state/{name}"))
        if record.name and out.size(f"shards/{record.name}") != record.bytes:
            out.delete(f"state/{name}")  # the tar is gone or changed: redo that shard
            continue
        done[record.shard] = record
    return done


def shard_indices(shard: int, recipe: Recipe) -> range:
    per = recipe.output.samples_per_shard
    return range(shard * per, min((shard + 1) * per, recipe.num_samples))


def num_shards(recipe: Recipe) -> int:
    per = recipe.output.samples_per_shard
    return (recipe.num_samples + per - 1) // per


def model_info(recipe: Recipe, prompt_hash: str) -> dict:
    """Engine, model name, sampling parameters and prompt-template hash, as provenance records them."""
    info = recipe.model.public()
    if recipe.model.engine == "oracle":
        info.pop("sampling")
    info["prompt_hash"] = prompt_hash
    return info


def build_manifest(recipe: Recipe, records: list[ShardRecord], run: dict, prompt_hash: str) -> Manifest:
    """The manifest of a finished run; `prompt_hash`: the engine's (`omnisynth.model.engines.prompt_hash`)."""
    filters: dict[str, FilterStats] = {}
    reasons: dict[str, int] = {}
    for rec in records:
        for name, counts in rec.filters.items():
            stats = filters.setdefault(name, FilterStats())
            stats.seen += counts.get("seen", 0)
            stats.kept += counts.get("kept", 0)
            for k, n in counts.items():
                if k.startswith("dropped:"):
                    reason = k.removeprefix("dropped:")
                    stats.dropped[reason] = stats.dropped.get(reason, 0) + n
                    reasons[f"{name}/{reason}"] = reasons.get(f"{name}/{reason}", 0) + n
    stage_seconds: dict[str, float] = {}
    for rec in records:
        for stage, s in rec.stage_seconds.items():
            stage_seconds[stage] = round(stage_seconds.get(stage, 0.0) + s, 4)
    tokens: dict[str, dict[str, int]] = {}
    for rec in records:
        for purpose, counts in rec.tokens.items():
            total = tokens.setdefault(purpose, {})
            for k, n in counts.items():
                total[k] = total.get(k, 0) + n
    return Manifest(
        stage_seconds=stage_seconds, tokens=tokens,
        recipe=recipe.model_dump(mode="json"), config_hash=recipe.config_hash(), omnisynth_version=__version__,
        packages=package_versions(), sample_schema="omnisynth/schemas/sample.schema.json",
        num_samples=recipe.num_samples, kept=sum(r.samples for r in records),
        rejected=sum(r.rejected for r in records), shards=sorted(records, key=lambda r: r.shard),
        filters=dict(sorted(filters.items())), rejected_by_reason=dict(sorted(reasons.items())), run=run,
        model=model_info(recipe, prompt_hash), pairs=sum(r.pairs for r in records),
    )


def write_manifest(out: Store | Path, manifest: Manifest) -> None:
    as_store(out).write_json("manifest.json", manifest.model_dump(mode="json"))


def read_manifest(out: Store | Path | str) -> Manifest:
    return Manifest.model_validate_json(as_store(out).read_text("manifest.json"))
